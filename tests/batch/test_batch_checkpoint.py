"""The checkpoint (resume keys, torn lines, locking) and the rate limiter (spacing, token settling)."""

from __future__ import annotations

from pathlib import Path

import pytest

from drafting.batch.checkpoint import Checkpoint, RunIdentity
from drafting.batch.limits import Limits, RateLimiter
from drafting.batch.outcome import Rewrite
from drafting.errors import InputError
from guards import Violation

IDENTITY = RunIdentity(policy="p1", model="m1", prompt="v1", guards="g1")
FINDING = Violation("tone", "tone.use_nin", "warn", 0, 1, "你", "用您", "您", "seed 001")


def rewrite(text: str = "您好。") -> Rewrite:
    return Rewrite(text, passed=False, violations=(FINDING,), attempts=3, model="m1", prompt_tokens=10)


def test_a_finished_row_is_found_again_after_reopening(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    row_key, shared = IDENTITY.row_key("7", "hash"), IDENTITY.shared_key("hash")
    with Checkpoint(path, IDENTITY, resume=False) as checkpoint:
        checkpoint.add("7", row_key, shared, rewrite())
        assert checkpoint.get(row_key, shared) == rewrite()
    with Checkpoint(path, IDENTITY, resume=True) as resumed:
        assert resumed.loaded == 1
        assert resumed.get(row_key, shared) == rewrite()
        # another row with the same template reuses it through the shared key
        assert resumed.get(IDENTITY.row_key("8", "hash"), shared) == rewrite()
        assert resumed.get(IDENTITY.row_key("9", "other"), IDENTITY.shared_key("other")) is None


@pytest.mark.parametrize("changed", [{"policy": "p2"}, {"model": "m2"}, {"prompt": "v2"}, {"guards": "g2"}])
def test_any_change_of_policy_model_prompt_or_guard_engine_makes_rows_not_done(
    tmp_path: Path, changed: dict[str, str]
) -> None:
    path = tmp_path / "c.jsonl"
    with Checkpoint(path, IDENTITY, resume=False) as checkpoint:
        checkpoint.add("7", IDENTITY.row_key("7", "h"), IDENTITY.shared_key("h"), rewrite())
    other = RunIdentity(**{"policy": "p1", "model": "m1", "prompt": "v1", "guards": "g1", **changed})
    with Checkpoint(path, other, resume=True) as resumed:
        assert resumed.loaded == 0
        assert resumed.get(other.row_key("7", "h"), other.shared_key("h")) is None


def test_a_torn_last_line_is_skipped_and_the_next_record_starts_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    with Checkpoint(path, IDENTITY, resume=False) as checkpoint:
        checkpoint.add("1", IDENTITY.row_key("1", "a"), IDENTITY.shared_key("a"), rewrite("一"))
    with open(path, "ab") as handle:
        handle.write(b'{"v": 1, "row_id": "2", "row": "trunc')  # killed mid-write
    with Checkpoint(path, IDENTITY, resume=True) as resumed:
        assert resumed.loaded == 1
        resumed.add("3", IDENTITY.row_key("3", "c"), IDENTITY.shared_key("c"), rewrite("三"))
    with Checkpoint(path, IDENTITY, resume=True) as again:
        assert again.loaded == 2
        assert again.get(IDENTITY.row_key("3", "c"), IDENTITY.shared_key("c")) == rewrite("三")


def test_an_existing_checkpoint_needs_resume(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    with Checkpoint(path, IDENTITY, resume=False) as checkpoint:
        checkpoint.add("1", IDENTITY.row_key("1", "a"), IDENTITY.shared_key("a"), rewrite())
    with pytest.raises(InputError, match="add --resume"):
        Checkpoint(path, IDENTITY, resume=False)


def test_two_runs_cannot_share_a_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    with Checkpoint(path, IDENTITY, resume=True), pytest.raises(InputError, match="another huashu run"):
        Checkpoint(path, IDENTITY, resume=True)


class FakeTime:
    """A clock that only moves when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.starts: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_requests_per_minute_are_spaced_evenly() -> None:
    time = FakeTime()
    limiter = RateLimiter(Limits(rpm=120), clock=time.clock, sleep=time.sleep)
    for _ in range(5):
        limiter.acquire()
        time.starts.append(time.now)
    assert time.starts == [100.0, 100.5, 101.0, 101.5, 102.0]


def test_tokens_per_minute_are_settled_with_the_real_usage() -> None:
    time = FakeTime()
    limiter = RateLimiter(Limits(tpm=6000), clock=time.clock, sleep=time.sleep)
    limiter.acquire(1000)  # reserves 10 s
    limiter.settle(1000, 400)  # used only 400 tokens: 4 s
    limiter.acquire(100)
    assert time.now == pytest.approx(104.0)


def test_no_limits_never_wait() -> None:
    time = FakeTime()
    limiter = RateLimiter(Limits(), clock=time.clock, sleep=time.sleep)
    assert not limiter.active
    assert [limiter.acquire(10_000) for _ in range(3)] == [0.0, 0.0, 0.0]
