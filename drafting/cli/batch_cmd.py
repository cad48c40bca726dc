"""`huashu batch`: check or rewrite a whole template library (CSV, XLSX, JSONL) in one run."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from drafting.batch.rows import ColumnOptions, Defaults
from drafting.cli.draft_output import TIMEOUT_OPTION
from drafting.cli.visible import visible
from drafting.engine import DEFAULT_MAX_ATTEMPTS
from drafting.settings import STRUCTURED_MODES
from drafting.tones import get_tone, tone_names
from guards import CHANNELS, SCENARIOS, load_policy

if TYPE_CHECKING:
    from drafting.batch.pipeline import InputSpec, Summary

F = TypeVar("F", bound=Callable[..., Any])

_EPILOG = """\b
Examples:
  huashu batch check library.xlsx --report report.html
  huashu batch check library.csv -o findings.csv --report - | tee summary.md
  huashu batch rewrite library.csv -o rewritten.csv --report report.html --concurrency 16
  huashu batch rewrite library.csv -o rewritten.csv --resume        # after an interruption
  huashu batch export library.csv -o requests.jsonl --model gpt-4o-mini
  huashu batch import results.jsonl --input library.csv -o rewritten.csv --report report.html

\b
Input: .csv/.tsv (UTF-8, GBK/GB18030 or UTF-16, detected), .xlsx (first row = header),
.jsonl (one object per line). The text column is found by its header (话术, 回复, 内容,
text, reply, content, …) or named with --text-column; likewise id (编号, id), scenario (场景),
channel (渠道), and the conversation: history (对话历史: earlier turns as a JSON list or
客户：/客服： lines) and turn (轮次: first, follow_up, auto). Output keeps every input
column and adds huashu_* columns; its format follows the -o extension. Exit status: 0 all
clean (or rewritten), 1 rows still violate or failed, 2 bad rows or a bad file, 4 endpoint
failed.
"""


def register(group: click.Group) -> None:
    """Add the `batch` command group to the `huashu` group."""
    group.add_command(batch_group)


@click.group("batch", epilog=_EPILOG)
def batch_group() -> None:
    """Check or rewrite a whole library of canned replies (话术库) in one run."""


def _input_options(function: F) -> F:
    options = [
        click.option("--text-column", metavar="NAME", help="Column with the reply text (default: detected)."),
        click.option("--id-column", metavar="NAME", help="Column with a unique row id (default: detected)."),
        click.option("--scenario-column", metavar="NAME", help="Column with each row's scenario."),
        click.option("--channel-column", metavar="NAME", help="Column with each row's channel."),
        click.option(
            "--history-column",
            metavar="NAME",
            help="Column with each row's earlier turns: a JSON list of {speaker, text}, or lines "
            "客户：… / 客服：… (default: detected).",
        ),
        click.option(
            "--turn-column",
            metavar="NAME",
            help="Column with each row's turn: first, follow_up or auto (default: detected).",
        ),
        click.option("--scenario", type=click.Choice(SCENARIOS), help="Scenario of rows that name none."),
        click.option("--channel", type=click.Choice(CHANNELS), help="Channel of rows that name none."),
        click.option("--encoding", metavar="NAME", help="Encoding of a CSV/JSONL input (default: detected)."),
        click.option("--sheet", metavar="NAME", help="Sheet of an .xlsx input (default: the active one)."),
        click.option("--policy", "policy_file", metavar="FILE", help="A company policy file."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _input_spec(path: str, options: dict[str, Any]) -> InputSpec:
    from drafting.batch.io import checked_encoding
    from drafting.batch.pipeline import InputSpec

    columns = ColumnOptions(
        options["text_column"],
        options["id_column"],
        options["scenario_column"],
        options["channel_column"],
        options["history_column"],
        options["turn_column"],
    )
    defaults = Defaults(options["scenario"], options["channel"])
    return InputSpec(Path(path), columns, defaults, checked_encoding(options["encoding"]), options["sheet"])


_REPORT = click.option(
    "--report",
    "reports",
    multiple=True,
    metavar="FILE",
    help="Write a report: FILE.html (side by side), FILE.md, or - (Markdown on stdout). Repeatable.",
)
_TONE = click.option("--tone", default="标准", show_default=True, help=f"One of: {', '.join(tone_names())}.")
_ALL = click.option(
    "--all", "rewrite_all", is_flag=True, help="Rewrite every row, not only rows with findings."
)


@batch_group.command("check")
@click.argument("input_path", metavar="INPUT")
@click.option("-o", "--output", metavar="FILE", help="Write every row with its findings (.csv/.xlsx/.jsonl).")
@_REPORT
@_input_options
def check_command(input_path: str, output: str | None, reports: tuple[str, ...], **options: Any) -> int:
    """Check every row with the guards only (no model): lint a whole library in seconds."""
    from drafting.batch import pipeline

    spec = _input_spec(input_path, options)
    out = pipeline.OutputSpec(Path(output) if output else None, reports, _show_progress(None))
    summary = pipeline.run("check", spec, out, pipeline.check_process(load_policy(options["policy_file"])))
    _print_summary(summary)
    return summary.exit_code


@batch_group.command("rewrite")
@click.argument("input_path", metavar="INPUT")
@click.option(
    "-o", "--output", required=True, metavar="FILE", help="The rewritten library (.csv/.xlsx/.jsonl)."
)
@_TONE
@_REPORT
@_ALL
@click.option("--concurrency", type=click.IntRange(1, 256), default=8, show_default=True,
              help="Model calls in flight at once.")  # fmt: skip
@click.option("--rpm", type=click.FloatRange(0, min_open=True), help="At most this many requests per minute.")
@click.option("--tpm", type=click.FloatRange(0, min_open=True), help="At most this many tokens per minute.")
@click.option("--resume", is_flag=True, help="Keep the rows an earlier, interrupted run finished.")
@click.option("--checkpoint", metavar="FILE", help="Checkpoint file (default: OUTPUT.checkpoint.jsonl).")
@click.option("--max-attempts", type=click.IntRange(1, 10), default=DEFAULT_MAX_ATTEMPTS, show_default=True)
@TIMEOUT_OPTION
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal).")
@_input_options
def rewrite_command(
    input_path: str,
    output: str,
    tone: str,
    reports: tuple[str, ...],
    rewrite_all: bool,
    concurrency: int,
    rpm: float | None,
    tpm: float | None,
    resume: bool,
    checkpoint: str | None,
    max_attempts: int,
    timeout_s: float | None,
    progress: bool | None,
    **options: Any,
) -> int:
    """Rewrite every row with findings (or all, with --all), then check the rewrite again."""
    from rich.console import Console

    from drafting.api import resolve_settings
    from drafting.batch import pipeline
    from drafting.batch.backends import ModelSetup, open_backend
    from drafting.batch.limits import Limits
    from drafting.batch.runner import RewriteOptions
    from drafting.cli.draft_output import status_printer, with_timeout
    from drafting.settings import load_settings

    chosen_tone = get_tone(tone)
    spec = _input_spec(input_path, options)
    policy = load_policy(options["policy_file"])
    output_path = Path(output)
    pipeline.format_check(spec.path, output_path)
    checkpoint_file = Path(checkpoint) if checkpoint else pipeline.checkpoint_path(output_path)
    pipeline.separate_files(
        {"the input file": spec.path},
        {"the output file": output_path, **pipeline.report_files(reports), "the checkpoint": checkpoint_file},
    )
    settings = resolve_settings(
        with_timeout(load_settings(), timeout_s), on_status=status_printer(Console(stderr=True))
    )
    setup = ModelSetup(concurrency, Limits(rpm, tpm), max_attempts)
    backend = open_backend(settings, policy, chosen_tone, setup)
    try:
        process = pipeline.rewrite_process(
            backend,
            RewriteOptions(chosen_tone, rewrite_all, concurrency),
            checkpoint_file,
            resume=resume,
        )
        facts = {"model": f"{backend.client.model} at {settings.shown_url}", "tone": chosen_tone.name}
        out = pipeline.OutputSpec(output_path, reports, _show_progress(progress))
        summary = pipeline.run("rewrite", spec, out, process, facts)
    finally:
        backend.close()
    _print_summary(summary)
    return summary.exit_code


@batch_group.command("export")
@click.argument("input_path", metavar="INPUT")
@click.option("-o", "--output", required=True, metavar="FILE.jsonl", help="The Batch API request file.")
@_TONE
@_ALL
@click.option("--model", metavar="NAME", help="Model the batch service runs (default: HUASHU_MODEL).")
@click.option("--structured-mode", type=click.Choice([m for m in STRUCTURED_MODES if m != "auto"]),
              help="response_format of the requests (default: json_schema).")  # fmt: skip
@_input_options
def export_command(
    input_path: str,
    output: str,
    tone: str,
    rewrite_all: bool,
    model: str | None,
    structured_mode: str | None,
    **options: Any,
) -> int:
    """Write the rewrites as OpenAI Batch API requests (also what `vllm run-batch` reads)."""
    from dataclasses import replace

    from drafting.batch import openai_batch, pipeline
    from drafting.settings import load_settings

    chosen_tone = get_tone(tone)
    policy = load_policy(options["policy_file"])
    settings = load_settings()
    settings = replace(settings, model=model or settings.model)
    mode = structured_mode or (
        settings.structured_mode if settings.structured_mode != "auto" else "json_schema"
    )
    with pipeline.open_input(_input_spec(input_path, options)) as opened:
        summary = openai_batch.export_requests(
            opened, Path(output), policy=policy, tone=chosen_tone, settings=settings,
            mode=mode, rewrite_all=rewrite_all,  # type: ignore[arg-type]
        )  # fmt: skip
    shared = summary.rows - summary.requests
    click.echo(
        f"huashu: wrote {summary.requests} requests to {output} for {summary.rows} rows "
        f"({shared} identical templates share a request); {summary.clean} clean rows need none",
        err=True,
    )
    for bad in summary.bad_rows[:10]:
        click.echo(f"huashu: row {bad.number} skipped: {visible(bad.reason)}", err=True)
    return 2 if summary.bad_rows else 0


@batch_group.command("import")
@click.argument("results_path", metavar="RESULTS.jsonl")
@click.option("--input", "input_path", required=True, metavar="INPUT", help="The library that was exported.")
@click.option(
    "-o", "--output", required=True, metavar="FILE", help="The rewritten library (.csv/.xlsx/.jsonl)."
)
@_TONE
@_REPORT
@_input_options
def import_command(
    results_path: str, input_path: str, output: str, tone: str, reports: tuple[str, ...], **options: Any
) -> int:
    """Map Batch API results back to the library, check them, and write output and report."""
    from drafting.batch import openai_batch, pipeline

    chosen_tone = get_tone(tone)
    policy = load_policy(options["policy_file"])
    spec = _input_spec(input_path, options)
    pipeline.format_check(spec.path, Path(output))
    pipeline.separate_files(
        {"the input file": spec.path, "the results file": Path(results_path)},
        {"the output file": Path(output), **pipeline.report_files(reports)},
    )
    results = openai_batch.ResultIndex(Path(results_path))
    try:
        process = openai_batch.import_process(results, policy, chosen_tone)
        out = pipeline.OutputSpec(Path(output), reports, _show_progress(None))
        facts = {"results": results_path}
        unreadable = results.unreadable_lines()
        if unreadable:
            facts["unreadable results"] = f"{len(results.unreadable)} ({unreadable})"
        summary = pipeline.run("rewrite", spec, out, process, facts, command="import")
    finally:
        results.close()
    if unreadable:
        count = len(results.unreadable)
        click.echo(
            f"huashu: {Path(results_path).name}: {count} line{'s' if count > 1 else ''} could not be read "
            f"({unreadable}); their rows are error rows, every other row was imported",
            err=True,
        )
    _print_summary(summary)
    return summary.exit_code


def _show_progress(flag: bool | None) -> bool:
    return sys.stderr.isatty() if flag is None else flag


def _print_summary(summary: Summary) -> None:
    report = summary.report
    counts = ", ".join(f"{report.statuses[s]} {s}" for s in report.status_order if report.statuses[s])
    target = f" → {summary.output}" if summary.output else ""
    click.echo(f"huashu: {report.rows} rows: {counts or 'none'}{target} ({summary.seconds:.1f} s)", err=True)
    for bad in report.bad_rows[:5]:
        click.echo(f"huashu: row {bad.number}: {visible(bad.reason)}", err=True)
    if report.bad_total > 5:
        click.echo(f"huashu: … {report.bad_total - 5} more bad rows (see the report)", err=True)
