"""The bundled eval suite, replayed from the recorded cassettes (no network): in `make test`.

A prompt, policy or engine change that alters the requests makes cassettes stale: the test
then fails listing each stale case with the command that re-records it. An expectation that
passed in the accepted baseline and fails now is a regression.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from drafting.engine import Drafter
from drafting.fake import FakeChatClient, reply_json
from drafting.models import Strategy
from evals.baseline import load_baseline, regressions
from evals.cases import load_cases
from evals.cassettes import (
    KEY_PATTERN,
    bundled_cassettes_dir,
    recorded_models,
    recorded_strategies,
    secret_leaks,
    strategy_folder,
)
from evals.runner import EvalRun, execute, replay_runner

ROOT = bundled_cassettes_dir()
LOCAL_MODEL = "qwen2.5-coder-1.5b"
# Every recorded folder: (model, strategy).
RECORDED = [(m, s) for m in recorded_models(ROOT) for s in recorded_strategies(ROOT, m)]
IDS = [f"{m}/{s}" for m, s in RECORDED]

_runs: dict[tuple[str, Strategy], EvalRun] = {}


def _replayed(model: str, strategy: Strategy) -> EvalRun:
    """The whole suite replayed once per model and strategy (shared by the tests below)."""
    if (model, strategy) not in _runs:
        _runs[model, strategy] = replay_runner(ROOT, model, strategy=strategy).run(load_cases())
    return _runs[model, strategy]


def test_the_local_model_is_recorded_for_both_strategies() -> None:
    assert recorded_strategies(ROOT, LOCAL_MODEL) == ["compose", "free"]


@pytest.mark.parametrize(("model", "strategy"), RECORDED, ids=IDS)
def test_no_cassette_is_stale(model: str, strategy: Strategy) -> None:
    run = _replayed(model, strategy)
    stale = [r.error for r in run.results if r.status == "stale"]
    assert not stale, "stale cassettes:\n" + "\n".join(stale)


def test_every_case_is_recorded_for_the_local_model_with_compose() -> None:
    missing = [r.error for r in _replayed(LOCAL_MODEL, "compose").results if r.status == "missing"]
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize(("model", "strategy"), RECORDED, ids=IDS)
def test_no_regression_against_the_baseline(model: str, strategy: Strategy) -> None:
    run = _replayed(model, strategy)
    hint = f"if intended, accept it: huashu eval --model {model} --strategy {strategy} --save-baseline"
    found = regressions(load_baseline(strategy_folder(ROOT, model, strategy)), run, hint)
    assert not found, "\n".join(r.message for r in found)


@pytest.mark.parametrize(("model", "strategy"), RECORDED, ids=IDS)
def test_replayed_drafts_are_checked_like_live_ones(model: str, strategy: Strategy) -> None:
    """Each final draft's blocking findings are what the engine finds in that text, checked afresh."""
    for result in _replayed(model, strategy).results:
        draft = result.draft
        if draft is None:
            continue
        if strategy == "compose":
            # The model answered once (the understand step); its answer composes the same reply again.
            assert draft.attempts[0].usage.completion_tokens > 0, result.case.id
            answer = _understanding_answer(result.case.id, strategy)
            again = execute(result.case, Drafter(FakeChatClient([answer]), strategy="compose"))
        else:
            assert all(a.usage.completion_tokens > 0 for a in draft.attempts), result.case.id
            same_answer = FakeChatClient([reply_json(draft.scenario, **draft.reply.sections())])
            again = execute(result.case, Drafter(same_answer, max_attempts=1))
        assert again.text == draft.text, result.case.id
        assert [v.rule_id for v in again.report.blocking] == [v.rule_id for v in draft.report.blocking], (
            result.case.id
        )


def _understanding_answer(case_id: str, strategy: Strategy) -> str:
    """The model's recorded answer of a compose case (its only request is the understand step)."""
    tape = yaml.safe_load(
        (strategy_folder(ROOT, LOCAL_MODEL, strategy) / f"{case_id}.yaml").read_text("utf-8")
    )
    body = json.loads(tape["interactions"][0]["response"]["body"]["string"])
    return str(body["choices"][0]["message"]["content"])


def _cassettes() -> list[Path]:
    return sorted(ROOT.glob("*/*/*.yaml"))


def test_no_cassette_or_manifest_holds_a_key_a_password_or_authorization() -> None:
    assert _cassettes(), "no cassettes recorded"
    for model in recorded_models(ROOT):
        assert secret_leaks(ROOT / model) == [], model  # keys, user:password@, ?api-key=, secret headers


def test_key_scan_catches_a_leaked_key(tmp_path: Path) -> None:
    leaked = "Authorization: Bearer sk-proj-abcdefghijklmnopqrstuvwx"
    assert KEY_PATTERN.search(leaked)
    assert not KEY_PATTERN.search("sk-no-key-required is not a key")
