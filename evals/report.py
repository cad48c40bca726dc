"""The eval report: a per-case table and the aggregates, on the terminal (rich) and in Markdown.

Both render the run's JSON form (evals.summary.run_json), so a report can be redrawn from a
saved run, and `--compare` reads the same files.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from drafting.errors import InputError

RUN_JSON = "eval.json"
RUN_MARKDOWN = "eval.md"
_REASON_CHARS = 90


def outcome_label(passed: bool, status: str) -> str:
    """pass, fail, or the status that kept a case from being judged (error, stale, missing)."""
    return "pass" if passed else status if status != "ok" else "fail"


def percent(rate: dict[str, Any] | None) -> str:
    """A Rate dict as '72% (58/80)', or '–' when there is nothing to count."""
    if not rate or not rate.get("total"):
        return "–"
    return f"{100 * rate['passed'] / rate['total']:.0f}% ({rate['passed']}/{rate['total']})"


def number(value: float | int | None, digits: int = 1, unit: str = "") -> str:
    """A figure with `digits` decimals, or '–'."""
    return "–" if value is None else f"{value:.{digits}f}{unit}"


def _short(text: str, limit: int = _REASON_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def case_rows(data: dict[str, Any]) -> list[list[str]]:
    """One row per case, in the order of CASE_COLUMNS."""
    rows = []
    for case in data["cases"]:
        draft = case.get("draft")
        checks = case["expectations"]
        failed = [f"{x['label']}: {x['reason']}" for x in checks if not x["passed"]]
        attempts = draft["attempts"] if draft else []
        usage = draft["usage"] if draft else {}
        rows.append(
            [
                case["id"],
                case["kind"],
                case["scenario"],
                case["channel"],
                outcome_label(case["passed"], case["status"]).upper(),
                f"{sum(x['passed'] for x in checks)}/{len(checks)}",
                str(len(attempts)) if draft else "–",
                ("block" if not attempts[0]["passed"] else "ok") if attempts else "–",
                str(usage.get("prompt_tokens", 0) + usage.get("completion_tokens", 0)) if draft else "–",
                number(case.get("latency_s"), 1, " s"),
                _short(case["error"] or "; ".join(failed)),
            ]
        )
    return rows


CASE_COLUMNS = (
    "case",
    "kind",
    "scenario",
    "channel",
    "result",
    "checks",
    "attempts",
    "1st attempt",
    "tokens",
    "latency",
    "failing",
)


def figure_rows(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """The headline figures of a summary as (name, value) rows."""
    status = ", ".join(f"{k} {v}" for k, v in summary["by_status"].items())
    return [
        ("cases", f"{summary['cases']} ({status})"),
        ("cases passing every expectation", percent(summary["case_pass"])),
        ("expectations passed", percent(summary["expectations"])),
        ("blocking violation on the first attempt", percent(summary["blocked_first_attempt"])),
        ("blocking violation after feedback (final)", percent(summary["blocked_after_feedback"])),
        ("mean attempts", number(summary["mean_attempts"], 2)),
        ("tokens (prompt / completion)", f"{summary['prompt_tokens']} / {summary['completion_tokens']}"),
        ("mean tokens per case", number(summary["mean_tokens"], 0)),
        (
            "latency per case (mean / median / p90)",
            " / ".join(
                number(summary[k], 1, " s") for k in ("latency_mean_s", "latency_median_s", "latency_p90_s")
            ),
        ),
    ]


def breakdowns(summary: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The pass-rate tables: per expectation, scenario, channel and kind."""
    return [
        ("expectation", summary["by_expectation"]),
        ("scenario", summary["by_scenario"]),
        ("channel", summary["by_channel"]),
        ("kind", summary["by_kind"]),
    ]


def meta_line(meta: dict[str, Any]) -> str:
    """Which model, prompt version, policy and mode a run used."""
    recorded = meta["recorded_prompt_version"]
    note = "" if recorded in ("", meta["prompt_version"]) else f" (cassettes recorded with {recorded})"
    return (
        f"model {meta['model']} · strategy {meta.get('strategy', 'free')} · "
        f"prompt version {meta['prompt_version']}{note} · "
        f"policy {meta['policy_fingerprint']} · {meta['mode']} · {meta['started_at']} · "
        f"{meta['duration_s']} s"
    )


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A Markdown table; `|` and line breaks inside cells are escaped."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return lines


def render_markdown(data: dict[str, Any]) -> str:
    """The report as Markdown: figures, pass rates, the case table, and the failing drafts."""
    summary = data["summary"]
    lines = ["# huashu eval", "", meta_line(data["meta"]), ""]
    lines += [*markdown_table(("figure", "value"), figure_rows(summary)), ""]
    for name, rates in breakdowns(summary):
        lines += [f"## Pass rate per {name}", ""]
        lines += [*markdown_table((name, "pass rate"), [(k, percent(v)) for k, v in rates.items()]), ""]
    for title, counts in (
        ("first attempt", summary["rules_first_attempt"]),
        ("final draft", summary["rules_final"]),
    ):
        if counts:
            lines += [f"## Blocking rules on the {title}", ""]
            lines += [*markdown_table(("rule", "cases"), [(k, str(v)) for k, v in counts.items()]), ""]
    lines += ["## Cases", "", *markdown_table(CASE_COLUMNS, case_rows(data)), ""]
    failing = [c for c in data["cases"] if not c["passed"]]
    if failing:
        lines += ["## Failing cases", ""]
    for case in failing:
        lines += [f"### {case['id']}", "", f"origin: {case['origin']}", ""]
        if case["error"]:
            lines += [f"error: {case['error']}", ""]
        lines += [f"- {x['label']}: {x['reason']}" for x in case["expectations"] if not x["passed"]]
        if case.get("draft"):
            lines += ["", "> " + case["draft"]["text"].replace("\n", "\n> ")]
        lines += [""]
    return "\n".join(lines).rstrip() + "\n"


def print_report(data: dict[str, Any], console: Console) -> None:
    """The per-case table, each failing check, and the aggregates on the terminal."""
    cases = Table(title="cases", box=box.SIMPLE_HEAD, pad_edge=False)
    # Kind is in the case id; the reasons follow the table (too wide for a column).
    shown = [i for i, name in enumerate(CASE_COLUMNS) if name not in ("kind", "failing")]
    for index in shown:
        cases.add_column(CASE_COLUMNS[index], no_wrap=True)
    for row in case_rows(data):
        style = "green" if row[4] == "PASS" else "red" if row[4] in ("STALE", "MISSING", "ERROR") else None
        cases.add_row(*(row[i] for i in shown), style=style)
    console.print(cases)
    for case in data["cases"]:
        if case["error"]:
            console.print(f"[red]{case['id']}[/red]: {case['error']}", soft_wrap=True)
        for check in case["expectations"]:
            if not check["passed"] and not case["error"]:
                console.print(f"[red]{case['id']}[/red] {check['label']}: {check['reason']}", soft_wrap=True)
    summary = data["summary"]
    figures = Table(title=meta_line(data["meta"]), show_header=False)
    figures.add_column("figure")
    figures.add_column("value")
    for name, value in figure_rows(summary):
        figures.add_row(name, value)
    console.print(figures)
    for name, rates in breakdowns(summary):
        table = Table(title=f"pass rate per {name}")
        table.add_column(name)
        table.add_column("pass rate", justify="right")
        for key, rate in rates.items():
            table.add_row(key, percent(rate))
        console.print(table)


def write_outputs(data: dict[str, Any], out: Path) -> list[Path]:
    """eval.json and eval.md in `out` (created if needed)."""
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / RUN_JSON, out / RUN_MARKDOWN
    json_path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    md_path.write_text(render_markdown(data), encoding="utf-8")
    return [json_path, md_path]


def read_run(path: Path) -> dict[str, Any]:
    """A saved run: a directory holding eval.json, or the JSON file itself."""
    file = path / RUN_JSON if path.is_dir() else path
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{file}: no eval run here; write one with: huashu eval --out {path}") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{file}: cannot read the eval run: {exc}") from None
    if not isinstance(data, dict) or "summary" not in data or "cases" not in data:
        raise InputError(f"{file}: not an eval run written by huashu eval --out")
    return data
