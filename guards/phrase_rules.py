"""Phrase rules: what one rule of a policy finds in a reply, read top to bottom.

A rule finds every match of its patterns, at every position, and keeps those that are the
agent's own words (not inside quotation marks, not reported or echoed from the customer), not
in a context its `not_when` names (a condition, a negation, a hedge, a past fact … judged by
`guards.clauses`) and not cancelled by one of its `unless` patterns matching nearby.
Within a category, findings do not overlap: the leftmost wins, and at the same place the
rule (and pattern) that comes first in the policy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from guards.clauses import decide
from guards.patterns import PolicyPattern
from guards.policy import CHANNELS, SCENARIOS, Category, Channel, PhraseRule, Scenario
from guards.text import Document, Span
from guards.violation import RuleFinding, Suppressed, Violation

# How far around a match an `unless` pattern may reach to cancel it.
UNLESS_WINDOW = 24

# What a match cancelled by its context is not, per category (否定：“不一定” — 不算承诺).
_NOT_A: dict[Category, str] = {
    "forbidden_phrase": "不算禁用说法",
    "unkeepable_promise": "不算承诺",
    "blame_or_argue": "不算指责或争辩",
    "tone": "不算语气问题",
    "privacy": "不算隐私",
    "missing_structure": "不算缺失",
}

# Extra judgement of a match beyond quotes and `unless` (compensation the company authorised).
MatchFilter = Callable[[PhraseRule, Document, int, int], bool]


class Candidate(NamedTuple):
    """An accepted match, ordered by position, then rule, then pattern."""

    start: int
    rule_order: int
    pattern_order: int
    end: int


@dataclass(frozen=True)
class CompiledPhraseRule:
    """One phrase rule with its patterns compiled; `first_pattern` numbers them in the policy."""

    rule: PhraseRule
    category: Category
    patterns: tuple[PolicyPattern, ...]
    unless: PolicyPattern | None
    finding: RuleFinding
    first_pattern: int
    numbers: frozenset[int]  # the numbers of its patterns in the policy

    @classmethod
    def of(cls, category: Category, rule: PhraseRule, first_pattern: int) -> CompiledPhraseRule:
        """Compile `rule`; its patterns are numbered from `first_pattern` on."""
        patterns = tuple(PolicyPattern.one(rule.id, p) for p in rule.patterns)
        finding = RuleFinding(
            category, rule.id, rule.severity, rule.message, rule.suggestion, str(rule.source)
        )
        unless = PolicyPattern.of(f"{rule.id} (unless)", rule.unless)
        numbers = frozenset(range(first_pattern, first_pattern + len(patterns)))
        return cls(rule, category, patterns, unless, finding, first_pattern, numbers)

    def applies(self, channel: Channel, scenario: Scenario | None) -> bool:
        """True when the rule is checked on this channel and scenario (None: any scenario)."""
        return channel in self.rule.channels and (scenario is None or scenario in self.rule.scenarios)

    def matches(self, doc: Document, may_match: frozenset[int] | None) -> Iterator[tuple[int, Span]]:
        """(pattern number, span) of every non-empty match of the rule's patterns, at every
        position; whether a match is the agent's own words is `reason_to_drop`'s question.

        `may_match`: the pattern numbers a prefilter found possible (None: all).
        """
        if may_match is None:
            numbers: Iterable[int] = range(len(self.patterns))
        else:
            numbers = sorted(n - self.first_pattern for n in self.numbers & may_match)
        for number in numbers:
            for match in self.patterns[number].finditer(doc.norm, overlapped=True):
                start, end = match.span()
                if start != end:
                    yield number, Span(start, end)

    def reason_to_drop(self, doc: Document, start: int, end: int, keep: MatchFilter | None) -> str | None:
        """Why a match is not the agent's own promise/phrase (in words an inspector reads), or None."""
        if self.rule.skip_quoted and doc.is_quoted(start, end, echo=self.rule.skip_echo):
            return "引用或转述：不是客服自己的话"
        if self.rule.not_when:
            decision = decide(doc.norm, start, end, self.rule.not_when)
            if decision is not None:
                return decision.reason(_NOT_A[self.category])
        if self.unless is not None:
            cancel = self.unless.overlapping(doc.norm, start, end, UNLESS_WINDOW)
            if cancel is not None:
                return f"上下文：“{cancel}” — 礼貌、否定或条件说法，不算"
        if keep is not None and not keep(self.rule, doc, start, end):
            return "公司已授权的补偿说法"
        return None

    def suppressed(self, doc: Document, start: int, end: int, reason: str) -> Suppressed:
        """The match [start, end) as a suppressed one, with the reason."""
        span = doc.original_span(start, end)
        return Suppressed(self.rule.id, span.start, span.end, doc.original[span.start : span.end], reason)


class RulesByContext:
    """A category's rules, listed once for each channel and scenario they apply to."""

    def __init__(self, rules: Sequence[CompiledPhraseRule]) -> None:
        self._applying = {
            (channel, scenario): tuple(r for r in rules if r.applies(channel, scenario))
            for channel in CHANNELS
            for scenario in (None, *SCENARIOS)
        }
        # A rule is known by the number of its first pattern.
        self._rule_of_pattern = {n: rule.first_pattern for rule in rules for n in rule.numbers}

    def to_search(
        self, channel: Channel, scenario: Scenario | None, may_match: frozenset[int] | None
    ) -> list[CompiledPhraseRule]:
        """The rules checked here that the prefilter did not rule out (all when it said None), in
        policy order."""
        applying = self._applying[(channel, scenario)]
        if may_match is None:
            return list(applying)
        possible = {self._rule_of_pattern[n] for n in may_match if n in self._rule_of_pattern}
        return [rule for rule in applying if rule.first_pattern in possible]


def find_phrases(
    rules: Sequence[CompiledPhraseRule],
    doc: Document,
    may_match: frozenset[int] | None,
    keep: MatchFilter | None = None,
    explain: list[Suppressed] | None = None,
) -> list[Violation]:
    """The findings of `rules` (one category, policy order) in `doc`, without overlaps.

    Matches are taken leftmost first, then by rule and pattern order; a match is judged (quotes,
    `unless`, `keep`) only when no finding made already covers its start. `explain`, when given,
    receives every match that was judged no finding, with the reason.
    """
    candidates = sorted(
        Candidate(span.start, order, number, span.end)
        for order, rule in enumerate(rules)
        for number, span in rule.matches(doc, may_match)
    )
    found: list[Violation] = []
    taken_until = 0
    for candidate in candidates:
        rule = rules[candidate.rule_order]
        covered = candidate.start < taken_until
        if covered and explain is None:
            continue
        reason = rule.reason_to_drop(doc, candidate.start, candidate.end, keep)
        if reason is not None:
            if explain is not None:
                explain.append(rule.suppressed(doc, candidate.start, candidate.end, reason))
        elif not covered:
            found.append(rule.finding.at(doc, candidate.start, candidate.end))
            taken_until = candidate.end
    return found
