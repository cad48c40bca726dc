"""Nothing lost: a real `huashu batch rewrite` process killed with SIGKILL mid-run, then --resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from batch_helpers import library_rows, read_csv, write_csv

from drafting.batch.testing import BatchServer

ROWS = 40
CONCURRENCY = 4


def cli_env(server: BatchServer, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUASHU_", "OPENAI_"))}
    env.update(
        HUASHU_BASE_URL=server.base_url,
        HUASHU_MODEL="batch-model",
        HUASHU_API_KEY="sk-test",
        HUASHU_CONFIG=str(tmp_path / "no-config.toml"),
    )
    return env


def wait_for_requests(server: BatchServer, count: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while len(server.requests) < count:
        assert process.poll() is None, process.stderr.read() if process.stderr else "exited early"
        assert time.monotonic() < deadline, "the run never got going"
        time.sleep(0.01)


def test_resume_after_sigkill_loses_nothing_and_does_nothing_twice(tmp_path: Path) -> None:
    rows = library_rows(ROWS)
    texts = {row[0]: row[2] for row in rows}
    source = write_csv(tmp_path / "lib.csv", rows)
    out = tmp_path / "out.csv"
    checkpoint = tmp_path / "out.csv.checkpoint.jsonl"
    command = [sys.executable, "-m", "drafting.cli", "batch", "rewrite", str(source), "-o", str(out),
               "--concurrency", str(CONCURRENCY), "--no-progress"]  # fmt: skip
    with BatchServer(latency_s=0.2) as server:
        env = cli_env(server, tmp_path)
        first = subprocess.Popen(command, env=env, stderr=subprocess.PIPE)
        wait_for_requests(server, 14, first)
        first.send_signal(signal.SIGKILL)
        first.wait()
        asked_first = server.originals()
        assert not out.exists()  # the output appears only when the run completes
        done = {json.loads(line)["row_id"] for line in checkpoint.read_text(encoding="utf-8").splitlines()}
        assert 8 <= len(done) < ROWS

        second = subprocess.run([*command, "--resume"], env=env, capture_output=True, text=True, timeout=300)
        assert second.returncode == 0, second.stderr
        asked_second = server.originals()[len(asked_first) :]

    done_texts = {texts[row_id] for row_id in done}
    assert not done_texts & set(asked_second)  # no finished row was asked for again
    in_flight = set(asked_first) - done_texts
    # Only the rows in flight at the kill are asked twice: those with a request out, and those whose
    # rewrite was finished and queued for the checkpoint's writer thread but not yet written (on a
    # loaded machine the writer can lag behind by a few rows).
    assert len(in_flight) <= 2 * CONCURRENCY
    asked = Counter(asked_first + asked_second)
    assert set(asked) == set(texts.values())  # every row was rewritten
    assert sum(n - 1 for n in asked.values()) == len(in_flight & set(asked_second)) <= 2 * CONCURRENCY
    result = read_csv(out)
    assert [r["编号"] for r in result] == [row[0] for row in rows]  # all rows, in input order
    assert {r["huashu_status"] for r in result} == {"rewritten"}
    records = [json.loads(line) for line in checkpoint.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["row_id"] for r in records) == sorted(texts)  # each row finished exactly once
