"""`huashu eval`: run the eval cases against recorded (or freshly recorded) model responses."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from drafting.engine import DEFAULT_MAX_ATTEMPTS
from drafting.errors import HuashuError, InputError
from drafting.models import STRATEGY_CHOICES, Strategy, StrategyChoice

if TYPE_CHECKING:
    from evals.cases import EvalCase
    from evals.runner import CaseResult, EvalRun, EvalRunner
    from evals.summary import Summary
    from guards import Policy

_PIPED_WIDTH = 140
_EPILOG = """\b
Examples:
  huashu eval                                   replay every case (no network)
  huashu eval --case complaint-crash-01 --out out/eval
  huashu eval --record                          record absent cassettes (local model,
                                                or HUASHU_BASE_URL/HUASHU_MODEL)
  huashu eval --record --force --case ID        re-record one case
  huashu eval --record --model gpt-4o-mini      record another model into its own folder
  huashu eval --strategy free --out out/free    replay the free strategy's cassettes
  huashu eval --compare out/free out/compose    two runs side by side
  huashu eval --compare-strategies --out out    free and compose replayed side by side

\b
Exit status:
  0  the run finished (failing expectations are in the report)
  1  stale or missing cassettes, or the pass rate is under --fail-under
  2  bad input (case file, case id, policy, folders)
  4  the model endpoint failed while recording
"""


def register(group: click.Group) -> None:
    """Add the command to the `huashu` group."""
    group.add_command(eval_command)


@click.command("eval", epilog=_EPILOG)
@click.option("--cases", "case_paths", multiple=True, metavar="PATH", help="Case files or folders.")
@click.option("--case", "case_ids", multiple=True, metavar="ID", help="Only these cases (repeatable).")
@click.option("--model", help="Replay: whose cassettes. Record: the model to ask at the endpoint.")
@click.option(
    "--strategy",
    type=click.Choice(STRATEGY_CHOICES),
    default="auto",
    show_default=True,
    help="Drafting strategy (cassettes in <model>/<strategy>/). auto: replay compose when recorded, "
    "else free; record compose on the embedded model, free on an endpoint.",
)
@click.option("--cassettes", "cassettes_dir", metavar="DIR", help="Cassette root (default: evals/cassettes).")
@click.option("--record", is_flag=True, help="Record absent cassettes from the live model first.")
@click.option("--force", is_flag=True, help="With --record: re-record existing cassettes too.")
@click.option("--max-attempts", type=click.IntRange(1, 10), default=DEFAULT_MAX_ATTEMPTS, show_default=True)
@click.option(
    "--policy", "policy_file", metavar="FILE", help="A company policy file (merged over the default)."
)
@click.option("--out", "out_dir", metavar="DIR", help="Write eval.json and eval.md (or compare.md) here.")
@click.option("--compare", nargs=2, metavar="DIR_A DIR_B", help="Compare two saved runs instead of running.")
@click.option(
    "--compare-strategies",
    is_flag=True,
    help="Replay the free and the compose cassettes of the model and show them side by side "
    "(--out DIR writes DIR/free, DIR/compose and DIR/compare.md).",
)
@click.option("--fail-under", type=click.FloatRange(0, 1), help="Exit 1 when fewer cases pass (0..1).")
@click.option("--save-baseline", is_flag=True, help="Accept this run's verdicts as the baseline.")
@click.option(
    "--check-baseline", is_flag=True, help="Exit 1 when an expectation fails that passed in the baseline."
)
@click.option("--list", "list_only", is_flag=True, help="List the selected cases and exit.")
def eval_command(
    case_paths: tuple[str, ...],
    case_ids: tuple[str, ...],
    model: str | None,
    strategy: StrategyChoice,
    cassettes_dir: str | None,
    record: bool,
    force: bool,
    max_attempts: int,
    policy_file: str | None,
    out_dir: str | None,
    compare: tuple[str, str] | None,
    compare_strategies: bool,
    fail_under: float | None,
    save_baseline: bool,
    check_baseline: bool,
    list_only: bool,
) -> int:
    """Run the eval cases on recorded model responses and report pass rates.

    Each case drafts (or rewrites) a reply through the engine, replaying the model's recorded
    HTTP responses (evals/cassettes/<model>/<case>.yaml), and judges it with its expectations.
    """
    # The eval machinery (vcrpy, the case files) loads only when this command runs.
    from evals.cases import load_cases
    from evals.cassettes import bundled_cassettes_dir
    from evals.report import print_report, write_outputs
    from evals.summary import run_json, summarize
    from guards import load_policy

    # Piped output keeps full table rows (rich would fold them to 80 columns).
    console = Console(width=None if sys.stdout.isatty() else _PIPED_WIDTH)
    if compare:
        return _compare(Path(compare[0]), Path(compare[1]), out_dir, console)
    if force and not record:
        raise click.UsageError("--force only applies with --record")
    if compare_strategies and record:
        raise click.UsageError("--compare-strategies replays; record each strategy first")
    cases = _select(load_cases([Path(p) for p in case_paths] or None), case_ids)
    if list_only:
        for case in cases:  # tab-separated, for scripts
            click.echo(f"{case.id}\t{case.kind}\t{case.scenario}\t{case.channel}\t{case.origin}")
        return 0
    policy = load_policy(policy_file)
    root = Path(cassettes_dir) if cassettes_dir else bundled_cassettes_dir()
    if compare_strategies:
        return _compare_strategies(root, model, cases, policy, out_dir, console)
    runner = _runner(root, model, strategy, record, force, max_attempts, policy)
    run = _run_with_progress(runner, cases, console)
    summary = summarize(run)
    data = run_json(run, summary)
    print_report(data, console)
    if out_dir:
        for path in write_outputs(data, Path(out_dir)):
            console.print(f"wrote {path}")
    regressed = _baseline(runner, run, save_baseline, check_baseline, console)
    return max(_exit_status(run, summary, fail_under, console), int(regressed))


def _select(cases: list[EvalCase], ids: tuple[str, ...]) -> list[EvalCase]:
    if not ids:
        return cases
    known = {c.id for c in cases}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise InputError(f"unknown case id {unknown[0]!r}; list them with: huashu eval --list")
    return [c for c in cases if c.id in set(ids)]


def _runner(
    root: Path,
    model: str | None,
    strategy: StrategyChoice,
    record: bool,
    force: bool,
    max_attempts: int,
    policy: Policy,
) -> EvalRunner:
    from drafting.api import resolve_settings
    from drafting.cli.draft_output import status_printer
    from drafting.settings import load_settings
    from evals.cassettes import recorded_strategies
    from evals.runner import record_runner, replay_runner

    if record:
        local = not load_settings().configured
        live = resolve_settings(on_status=status_printer(Console(stderr=True)))
        if model:
            live = dataclasses.replace(live, model=model)
        chosen: Strategy = ("compose" if local else "free") if strategy == "auto" else strategy
        return record_runner(
            root, live, max_attempts=max_attempts, strategy=chosen, policy=policy, force=force
        )
    model = model or _only_model(root)
    recorded = recorded_strategies(root, model)
    chosen = (recorded[0] if recorded else "compose") if strategy == "auto" else strategy
    return replay_runner(root, model, strategy=chosen, policy=policy)


def _only_model(root: Path) -> str:
    from evals.cassettes import recorded_models

    models = recorded_models(root)
    if len(models) == 1:
        return models[0]
    if not models:
        raise HuashuError(f"no recorded cassettes in {root}", hint="record them: huashu eval --record")
    raise InputError(f"cassettes of several models in {root}; choose one with --model: {', '.join(models)}")


def _run_with_progress(runner: EvalRunner, cases: list[EvalCase], console: Console) -> EvalRun:
    from evals.report import outcome_label

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[last]}"),
    )
    verb = "recording" if runner.live else "replaying"
    with Progress(*columns, console=console, transient=True) as progress:
        name = f"{runner.manifest.model} ({runner.manifest.strategy})"
        task = progress.add_task(f"{verb} {name}", total=len(cases), last="")

        def advance(result: CaseResult) -> None:
            mark = outcome_label(result.passed, result.status)
            note = " (recorded)" if result.recorded_now else ""
            progress.update(task, advance=1, last=f"{result.case.id}: {mark}{note}")
            if runner.live is not None:
                progress.console.print(f"{result.case.id}: {mark}{note}")

        return runner.run(cases, on_case=advance)


def _baseline(runner: EvalRunner, run: EvalRun, save: bool, check: bool, console: Console) -> bool:
    """Check the run against the baseline, and accept it (all of it, or what was recorded now)."""
    from evals.baseline import load_baseline, regressions, update_baseline

    found = (
        regressions(load_baseline(runner.folder), run, "accept it: huashu eval --save-baseline")
        if check
        else []
    )
    for regression in found:
        console.print(f"[red]baseline: {regression.message}[/red]", soft_wrap=True)
    accepted = run.results if save else [r for r in run.results if r.recorded_now]
    if accepted:
        update_baseline(runner.folder, accepted)
        console.print(f"baseline updated for {len(accepted)} case(s) in {runner.folder}")
    return bool(found)


def _exit_status(run: EvalRun, summary: Summary, fail_under: float | None, console: Console) -> int:
    for result in run.unusable:
        console.print(f"[red]{result.error}[/red]", soft_wrap=True)
    if run.unusable:
        return 1
    rate = summary.case_pass.value
    if fail_under is not None and (rate is None or rate < fail_under):
        console.print(f"[red]case pass rate {rate or 0:.0%} is under --fail-under {fail_under:.0%}[/red]")
        return 1
    return 0


def _compare_strategies(
    root: Path,
    model: str | None,
    cases: list[EvalCase],
    policy: Policy,
    out_dir: str | None,
    console: Console,
) -> int:
    """Replay both strategies of a model in one run and show them side by side."""
    from evals.compare import print_comparison
    from evals.compare import render_markdown as comparison_markdown
    from evals.report import write_outputs
    from evals.runner import replay_runner
    from evals.summary import run_json, summarize

    model = model or _only_model(root)
    runs: list[dict[str, Any]] = []
    status = 0
    for strategy in ("free", "compose"):
        runner = replay_runner(root, model, strategy=strategy, policy=policy)
        run = _run_with_progress(runner, cases, console)
        summary = summarize(run)
        runs.append(run_json(run, summary))
        status = max(status, _exit_status(run, summary, None, console))
        if out_dir:
            for path in write_outputs(runs[-1], Path(out_dir) / strategy):
                console.print(f"wrote {path}")
    print_comparison(runs[0], runs[1], console)
    if out_dir:
        path = Path(out_dir) / "compare.md"
        path.write_text(comparison_markdown(runs[0], runs[1]), encoding="utf-8")
        console.print(f"wrote {path}")
    return status


def _compare(a: Path, b: Path, out_dir: str | None, console: Console) -> int:
    from evals.compare import print_comparison
    from evals.compare import render_markdown as comparison_markdown
    from evals.report import read_run

    run_a, run_b = read_run(a), read_run(b)
    print_comparison(run_a, run_b, console)
    if out_dir:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        path = out / "compare.md"
        path.write_text(comparison_markdown(run_a, run_b), encoding="utf-8")
        console.print(f"wrote {path}")
    return 0
