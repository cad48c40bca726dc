"""The bundled eval suite, replayed from the recorded cassettes (no network): in `make test`.

A prompt, policy or engine change that alters the requests makes cassettes stale: the test
then fails listing each stale case with the command that re-records it. An expectation that
passed in the accepted baseline and fails now is a regression.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from drafting.engine import Drafter
from drafting.fake import FakeChatClient, reply_json
from evals.baseline import load_baseline, regressions
from evals.cases import load_cases
from evals.cassettes import KEY_PATTERN, bundled_cassettes_dir, recorded_models, secret_leaks
from evals.runner import EvalRun, execute, replay_runner

ROOT = bundled_cassettes_dir()
LOCAL_MODEL = "qwen2.5-coder-1.5b"

_runs: dict[str, EvalRun] = {}


def _replayed(model: str) -> EvalRun:
    """The whole suite replayed once per model (shared by the tests below)."""
    if model not in _runs:
        _runs[model] = replay_runner(ROOT, model).run(load_cases())
    return _runs[model]


def test_the_local_model_is_recorded() -> None:
    assert LOCAL_MODEL in recorded_models(ROOT)


@pytest.mark.parametrize("model", recorded_models(ROOT))
def test_no_cassette_is_stale(model: str) -> None:
    run = _replayed(model)
    stale = [r.error for r in run.results if r.status == "stale"]
    assert not stale, "stale cassettes:\n" + "\n".join(stale)


def test_every_case_is_recorded_for_the_local_model() -> None:
    missing = [r.error for r in _replayed(LOCAL_MODEL).results if r.status == "missing"]
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("model", recorded_models(ROOT))
def test_no_regression_against_the_baseline(model: str) -> None:
    run = _replayed(model)
    hint = f"if intended, accept it: huashu eval --model {model} --save-baseline"
    found = regressions(load_baseline(ROOT / model), run, hint)
    assert not found, "\n".join(r.message for r in found)


@pytest.mark.parametrize("model", recorded_models(ROOT))
def test_replayed_drafts_are_checked_like_live_ones(model: str) -> None:
    """Each final draft's blocking findings are what the engine finds in that text, checked afresh."""
    for result in _replayed(model).results:
        draft = result.draft
        if draft is None:
            continue
        assert all(a.usage.completion_tokens > 0 for a in draft.attempts), result.case.id
        same_answer = FakeChatClient([reply_json(draft.scenario, **draft.reply.sections())])
        again = execute(result.case, Drafter(same_answer, max_attempts=1))
        assert again.text == draft.text, result.case.id
        assert [v.rule_id for v in again.report.blocking] == [v.rule_id for v in draft.report.blocking], (
            result.case.id
        )


def _cassettes() -> list[Path]:
    return sorted(ROOT.glob("*/*.yaml"))


def test_no_cassette_or_manifest_holds_a_key_a_password_or_authorization() -> None:
    assert _cassettes(), "no cassettes recorded"
    for model in recorded_models(ROOT):
        assert secret_leaks(ROOT / model) == [], model  # keys, user:password@, ?api-key=, secret headers


def test_key_scan_catches_a_leaked_key(tmp_path: Path) -> None:
    leaked = "Authorization: Bearer sk-proj-abcdefghijklmnopqrstuvwx"
    assert KEY_PATTERN.search(leaked)
    assert not KEY_PATTERN.search("sk-no-key-required is not a key")
