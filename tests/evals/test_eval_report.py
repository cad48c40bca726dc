"""Aggregates, the Markdown/JSON report, the comparison of two runs, and the `huashu eval` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eval_helpers import case_of, draft_for, reply

from drafting.cli import main
from drafting.settings import Settings
from drafting.testing import ChatAnswer, FaultServer
from evals.cases import EvalCase, dump_cases
from evals.compare import changed_cases, figure_rows
from evals.compare import render_markdown as compare_markdown
from evals.report import render_markdown
from evals.runner import CaseResult, EvalRun, judge, record_runner
from evals.summary import run_json, summarize
from guards import default_policy


def _result(case: EvalCase, *answers: str, latency: float = 10.0) -> CaseResult:
    draft = draft_for(case, *answers)
    return CaseResult(case, "ok", draft, judge(case, draft, default_policy()), latency_s=latency)


def _run(results: list[CaseResult], prompt_version: str = "p1") -> EvalRun:
    return EvalRun("m", "m", prompt_version, prompt_version, "f", "replay", "2026-11-23", results, 1.0)


BAD = reply(solution="这个问题我也不知道")
CHECKS = [{"type": "guards-pass"}, {"type": "not-contains", "value": "不知道"}]


def _sample_run() -> EvalRun:
    fixed = case_of(id="fixed-01", expect=CHECKS)
    stuck = case_of(id="stuck-02", channel="phone", expect=CHECKS)
    consult = case_of(id="consult-03", scenario="auto", expect=[{"type": "scenario", "value": "consult"}])
    stale = case_of(id="stale-04", expect=CHECKS)
    return _run(
        [
            _result(fixed, BAD, reply(), latency=20.0),
            _result(stuck, BAD, BAD, BAD, latency=40.0),
            _result(consult, reply("price")),
            CaseResult(stale, "stale", error="case stale-04: stale"),
        ]
    )


def test_summary_figures() -> None:
    summary = summarize(_sample_run())
    assert summary.cases == 4 and summary.by_status == {"ok": 3, "stale": 1}
    assert (summary.case_pass.passed, summary.case_pass.total) == (1, 3)
    assert (summary.blocked_first_attempt.passed, summary.blocked_first_attempt.total) == (2, 3)
    assert (summary.blocked_after_feedback.passed, summary.blocked_after_feedback.total) == (1, 3)
    assert summary.mean_attempts == pytest.approx(2.0)
    assert summary.by_expectation["not-contains"].passed == 1
    assert summary.by_expectation["not-contains"].total == 2
    assert set(summary.by_scenario) == {"complaint", "consult"}  # grouped by the intended scenario
    assert summary.by_channel["phone"].passed == 0
    assert summary.latency_median_s == 20.0
    assert summary.rules_first_attempt == {"fp.dont_know": 2}
    assert summary.completion_tokens == 50 * 6


def test_markdown_and_json_name_the_failures() -> None:
    data = run_json(_sample_run())
    json.dumps(data)  # JSON-ready
    assert data["summary"]["case_pass"]["rate"] == pytest.approx(1 / 3)
    markdown = render_markdown(data)
    assert "| blocking violation after feedback (final) | 33% (1/3) |" in markdown
    assert "### stuck-02" in markdown and "fp.dont_know “不知道”" in markdown
    assert "unexpected: contains “不知道”" in markdown
    assert "case stale-04: stale" in markdown


def test_compare_shows_changes_side_by_side() -> None:
    before = run_json(_sample_run())
    fixed = case_of(id="stuck-02", channel="phone", expect=CHECKS)
    after_run = _sample_run()
    after_run.results[1] = _result(fixed, reply())
    after_run.prompt_version = "p2"
    after = run_json(after_run)
    rows = {row.name: row for row in figure_rows(before, after)}
    assert rows["cases passing every expectation"].change == "+33 pp"
    assert rows["mean attempts"].change == "-0.67"
    changed = changed_cases(before, after)
    assert [(r.name, r.a, r.b) for r in changed] == [("stuck-02", "fail", "pass")]
    markdown = compare_markdown(before, after)
    assert "prompt version p1" in markdown and "prompt version p2" in markdown


# ------------------------------------------------------------------------------- the command


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    """A case file and its cassettes, recorded from a scripted server."""
    cases = [case_of(id="cli-01", expect=CHECKS), case_of(id="cli-02", expect=CHECKS)]
    (tmp_path / "cases.toml").write_text(dump_cases(cases), encoding="utf-8")
    with FaultServer([ChatAnswer(reply())], model="cli-model") as server:
        live = Settings(base_url=server.base_url, model="cli-model", structured_mode="json_object_schema")
        record_runner(tmp_path / "cassettes", live, max_attempts=2).run(cases)
    return tmp_path


def _eval(root: Path, *args: str) -> int:
    return main(["eval", "--cases", str(root / "cases.toml"), "--cassettes", str(root / "cassettes"), *args])


def test_command_replays_and_writes_reports(recorded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _eval(recorded, "--out", str(recorded / "out")) == 0
    out = capsys.readouterr().out
    assert "cli-01" in out and "expectations passed" in out and "100% (4/4)" in out
    data = json.loads((recorded / "out" / "eval.json").read_text(encoding="utf-8"))
    assert [c["id"] for c in data["cases"]] == ["cli-01", "cli-02"]
    assert (recorded / "out" / "eval.md").read_text(encoding="utf-8").startswith("# huashu eval")


def test_command_compares_two_runs(recorded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _eval(recorded, "--out", str(recorded / "a"))
    _eval(recorded, "--case", "cli-01", "--out", str(recorded / "b"))
    capsys.readouterr()
    assert (
        main(["eval", "--compare", str(recorded / "a"), str(recorded / "b"), "--out", str(recorded / "c")])
        == 0
    )
    assert "cli-02" in capsys.readouterr().out  # absent from B
    assert (recorded / "c" / "compare.md").exists()


def test_command_fails_on_stale_cassettes(recorded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    changed = case_of(id="cli-01", message="消息改了", expect=CHECKS)
    (recorded / "cases.toml").write_text(dump_cases([changed]), encoding="utf-8")
    assert _eval(recorded) == 1
    assert (
        "huashu eval --record --force --model cli-model --strategy free --case cli-01"
        in capsys.readouterr().out
    )


def test_command_errors_are_one_line(recorded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _eval(recorded, "--case", "nope") == 2
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0 and "unknown case id 'nope'" in err
    assert main(["eval", "--compare", str(recorded / "x"), str(recorded / "y")]) == 2
    assert "no eval run here" in capsys.readouterr().err


def test_command_fail_under(recorded: Path) -> None:
    assert _eval(recorded, "--fail-under", "1.0") == 0
    failing = case_of(id="cli-01", expect=[{"type": "contains", "value": "不存在的字"}])
    (recorded / "cases.toml").write_text(dump_cases([failing]), encoding="utf-8")
    assert _eval(recorded, "--fail-under", "0.5") == 1


def test_command_lists_cases(recorded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _eval(recorded, "--list") == 0
    assert capsys.readouterr().out.splitlines()[0].startswith("cli-01\tdraft\tcomplaint\tonline\t")


def test_command_compares_both_strategies_in_one_run(
    recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = [case_of(id="cli-01", expect=CHECKS), case_of(id="cli-02", expect=CHECKS)]
    understood = json.dumps({"scenario": "complaint", "problem": "", "emotion": "angry", "action": ""})
    with FaultServer([ChatAnswer(understood)], model="cli-model") as server:
        live = Settings(base_url=server.base_url, model="cli-model", structured_mode="json_object_schema")
        record_runner(recorded / "cassettes", live, max_attempts=2, strategy="compose").run(cases)
    assert _eval(recorded, "--compare-strategies", "--out", str(recorded / "both")) == 0
    out = capsys.readouterr().out
    assert "strategy free" in out and "strategy compose" in out and "cases passing every expectation" in out
    assert (recorded / "both" / "compare.md").exists()
    assert (
        json.loads((recorded / "both" / "compose" / "eval.json").read_text(encoding="utf-8"))["meta"][
            "strategy"
        ]
        == "compose"
    )
