"""The batch commands end to end: open the input, process every row, write output and reports.

Output is written row by row to a temporary file and renamed over the target only after the
last row (see io); reports are written after the output. A bad file stops before anything is
written; bad rows are reported and the run goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from drafting.batch import backends
from drafting.batch.backends import Backend
from drafting.batch.checkpoint import Checkpoint, RunIdentity, guard_engine_version
from drafting.batch.io import Output, Table, format_of, open_output, open_table
from drafting.batch.outcome import ADDED_COLUMNS, Mode, RowOutcome, output_row
from drafting.batch.progress import RowProgress
from drafting.batch.report import STDOUT, Report
from drafting.batch.report_html import write_report
from drafting.batch.rows import (
    BadRow,
    ColumnChoice,
    ColumnOptions,
    Defaults,
    RowReader,
    WorkRow,
    choose_columns,
    input_columns,
)
from drafting.batch.runner import RewriteOptions, RewriteRunner, RunStats, check_rows
from drafting.engine import Drafter
from drafting.errors import InputError
from drafting.prompting import prompt_fingerprint
from drafting.tones import Tone
from guards import Policy, compile_policy, policy_fingerprint

CHECKPOINT_SUFFIX = ".checkpoint.jsonl"


@dataclass(frozen=True)
class InputSpec:
    """Where the rows come from and how to read them."""

    path: Path
    columns: ColumnOptions = field(default_factory=ColumnOptions)
    defaults: Defaults = field(default_factory=Defaults)
    encoding: str | None = None
    sheet: str | None = None


@dataclass(frozen=True)
class OutputSpec:
    """Where results go: the output table (optional for check) and report files."""

    path: Path | None = None
    reports: tuple[str, ...] = ()
    progress: bool = False


@dataclass
class Summary:
    """What a command did, for its closing line and exit status."""

    report: Report
    output: Path | None
    seconds: float
    stats: RunStats = field(default_factory=RunStats)

    @property
    def exit_code(self) -> int:
        """2 when rows could not be used, 1 when rows still violate or failed, else 0."""
        statuses = self.report.statuses
        if self.report.bad_total:
            return 2
        return 1 if statuses["violates"] or statuses["still_violates"] or statuses["error"] else 0


@dataclass
class OpenedInput:
    """An open input table with its columns chosen."""

    table: Table
    choice: ColumnChoice
    reader: RowReader

    def rows(self) -> Iterator[WorkRow | BadRow]:
        """Every row as work or as a bad row, in order."""
        return self.reader.rows(self.table.rows())

    def describe(self) -> dict[str, str]:
        """Facts about the input for the report."""
        used = {"text": self.choice.text, "id": self.choice.id, "scenario": self.choice.scenario,
                "channel": self.choice.channel, "history": self.choice.history,
                "turn": self.choice.turn}  # fmt: skip
        facts = {"input": f"{self.table.path} ({self.table.format})"}
        if self.table.encoding:
            facts["encoding"] = self.table.encoding
        facts["columns"] = ", ".join(f"{k}={v}" for k, v in used.items() if v)
        return facts


@contextlib.contextmanager
def open_input(spec: InputSpec) -> Iterator[OpenedInput]:
    """The input table, its columns chosen; closed afterwards."""
    table = open_table(spec.path, encoding=spec.encoding, sheet=spec.sheet)
    try:
        choice = choose_columns(table.columns, spec.columns, str(spec.path))
        yield OpenedInput(table, choice, RowReader(choice, spec.defaults))
    finally:
        table.close()


def format_check(input_path: Path, output: Path) -> None:
    """Fail before any work when the output cannot be written: unknown type, or the input itself."""
    format_of(output)
    separate_files({"the input file": input_path}, {"the output file": output})


def separate_files(reads: Mapping[str, Path], writes: Mapping[str, Path | None]) -> None:
    """Fail before any work when a file the run writes is one it reads or another one it writes.

    The input is never changed: not by the output, the checkpoint (appended to) or a report.
    """
    seen = {_file_key(path): name for name, path in reads.items()}
    for name, path in writes.items():
        if path is None:
            continue
        key = _file_key(path)
        if key in seen:
            other = seen[key]
            why = " (the input is never changed)" if other in reads else ""
            raise InputError(f"{name} must not be {other}{why}: {path}", hint=f"give {name} another path")
        seen[key] = name


def _file_key(path: Path) -> object:
    """The same key for two names of one file (symlinks, hard links, relative paths)."""
    try:
        status = path.stat()
    except OSError:
        return path.resolve()
    return (status.st_dev, status.st_ino)


def report_files(reports: Iterable[str]) -> dict[str, Path | None]:
    """The report files among `reports` ('-' is stdout), named for separate_files."""
    files = [Path(target) for target in reports if target != STDOUT]
    return {f"the report{'' if len(files) == 1 else f' {path.name}'}": path for path in files}


def checkpoint_path(output: Path) -> Path:
    """The default checkpoint file of an output."""
    return output.with_name(output.name + CHECKPOINT_SUFFIX)


def prompt_version(drafter: Drafter, tone: Tone) -> str:
    """A hash of everything the prompts depend on: the prompts as sent, the tone, the attempts."""
    digest = hashlib.sha256(prompt_fingerprint(drafter.prompts).encode("ascii"))
    digest.update(tone.model_dump_json().encode("utf-8"))
    digest.update(str(drafter.max_attempts).encode("ascii"))
    return digest.hexdigest()[:16]


def run_identity(drafter: Drafter, tone: Tone) -> RunIdentity:
    """The identity checkpoint records of this run are keyed by."""
    return RunIdentity(
        policy_fingerprint(drafter.policy),
        drafter.client.model,
        prompt_version(drafter, tone),
        guard_engine_version(),
    )


class _Sink:
    """Sends each outcome to the output table, the report and the progress bar."""

    def __init__(self, output: Output | None, report: Report, progress: RowProgress, mode: Mode) -> None:
        self.output = output
        self.report = report
        self.progress = progress
        self.mode = mode

    def __call__(self, outcome: RowOutcome) -> None:
        if self.output is not None:
            self.output.write(output_row(outcome, self.mode))
        self.report.add(outcome)
        self.progress.advance(outcome)


Process = Callable[[OpenedInput, Callable[[RowOutcome], None]], RunStats]


def run(
    mode: Mode,
    spec: InputSpec,
    out: OutputSpec,
    process: Process,
    facts: dict[str, str] | None = None,
    command: str = "",
) -> Summary:
    """Open the input, feed every outcome of `process` to output/report/progress, commit them."""
    if out.path is not None:
        format_of(out.path)
    separate_files({"the input file": spec.path}, {"the output file": out.path, **report_files(out.reports)})
    started = time.perf_counter()
    with open_input(spec) as opened:
        report = Report(mode, spec.path.name, command)
        report.facts.update(opened.describe())
        report.facts.update(facts or {})
        output = None
        try:
            output = _open_output(out.path, opened, mode)
            total = opened.table.count() if out.progress else None
            with RowProgress(f"{mode}", total, enabled=out.progress) as progress:
                stats = process(opened, _Sink(output, report, progress, mode))
        except BaseException:
            if output is not None:
                output.discard()
            raise
        if output is not None:
            output.commit()
    report.facts.update(stats.describe())
    seconds = time.perf_counter() - started
    report.facts["time"] = f"{seconds:.1f} s ({report.rows / seconds if seconds else 0:.0f} rows/s)"
    for target in out.reports:
        write_report(report, target)
    return Summary(report, out.path, seconds, stats)


def _open_output(path: Path | None, opened: OpenedInput, mode: Mode) -> Output | None:
    if path is None:
        return None
    columns = [*input_columns(opened.table.columns), *ADDED_COLUMNS[mode]]
    same_kind = path.suffix.lower() == opened.table.path.suffix.lower()
    return open_output(path, columns, opened.table.encoding if same_kind else None)


def check_process(policy: Policy) -> Process:
    """Check every row with the guards."""
    compiled = compile_policy(policy)

    def process(opened: OpenedInput, emit: Callable[[RowOutcome], None]) -> RunStats:
        check_rows(opened.rows(), compiled, "online", emit)
        return RunStats()

    return process


def rewrite_process(
    backend: Backend, options: RewriteOptions, checkpoint_file: Path, *, resume: bool
) -> Process:
    """Rewrite the rows that need it through `backend`, with a checkpoint."""
    identity = run_identity(backend.drafter, options.tone)

    def process(opened: OpenedInput, emit: Callable[[RowOutcome], None]) -> RunStats:
        with Checkpoint(checkpoint_file, identity, resume=resume) as checkpoint:
            recheck = functools.partial(backends.recheck, backend.drafter, options.tone)
            runner = RewriteRunner(
                backend.drafter.compiled, backend.workers, checkpoint, identity, options, recheck
            )
            return asyncio.run(runner.run(opened.rows(), emit))

    return process
