"""Two eval runs side by side (two models, or two prompt versions): figures, pass rates, changed cases."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

from evals.report import breakdowns, markdown_table, meta_line, number, outcome_label, percent

_RATE_FIGURES = (
    ("cases passing every expectation", "case_pass"),
    ("expectations passed", "expectations"),
    ("blocking violation on the first attempt", "blocked_first_attempt"),
    ("blocking violation after feedback (final)", "blocked_after_feedback"),
)
_VALUE_FIGURES: tuple[tuple[str, str, Callable[[float | None], str]], ...] = (
    ("mean attempts", "mean_attempts", lambda v: number(v, 2)),
    ("mean tokens per case", "mean_tokens", lambda v: number(v, 0)),
    ("mean latency per case", "latency_mean_s", lambda v: number(v, 1, " s")),
)


@dataclass(frozen=True)
class Row:
    """One compared figure: its name, A, B and the change."""

    name: str
    a: str
    b: str
    change: str


def _rate(rate: dict[str, Any] | None) -> float | None:
    return rate["passed"] / rate["total"] if rate and rate.get("total") else None


def _points(a: float | None, b: float | None) -> str:
    """The change of a share in percentage points."""
    return "–" if a is None or b is None else f"{100 * (b - a):+.0f} pp"


def _delta(a: float | None, b: float | None, show: Callable[[float | None], str]) -> str:
    if a is None or b is None:
        return "–"
    sign = "+" if b >= a else "-"
    return sign + show(abs(b - a))


def figure_rows(a: dict[str, Any], b: dict[str, Any]) -> list[Row]:
    """The headline figures of both runs."""
    sa, sb = a["summary"], b["summary"]
    rows = [
        Row(name, percent(sa[key]), percent(sb[key]), _points(_rate(sa[key]), _rate(sb[key])))
        for name, key in _RATE_FIGURES
    ]
    rows += [
        Row(name, show(sa[key]), show(sb[key]), _delta(sa[key], sb[key], show))
        for name, key, show in _VALUE_FIGURES
    ]
    return rows


def breakdown_rows(a: dict[str, Any], b: dict[str, Any]) -> list[tuple[str, list[Row]]]:
    """Pass rates per expectation, scenario, channel and kind, for both runs."""
    tables = []
    for (name, rates_a), (_, rates_b) in zip(breakdowns(a["summary"]), breakdowns(b["summary"]), strict=True):
        keys = sorted(set(rates_a) | set(rates_b))
        rows = [
            Row(
                key,
                percent(rates_a.get(key)),
                percent(rates_b.get(key)),
                _points(_rate(rates_a.get(key)), _rate(rates_b.get(key))),
            )
            for key in keys
        ]
        tables.append((name, rows))
    return tables


def _outcome(case: dict[str, Any] | None) -> str:
    if case is None:
        return "absent"
    return outcome_label(case["passed"], case["status"])


def changed_cases(a: dict[str, Any], b: dict[str, Any]) -> list[Row]:
    """Cases whose outcome differs between the runs, with B's failing checks."""
    cases_a = {c["id"]: c for c in a["cases"]}
    cases_b = {c["id"]: c for c in b["cases"]}
    rows = []
    for case_id in sorted(set(cases_a) | set(cases_b)):
        left, right = _outcome(cases_a.get(case_id)), _outcome(cases_b.get(case_id))
        if left != right:
            failing = [
                x["label"] for x in (cases_b.get(case_id) or {}).get("expectations", []) if not x["passed"]
            ]
            rows.append(Row(case_id, left, right, ", ".join(failing)))
    return rows


def render_markdown(a: dict[str, Any], b: dict[str, Any]) -> str:
    """The comparison as Markdown."""
    lines = [
        "# huashu eval: comparison",
        "",
        f"- A: {meta_line(a['meta'])}",
        f"- B: {meta_line(b['meta'])}",
        "",
    ]
    lines += _table(("figure", "A", "B", "change"), figure_rows(a, b))
    for name, rows in breakdown_rows(a, b):
        lines += [f"## Pass rate per {name}", "", *_table((name, "A", "B", "change"), rows)]
    changed = changed_cases(a, b)
    lines += ["## Cases with another outcome", ""]
    lines += _table(("case", "A", "B", "failing in B"), changed) if changed else ["(none)", ""]
    return "\n".join(lines).rstrip() + "\n"


def _table(header: tuple[str, ...], rows: list[Row]) -> list[str]:
    return [*markdown_table(header, [(r.name, r.a, r.b, r.change) for r in rows]), ""]


def print_comparison(a: dict[str, Any], b: dict[str, Any], console: Console) -> None:
    """The comparison on the terminal."""
    console.print(f"A: {meta_line(a['meta'])}\nB: {meta_line(b['meta'])}")
    console.print(_rich("figures", ("figure", "A", "B", "change"), figure_rows(a, b)))
    for name, rows in breakdown_rows(a, b):
        console.print(_rich(f"pass rate per {name}", (name, "A", "B", "change"), rows))
    changed = changed_cases(a, b)
    console.print(_rich("cases with another outcome", ("case", "A", "B", "failing in B"), changed))


def _rich(title: str, header: tuple[str, ...], rows: list[Row]) -> Table:
    table = Table(title=title)
    for column in header:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(row.name, row.a, row.b, row.change)
    return table
