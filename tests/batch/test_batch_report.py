"""The report: totals per status, rule and scenario; bounded details; escaped, marked HTML."""

from __future__ import annotations

from pathlib import Path

import guards
from drafting.batch.outcome import Rewrite, RowOutcome
from drafting.batch.report import Report
from drafting.batch.report_html import changed_chars, render_html
from drafting.batch.rows import BadRow, WorkRow

FIXED = "您好，非常抱歉给您带来不便。"


def outcome(
    number: int, text: str, scenario: str | None = "complaint", rewritten: str | None = None
) -> RowOutcome:
    row = WorkRow(number, str(number), text, scenario, None, {"话术": text})  # type: ignore[arg-type]
    before = guards.check(text, scenario=row.scenario).violations
    if rewritten is None:
        return RowOutcome(row, "clean" if not before else "violates", before)
    after = guards.check(rewritten).violations
    rewrite = Rewrite(rewritten, not any(v.blocking for v in after), after, 1, "m")
    return RowOutcome(row, "rewritten", before, rewrite)


def test_totals_per_status_rule_and_scenario(tmp_path: Path) -> None:
    report = Report("rewrite", "lib.csv")
    report.add(outcome(2, "这个我也不知道", rewritten=FIXED))
    report.add(outcome(3, "我不知道，这是规定", scenario="shipping", rewritten=FIXED))
    report.add(RowOutcome(BadRow(4, "4", "empty text", {}), "error", error="empty text"))
    assert report.rows == 3 and report.statuses["rewritten"] == 2 and report.bad_total == 1
    assert report.rules["fp.dont_know"].before == 2 and report.rules["fp.dont_know"].after == 0
    scenarios = dict(report.scenario_rows())
    assert (
        scenarios["投诉 (complaint)"]["rewritten"] == 1 and scenarios["物流发货 (shipping)"]["rewritten"] == 1
    )
    markdown = report.markdown()
    assert (
        "| 3 | 0 | 2 | 0 | 1 |" in markdown
        and "| `fp.dont_know` | forbidden_phrase | block | 2 | 0 |" in markdown
    )
    assert "- row 4 (id 4): empty text" in markdown


def test_details_are_capped_but_counted() -> None:
    report = Report("check", "lib.csv", max_details=3)
    for number in range(10):
        report.add(outcome(number, f"不知道{number}"))
    assert report.detail_total == 10 and len(report.details) == 3
    assert "The first 3 are shown" in render_html(report)


def test_html_marks_differences_and_escapes_text() -> None:
    report = Report("rewrite", "<lib>.csv")
    report.add(outcome(2, "<script>不知道</script>", rewritten="您好<b>"))
    html = render_html(report)
    assert "<script>" not in html and "script&gt;" in html
    assert '<span class="del hit">不知道</span>' in html
    assert '<span class="ins">您好</span>&lt;<span class="ins">b</span>&gt;' in html  # "<", ">" kept
    assert "huashu batch rewrite: &lt;lib&gt;.csv" in html


def test_changed_chars_marks_only_what_changed() -> None:
    removed, added = changed_chars("我不知道", "我帮您查")
    assert removed == [False, True, True, True] and added == [False, True, True, True]
