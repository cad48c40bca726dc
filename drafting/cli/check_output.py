"""Outputs of `huashu check`: text for people, json and jsonl for programs."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import click
from rich.console import Console
from rich.text import Text

from drafting.cli.inputs import ReplyId
from drafting.cli.render import counted, report_lines, verdict
from drafting.cli.visible import safe_json, visible
from guards import GuardReport
from guards.violation import Suppressed


@dataclass(frozen=True)
class Outcome:
    """The result for one input: its guard report, or the error that kept it from being checked."""

    id: ReplyId
    line: int | None
    report: GuardReport | None = None
    error: str | None = None
    turn: str = "auto"

    def to_record(self) -> dict[str, object]:
        """A JSON-ready record: id, (line,) ok, (error,) scenario, channel, turn, violations."""
        record: dict[str, object] = {"id": self.id}
        if self.line is not None:
            record["line"] = self.line
        if self.report is None:
            return {**record, "ok": False, "error": self.error, "violations": []}
        checked = self.report.to_dict()
        violations = checked.pop("violations")
        suppressed = checked.pop("suppressed", None)
        record = {**record, **checked, "turn": self.turn, "violations": violations}
        return record if suppressed is None else {**record, "suppressed": suppressed}


@dataclass
class Totals:
    """Counts over every input, and the exit code they mean."""

    replies: int = 0
    ok: int = 0
    blocked: int = 0
    blocking_findings: int = 0
    warnings: int = 0
    error_lines: list[int] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        """Count one outcome."""
        self.replies += 1
        if outcome.report is None:
            self.error_lines.append(outcome.line or 0)
            return
        self.ok += outcome.report.ok
        self.blocked += not outcome.report.ok
        self.blocking_findings += len(outcome.report.blocking)
        self.warnings += len(outcome.report.warnings)

    @property
    def exit_code(self) -> int:
        """2 when any input could not be checked, else 1 when any reply is blocked, else 0."""
        if self.error_lines:
            return 2
        return 1 if self.blocked else 0

    def summary(self) -> str:
        """One line over all inputs."""
        parts = [f"{counted(self.replies, 'reply', 'replies')}: {self.ok} ok, {self.blocked} blocked"]
        if self.error_lines:
            lines = ", ".join(map(str, self.error_lines))
            parts[0] += f", {len(self.error_lines)} not checked (line {lines})"
        parts.append(
            f"{counted(self.blocking_findings, 'blocking finding')}, {counted(self.warnings, 'warning')}"
        )
        return " · ".join(parts)


class Output(Protocol):
    """Where outcomes go as they are produced."""

    def add(self, outcome: Outcome) -> None:
        """Write (or keep) one outcome."""
        ...

    def finish(self, totals: Totals) -> None:
        """Write whatever comes after the last outcome."""
        ...


def _not_a_finding(suppressed: Suppressed) -> Text:
    """One line of --explain: a rule's match that is no finding, and why."""
    where = f"“{visible(suppressed.match)}” [{suppressed.start}-{suppressed.end}]"
    return Text(f"  not a finding: {suppressed.rule_id} {where} — {suppressed.reason}", style="dim")


class TextOutput:
    """For people: each reply with its findings marked; colour only on a terminal."""

    def __init__(self, many: bool) -> None:
        self.many = many
        self.console = Console(highlight=False, soft_wrap=True, emoji=False)
        self.styled = bool(
            self.console.is_terminal and self.console.color_system and not self.console.no_color
        )

    def add(self, outcome: Outcome) -> None:
        """Print one reply (or the problem with its line) and its findings."""
        if self.many:
            self._emit(self._header(outcome))
        if outcome.report is None:
            self._emit(Text(f"error: {visible(outcome.error or '')}", style="bold red"))
        else:
            for line in report_lines(outcome.report, styled=self.styled):
                self._emit(line)
            for suppressed in outcome.report.suppressed:
                self._emit(_not_a_finding(suppressed))
            self._emit(verdict(outcome.report))
        if self.many:
            self._emit(Text())

    def finish(self, totals: Totals) -> None:
        """Print the summary over all replies (a single reply's verdict already is one)."""
        if self.many:
            self._emit(Text(totals.summary(), style="bold"))

    def _header(self, outcome: Outcome) -> Text:
        parts = [f"line {outcome.line}" if outcome.line is not None else "reply"]
        if outcome.id is not None:
            parts.append(f"id {visible(str(outcome.id))}")
        if outcome.report is not None:
            parts += [outcome.report.scenario or "no scenario", outcome.report.channel]
            if outcome.turn != "auto":
                parts.append(outcome.turn)
        return Text(f"── {' · '.join(parts)} ──", style="bold cyan")

    def _emit(self, line: Text) -> None:
        if self.styled:
            self.console.print(line)
        else:
            click.echo(line.plain)


class JsonlOutput:
    """For programs: one JSON object per input, written as soon as it is checked."""

    def __init__(self, many: bool) -> None:
        self.many = many

    def add(self, outcome: Outcome) -> None:
        """Write one record on its own line."""
        click.echo(safe_json(outcome.to_record()))

    def finish(self, totals: Totals) -> None:
        """Nothing follows the records."""


class JsonOutput:
    """For programs: one JSON document, a list for --jsonl input and an object for one reply.

    The list is written record by record as the replies are checked (memory stays flat over
    100,000 lines); the text is the same as json.dumps of the whole list with indent=2.
    """

    def __init__(self, many: bool) -> None:
        self.many = many
        self.written = 0
        self.single: dict[str, object] | None = None

    def add(self, outcome: Outcome) -> None:
        """Write the record as the next element of the list (keep it, for a single reply)."""
        record = outcome.to_record()
        if not self.many:
            self.single = record
            return
        element = safe_json(record, indent=2).replace("\n", "\n  ")  # newlines in strings are \n
        # No flush per record (click.echo's): nobody can read half a document anyway.
        sys.stdout.write(("[\n  " if not self.written else ",\n  ") + element)
        self.written += 1

    def finish(self, totals: Totals) -> None:
        """Close the list (or write the single reply's object)."""
        if not self.many:
            click.echo(safe_json(self.single, indent=2))
        else:
            click.echo("\n]" if self.written else "[]")


OUTPUTS: dict[str, Callable[[bool], Output]] = {
    "text": TextOutput,
    "json": JsonOutput,
    "jsonl": JsonlOutput,
}
