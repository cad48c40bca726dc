"""What happened to each row, and the columns huashu adds to the output for it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from drafting.batch.rows import ADDED_PREFIX, BadRow, WorkRow
from drafting.models import Draft
from guards import SCENARIOS, Scenario, Violation

Status = Literal["clean", "violates", "rewritten", "still_violates", "error"]
Mode = Literal["check", "rewrite"]

COLUMN_STATUS = f"{ADDED_PREFIX}status"
COLUMN_REWRITTEN = f"{ADDED_PREFIX}rewritten"
COLUMN_FINDINGS = f"{ADDED_PREFIX}findings"
COLUMN_BEFORE = f"{ADDED_PREFIX}findings_before"
COLUMN_AFTER = f"{ADDED_PREFIX}findings_after"
COLUMN_ATTEMPTS = f"{ADDED_PREFIX}attempts"
COLUMN_MODEL = f"{ADDED_PREFIX}model"
COLUMN_ERROR = f"{ADDED_PREFIX}error"
ADDED_COLUMNS: dict[Mode, tuple[str, ...]] = {
    "check": (COLUMN_STATUS, COLUMN_FINDINGS, COLUMN_ERROR),
    "rewrite": (
        COLUMN_REWRITTEN,
        COLUMN_STATUS,
        COLUMN_BEFORE,
        COLUMN_AFTER,
        COLUMN_ATTEMPTS,
        COLUMN_MODEL,
        COLUMN_ERROR,
    ),
}


@dataclass(frozen=True)
class Rewrite:
    """A finished rewrite of one template (what the checkpoint stores)."""

    text: str
    passed: bool
    violations: tuple[Violation, ...]
    attempts: int
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    scenario: Scenario | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "text": self.text,
            "scenario": self.scenario,
            "passed": self.passed,
            "violations": [v.to_dict() for v in self.violations],
            "attempts": self.attempts,
            "model": self.model,
            "usage": [self.prompt_tokens, self.completion_tokens],
        }

    @classmethod
    def from_draft(cls, draft: Draft) -> Rewrite:
        """The parts of a Draft the output and the checkpoint keep."""
        return cls(
            text=draft.text,
            passed=draft.passed,
            violations=tuple(draft.violations),
            attempts=len(draft.attempts),
            model=draft.model,
            prompt_tokens=draft.usage.prompt_tokens,
            completion_tokens=draft.usage.completion_tokens,
            scenario=draft.scenario,
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Rewrite:
        """The Rewrite `to_dict` wrote."""
        prompt, completion = data.get("usage", (0, 0))
        return cls(
            text=data["text"],
            passed=bool(data["passed"]),
            violations=tuple(Violation(**v) for v in data["violations"]),
            attempts=int(data["attempts"]),
            model=str(data["model"]),
            prompt_tokens=int(prompt),
            completion_tokens=int(completion),
            scenario=_scenario(data.get("scenario")),
        )


def _scenario(value: object) -> Scenario | None:
    if value is None:
        return None
    if value not in SCENARIOS:
        raise ValueError(f"unknown scenario {value!r}")
    return value


@dataclass(frozen=True)
class RowOutcome:
    """One row's result: its status, findings before (and after a rewrite), or its error."""

    row: WorkRow | BadRow
    status: Status
    before: tuple[Violation, ...] = ()
    rewrite: Rewrite | None = None
    error: str = ""
    reused: bool = False

    @property
    def text(self) -> str:
        """The row's original text ('' for a bad row)."""
        return self.row.text if isinstance(self.row, WorkRow) else ""

    @property
    def after(self) -> tuple[Violation, ...]:
        """The findings in the rewrite (none without one)."""
        return self.rewrite.violations if self.rewrite else ()

    @property
    def blocking_before(self) -> bool:
        """True when the original has a finding that blocks."""
        return any(v.blocking for v in self.before)


def rewrite_status(rewrite: Rewrite) -> Status:
    """rewritten when the rewrite passed the guards, else still_violates."""
    return "rewritten" if rewrite.passed else "still_violates"


def format_findings(violations: Iterable[Violation]) -> str:
    """Findings in one readable line: rule「matched text」, warnings marked, separated by '; '."""
    parts = []
    for v in violations:
        quoted = f"「{v.match}」" if v.match else ""
        parts.append(f"{'' if v.blocking else '(warn) '}{v.rule_id}{quoted}")
    return "; ".join(parts)


def _check_values(outcome: RowOutcome) -> dict[str, Any]:
    return {
        COLUMN_STATUS: outcome.status,
        COLUMN_FINDINGS: format_findings(outcome.before),
        COLUMN_ERROR: outcome.error,
    }


def _rewrite_values(outcome: RowOutcome) -> dict[str, Any]:
    rewrite = outcome.rewrite
    return {
        COLUMN_REWRITTEN: rewrite.text if rewrite else "",
        COLUMN_STATUS: outcome.status,
        COLUMN_BEFORE: format_findings(outcome.before),
        COLUMN_AFTER: format_findings(rewrite.violations) if rewrite else "",
        COLUMN_ATTEMPTS: rewrite.attempts if rewrite else 0,
        COLUMN_MODEL: rewrite.model if rewrite else "",
        COLUMN_ERROR: outcome.error,
    }


_ADDED_VALUES: dict[Mode, Callable[[RowOutcome], dict[str, Any]]] = {
    "check": _check_values,
    "rewrite": _rewrite_values,
}


def added_values(outcome: RowOutcome, mode: Mode) -> dict[str, Any]:
    """The values of the columns huashu adds, for one row."""
    return _ADDED_VALUES[mode](outcome)


def output_row(outcome: RowOutcome, mode: Mode) -> dict[str, Any]:
    """The output row: every input value (earlier huashu columns dropped) plus the added ones."""
    values = {k: v for k, v in outcome.row.values.items() if not k.startswith(ADDED_PREFIX)}
    values.update(added_values(outcome, mode))
    return values
