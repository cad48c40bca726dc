"""The baseline: accepted verdicts per case; a verdict that gets worse is a regression."""

from __future__ import annotations

from pathlib import Path

from eval_helpers import case_of, draft_for, reply

from evals.baseline import load_baseline, regressions, update_baseline
from evals.runner import CaseResult, EvalRun, judge
from guards import default_policy

CHECKS = [{"type": "guards-pass"}, {"type": "contains", "value": "张先生"}]


def _run(answer: str, expect: list[dict[str, object]] = CHECKS, status: str = "ok") -> EvalRun:
    case = case_of(id="base-01", expect=expect)
    draft = draft_for(case, answer)
    result = CaseResult(case, "ok", draft, judge(case, draft, default_policy()))
    if status != "ok":
        result = CaseResult(case, "stale", error="stale")
    return EvalRun("m", "m", "p", "p", "f", "replay", "now", [result])


def test_accepted_verdicts_do_not_regress(tmp_path: Path) -> None:
    update_baseline(tmp_path, _run(reply(greeting="您好")).results)  # contains fails: accepted so
    assert load_baseline(tmp_path).cases["base-01"].passed == [True, False]
    assert regressions(load_baseline(tmp_path), _run(reply()), "hint") == []  # better is fine


def test_a_verdict_that_gets_worse_is_reported(tmp_path: Path) -> None:
    update_baseline(tmp_path, _run(reply()).results)
    found = regressions(load_baseline(tmp_path), _run(reply(solution="这个我也不知道")), "hint")
    assert [r.case_id for r in found] == ["base-01"]
    assert "now fails guards-pass" in found[0].message and "fp.dont_know" in found[0].message


def test_changed_expectations_need_a_new_baseline(tmp_path: Path) -> None:
    update_baseline(tmp_path, _run(reply()).results)
    changed = _run(reply(), expect=[{"type": "guards-pass"}])
    found = regressions(load_baseline(tmp_path), changed, "accept it: huashu eval --save-baseline")
    assert found and "no baseline for its expectations; accept it" in found[0].message


def test_stale_cases_keep_their_entry(tmp_path: Path) -> None:
    update_baseline(tmp_path, _run(reply()).results)
    update_baseline(tmp_path, _run(reply(), status="stale").results)
    assert load_baseline(tmp_path).cases["base-01"].passed == [True, True]
    assert regressions(load_baseline(tmp_path), _run(reply(), status="stale"), "hint") == []
