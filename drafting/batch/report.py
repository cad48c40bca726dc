"""The run report: totals per status, per rule and per scenario, bad rows, and row details.

Outcomes are added one at a time as the run emits them; only counts and the first
`max_details` rows with findings (and the first `max_bad_rows` bad rows) are kept, so a
report of 100,000 rows costs no more memory than one of 1,000. Written as HTML (side-by-side
before/after, see report_html, which writes the files) or as a Markdown summary for CI logs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from drafting.batch.outcome import Mode, RowOutcome, Status
from drafting.batch.rows import BadRow
from drafting.prompting import labels
from guards import Violation

STATUS_ORDER: dict[Mode, tuple[Status, ...]] = {
    "check": ("clean", "violates", "error"),
    "rewrite": ("clean", "rewritten", "still_violates", "error"),
}
NO_SCENARIO = "(none)"
BAD_ROWS = "(bad rows)"
STDOUT = "-"
_MARKDOWN_ROWS = 20


@dataclass
class RuleTotal:
    """How often one rule fired, before and after rewriting."""

    rule_id: str
    category: str
    severity: str
    message: str
    before: int = 0
    after: int = 0


@dataclass(frozen=True)
class Detail:
    """One row shown in full: original, rewrite and their findings."""

    number: int
    id: str
    scenario: str
    status: Status
    original: str
    rewritten: str
    before: tuple[Violation, ...]
    after: tuple[Violation, ...]
    error: str


@dataclass(frozen=True)
class BadRowNote:
    """A bad row as the report lists it."""

    number: int
    id: str | None
    reason: str


@dataclass
class Report:
    """Aggregates outcomes into the figures and examples a reviewer needs."""

    mode: Mode
    source: str
    command: str = ""
    max_details: int = 500
    max_bad_rows: int = 1000
    statuses: Counter[str] = field(default_factory=Counter)
    rules: dict[str, RuleTotal] = field(default_factory=dict)
    scenarios: dict[str, Counter[str]] = field(default_factory=dict)
    bad_rows: list[BadRowNote] = field(default_factory=list)
    bad_total: int = 0
    details: list[Detail] = field(default_factory=list)
    detail_total: int = 0
    facts: dict[str, str] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        """Rows seen."""
        return sum(self.statuses.values())

    @property
    def title(self) -> str:
        """'huashu batch import: lib.csv': the command that made the report, and its input."""
        return f"huashu batch {self.command or self.mode}: {self.source}"

    @property
    def status_order(self) -> tuple[Status, ...]:
        """The statuses of this mode, in display order."""
        return STATUS_ORDER[self.mode]

    def add(self, outcome: RowOutcome) -> None:
        """Count one row (and keep it as a detail or bad row while there is room)."""
        self.statuses[outcome.status] += 1
        scenario = _scenario_label(outcome)
        self.scenarios.setdefault(scenario, Counter())[outcome.status] += 1
        self._count_rules(outcome.before, "before")
        self._count_rules(outcome.after, "after")
        if isinstance(outcome.row, BadRow):
            self.bad_total += 1
            if len(self.bad_rows) < self.max_bad_rows:
                self.bad_rows.append(BadRowNote(outcome.row.number, outcome.row.id, outcome.row.reason))
        elif outcome.before or outcome.rewrite or outcome.error:
            self.detail_total += 1
            if len(self.details) < self.max_details:
                self.details.append(_detail(outcome, scenario))

    def _count_rules(self, violations: Iterable[Violation], when: str) -> None:
        for v in violations:
            total = self.rules.get(v.rule_id)
            if total is None:
                total = self.rules[v.rule_id] = RuleTotal(v.rule_id, v.category, v.severity, v.message)
            setattr(total, when, getattr(total, when) + 1)

    def sorted_rules(self) -> list[RuleTotal]:
        """Rules by how often they fired before rewriting, then after."""
        return sorted(self.rules.values(), key=lambda r: (-r.before, -r.after, r.rule_id))

    def scenario_rows(self) -> list[tuple[str, Counter[str]]]:
        """Scenarios by row count."""
        return sorted(self.scenarios.items(), key=lambda item: (-sum(item[1].values()), item[0]))

    def markdown(self) -> str:
        """A short Markdown summary (for CI logs and job summaries)."""
        order = self.status_order
        lines = [f"## {self.title}", ""]
        lines += [f"- {name}: {value}" for name, value in self.facts.items()]
        lines += ["", _md_row(["rows", *order]), _md_row(["---"] * (len(order) + 1))]
        lines.append(_md_row([str(self.rows), *(str(self.statuses[s]) for s in order)]))
        lines += self._md_rules() + self._md_scenarios() + self._md_bad_rows()
        return "\n".join(lines) + "\n"

    def _md_rules(self) -> list[str]:
        rules = self.sorted_rules()
        if not rules:
            return []
        when = _when(self.mode)
        lines = ["", "### Findings per rule", "", _md_row(["rule", "category", "severity", *when])]
        lines.append(_md_row(["---"] * (3 + len(when))))
        for rule in rules[:_MARKDOWN_ROWS]:
            numbers = [str(rule.before), str(rule.after)][: len(when)]
            lines.append(_md_row([f"`{rule.rule_id}`", rule.category, rule.severity, *numbers]))
        if len(rules) > _MARKDOWN_ROWS:
            lines.append(f"\n… and {len(rules) - _MARKDOWN_ROWS} more rules (see the HTML report)")
        return lines

    def _md_scenarios(self) -> list[str]:
        order = self.status_order
        lines = ["", "### Per scenario", "", _md_row(["scenario", "rows", *order])]
        lines.append(_md_row(["---"] * (len(order) + 2)))
        for scenario, counts in self.scenario_rows():
            lines.append(_md_row([scenario, str(sum(counts.values())), *(str(counts[s]) for s in order)]))
        return lines

    def _md_bad_rows(self) -> list[str]:
        if not self.bad_total:
            return []
        lines = ["", f"### Bad rows ({self.bad_total})", ""]
        lines += [f"- row {b.number}{_id_note(b.id)}: {b.reason}" for b in self.bad_rows[:_MARKDOWN_ROWS]]
        if self.bad_total > _MARKDOWN_ROWS:
            lines.append(f"- … and {self.bad_total - _MARKDOWN_ROWS} more")
        return lines


def _when(mode: Mode) -> list[str]:
    return ["before", "after"] if mode == "rewrite" else ["rows"]


def _md_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def _id_note(row_id: str | None) -> str:
    return f" (id {row_id})" if row_id else ""


def _scenario_label(outcome: RowOutcome) -> str:
    if isinstance(outcome.row, BadRow):
        return BAD_ROWS
    scenario = outcome.row.scenario
    if not scenario:
        return NO_SCENARIO
    return f"{labels()['scenarios'].get(scenario, scenario)} ({scenario})"


def _detail(outcome: RowOutcome, scenario: str) -> Detail:
    rewrite = outcome.rewrite
    return Detail(
        number=outcome.row.number,
        id=outcome.row.id or "",
        scenario=scenario,
        status=outcome.status,
        original=outcome.text,
        rewritten=rewrite.text if rewrite else "",
        before=outcome.before,
        after=outcome.after,
        error=outcome.error,
    )
