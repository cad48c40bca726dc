"""Find policy phrase rules in a Document, honouring quotes, `unless` context and applicability."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from guards.policy import Category, Channel, PhraseRule, Scenario
from guards.text import Document, normalize_pattern
from guards.violation import Violation

# How far around a match an `unless` pattern may reach to cancel it.
_UNLESS_WINDOW = 24

RuleFilter = Callable[[PhraseRule, Document, int, int], bool]


@dataclass(frozen=True)
class _Compiled:
    rule: PhraseRule
    unless: re.Pattern[str] | None
    source: str


def violation_for(
    doc: Document,
    category: Category,
    rule_id: str,
    severity: str,
    start: int,
    end: int,
    message: str,
    suggestion: str,
    source: str,
) -> Violation:
    """Build a Violation from a span of `doc.norm`, mapped back to the original text."""
    span = doc.original_span(start, end)
    return Violation(
        category=category,
        rule_id=rule_id,
        severity=severity,  # type: ignore[arg-type]
        start=span.start,
        end=span.end,
        match=doc.original[span.start : span.end],
        message=message,
        suggestion=suggestion,
        source=source,
    )


class PhraseMatcher:
    """All phrase rules of one category, compiled into one alternation per channel/scenario."""

    def __init__(self, category: Category, rules: Sequence[PhraseRule]) -> None:
        self.category = category
        self._rules = [
            _Compiled(
                rule=r,
                unless=re.compile("|".join(normalize_pattern(u) for u in r.unless)) if r.unless else None,
                source=str(r.source),
            )
            for r in rules
        ]

    @functools.cache  # noqa: B019 - matchers live as long as their compiled policy
    def _pattern(self, channel: Channel, scenario: Scenario | None) -> re.Pattern[str] | None:
        parts = []
        for index, compiled in enumerate(self._rules):
            rule = compiled.rule
            if channel not in rule.channels or (scenario is not None and scenario not in rule.scenarios):
                continue
            body = "|".join(normalize_pattern(p) for p in rule.patterns)
            parts.append(f"(?P<r{index}>{body})")
        return re.compile("|".join(parts)) if parts else None

    def find(
        self,
        doc: Document,
        channel: Channel,
        scenario: Scenario | None,
        keep: RuleFilter | None = None,
    ) -> list[Violation]:
        """Violations for every rule match that is the agent's own, uncancelled words."""
        pattern = self._pattern(channel, scenario)
        if pattern is None:
            return []
        found: list[Violation] = []
        for match in pattern.finditer(doc.norm):
            start, end = match.span()
            if start == end:
                continue
            compiled = self._rules[int(str(match.lastgroup)[1:])]
            rule = compiled.rule
            if rule.skip_quoted and doc.is_quoted(start, end):
                continue
            if compiled.unless is not None and _cancelled(compiled.unless, doc.norm, start, end):
                continue
            if keep is not None and not keep(rule, doc, start, end):
                continue
            found.append(
                violation_for(
                    doc,
                    self.category,
                    rule.id,
                    rule.severity,
                    start,
                    end,
                    rule.message,
                    rule.suggestion,
                    compiled.source,
                )
            )
        return found


def _cancelled(unless: re.Pattern[str], text: str, start: int, end: int) -> bool:
    """True when an `unless` match near [start, end) covers it (polite form, negation…)."""
    left = max(0, start - _UNLESS_WINDOW)
    right = min(len(text), end + _UNLESS_WINDOW)
    return any(found.start() < end and found.end() > start for found in unless.finditer(text, left, right))
