"""Text rendering of guard findings: the reply with its offending spans marked, then each finding.

Marks are styles (red: blocks, yellow: warns) on a colour terminal and 【…】 brackets
otherwise, so piped output and logs still show where each finding is. Each marked span is
followed by the numbers of its findings, e.g. 【不知道】[1]. Control characters in the text are
shown as their escapes (see visible); positions still count characters of the original.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.text import Text

from drafting.cli.visible import visible
from guards import GuardReport, Violation

SEVERITY_STYLES = {"block": "bold red", "warn": "yellow"}
MARK_STYLES = {"block": "bold red underline", "warn": "yellow underline"}
PLAIN_MARKS = ("【", "】")


@dataclass
class MarkedSpan:
    """Overlapping findings merged into one marked stretch of the reply."""

    start: int
    end: int
    severity: str
    numbers: list[int] = field(default_factory=list)


def merged_spans(violations: Sequence[Violation]) -> list[MarkedSpan]:
    """The non-empty finding spans, numbered from 1 in report order, with overlaps merged."""
    located = sorted(
        (
            (v.start, v.end, v.severity, number)
            for number, v in enumerate(violations, start=1)
            if v.end > v.start
        ),
    )
    spans: list[MarkedSpan] = []
    for start, end, severity, number in located:
        if spans and start < spans[-1].end:
            last = spans[-1]
            last.end = max(last.end, end)
            last.severity = "block" if "block" in (last.severity, severity) else "warn"
            last.numbers.append(number)
        else:
            spans.append(MarkedSpan(start, end, severity, [number]))
    return spans


def marked_reply(report: GuardReport, *, styled: bool) -> Text:
    """The reply text with every finding's span marked (styled, or in 【】 brackets)."""
    text = report.text
    out = Text()
    position = 0
    for span in merged_spans(report.violations):
        out.append(visible(text[position : span.start]))
        marked = visible(text[span.start : span.end])
        if styled:
            out.append(marked, style=MARK_STYLES[span.severity])
        else:
            out.append(f"{PLAIN_MARKS[0]}{marked}{PLAIN_MARKS[1]}")
        out.append(f"[{','.join(map(str, span.numbers))}]", style="dim")
        position = span.end
    out.append(visible(text[position:]))
    return out


def finding_lines(number: int, violation: Violation) -> list[Text]:
    """One finding: severity, category/rule, matched text and position; message; fix; source."""
    head = Text(f"[{number}] ")
    head.append(f"{violation.severity:<5}", style=SEVERITY_STYLES[violation.severity])
    head.append(f"  {violation.category}/{violation.rule_id}  ", style="bold")
    if violation.end > violation.start:
        head.append(f"“{visible(violation.match)}”  chars {violation.start}–{violation.end}")
    else:
        head.append("(the reply as a whole)")
    lines = [head, Text(f"    {visible(violation.message)}")]
    if violation.suggestion:
        lines.append(Text(f"    → {visible(violation.suggestion)}", style="green"))
    lines.append(Text(f"    source: {visible(violation.source)}", style="dim"))
    return lines


def report_lines(report: GuardReport, *, styled: bool) -> list[Text]:
    """The marked reply, then every finding between blank lines (nothing more when there are none)."""
    lines = [marked_reply(report, styled=styled)]
    if report.violations:
        lines.append(Text())
    for number, violation in enumerate(report.violations, start=1):
        lines.extend(finding_lines(number, violation))
    if report.violations:
        lines.append(Text())
    return lines


def verdict(report: GuardReport) -> Text:
    """One line: blocked or ok, with the counts of blocking and warning findings."""
    blocking, warnings = len(report.blocking), len(report.warnings)
    context = f"(scenario: {report.scenario or 'none'}, channel: {report.channel})"
    if blocking:
        line = Text("✗ blocked: ", style="bold red")
        line.append(f"{counted(blocking, 'blocking finding')}, {counted(warnings, 'warning')} {context}")
        return line
    line = Text("✓ ok: ", style="bold green")
    line.append(f"{'no findings' if not warnings else counted(warnings, 'warning')} {context}")
    return line


def counted(n: int, noun: str, plural: str = "") -> str:
    """'1 warning', '2 warnings'; `plural` for nouns that do not just add an s."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
