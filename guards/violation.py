"""What a guard reports: one Violation per finding, gathered in a GuardReport."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from guards.policy import Channel, FindingCategory, Scenario, Severity


@dataclass(frozen=True, slots=True)
class Violation:
    """One finding: which rule, where in the original text, and how to fix it."""

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
        return asdict(self)


@dataclass(frozen=True, slots=True)
class GuardReport:
    """All findings for one text, sorted by position; `ok` when nothing blocks."""

    text: str
    violations: tuple[Violation, ...]
    scenario: Scenario | None = None
    channel: Channel = "online"

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
        """A JSON-ready dict: ok, scenario, channel and the violations."""
        return {
            "ok": self.ok,
            "scenario": self.scenario,
            "channel": self.channel,
            "violations": [v.to_dict() for v in self.violations],
        }
