"""What a guard reports: one Violation per finding, gathered in a GuardReport."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from guards.policy import Channel, FindingCategory, Scenario, Severity
from guards.text import Document


class Violation(NamedTuple):
    """One finding: which rule, where in the original text, and how to fix it.

    Immutable and named; a NamedTuple rather than a frozen dataclass because a suite check
    builds several per reply and a frozen dataclass takes about three times as long to build.
    """

    category: FindingCategory
    rule_id: str
    severity: Severity
    start: int
    end: int
    match: str
    message: str
    suggestion: str
    source: str

    @property
    def blocking(self) -> bool:
        """True when this finding must be fixed before the reply is used."""
        return self.severity == "block"

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict with the fields in their documented order."""
        return self._asdict()


class Suppressed(NamedTuple):
    """A rule's match that is not a finding, and why (`huashu check --explain`)."""

    rule_id: str
    start: int
    end: int
    match: str
    reason: str


@dataclass(frozen=True, slots=True)
class RuleFinding:
    """What every finding of one rule says; `at` places it on a span of a Document."""

    category: FindingCategory
    rule_id: str
    severity: Severity
    message: str
    suggestion: str
    source: str

    def at(self, doc: Document, start: int, end: int, message: str | None = None) -> Violation:
        """The finding at [start, end) of `doc.norm`, mapped back to the original text."""
        if doc.offsets is not None:
            start, end = doc.original_span(start, end)
        fields = (
            self.category,
            self.rule_id,
            self.severity,
            start,
            end,
            doc.original[start:end],
            self.message if message is None else message,
            self.suggestion,
            self.source,
        )
        # tuple.__new__ skips the NamedTuple constructor's extra Python call: a check builds many.
        return tuple.__new__(Violation, fields)


class GuardReport(NamedTuple):
    """All findings for one text, sorted by position; `ok` when nothing blocks.

    A NamedTuple like Violation: one is built per check, and a frozen dataclass takes a
    microsecond longer to build.
    """

    text: str
    violations: tuple[Violation, ...]
    scenario: Scenario | None = None
    channel: Channel = "online"
    # With check(..., explain=True): the rules' matches that are no finding, and why.
    suppressed: tuple[Suppressed, ...] = ()

    @property
    def ok(self) -> bool:
        """True when no finding blocks."""
        return not any(v.blocking for v in self.violations)

    @property
    def blocking(self) -> list[Violation]:
        """The findings that block."""
        return [v for v in self.violations if v.blocking]

    @property
    def warnings(self) -> list[Violation]:
        """The findings that only warn."""
        return [v for v in self.violations if not v.blocking]

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict: ok, scenario, channel, the violations (and, when explained, suppressed)."""
        record: dict[str, object] = {
            "ok": self.ok,
            "scenario": self.scenario,
            "channel": self.channel,
            "violations": [v.to_dict() for v in self.violations],
        }
        if self.suppressed:
            record["suppressed"] = [s._asdict() for s in self.suppressed]
        return record
