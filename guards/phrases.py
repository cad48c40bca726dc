"""Find policy phrase rules in a Document, honouring quotes, `unless` context and applicability.

Speed: each rule pattern is reduced to the literal strings one of which every match contains
(`required_strings`). For a text, only the patterns whose strings occur in it can match, so
the alternation is compiled (and cached) over those alone; clean replies skip the regex work.
And a match spans at most a known number of characters (`max_width`), so the search starts
that far before the next required string instead of trying every position before it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from guards.literals import StringIndex, max_width, min_width, required_strings, search_start, skip_ahead
from guards.policy import Category, Channel, PhraseRule, Scenario
from guards.text import Document, normalize_pattern
from guards.violation import RuleFinding, Violation

# How far around a match an `unless` pattern may reach to cancel it.
_UNLESS_WINDOW = 24
# Alternations compiled for the sets of patterns that can match some text.
_ALTERNATION_CACHE = 1024

RuleFilter = Callable[[PhraseRule, Document, int, int], bool]


@dataclass(frozen=True)
class _Unless:
    """A rule's `unless` patterns as one regex; group 1 spans a match (the match may not, see
    `skip_ahead`)."""

    regex: re.Pattern[str]
    may_be_empty: bool

    @classmethod
    def of(cls, patterns: Sequence[str]) -> _Unless | None:
        """The regex for `patterns`, or None when there are none."""
        if not patterns:
            return None
        source = "(" + "|".join(normalize_pattern(p) for p in patterns) + ")"
        may_be_empty = min_width(source) == 0
        return cls(re.compile(source if may_be_empty else skip_ahead(source)), may_be_empty)

    def covers(self, text: str, start: int, end: int) -> bool:
        """True when a match near [start, end) overlaps it (polite form, negation…).

        The matches are those `finditer` gives over the window: each search starts where the
        last match ended.
        """
        left = max(0, start - _UNLESS_WINDOW)
        right = min(len(text), end + _UNLESS_WINDOW)
        if self.may_be_empty:  # finditer's own rules for empty matches
            return any(m.start() < end and m.end() > start for m in self.regex.finditer(text, left, right))
        search = self.regex.search
        position = left
        while (found := search(text, position, right)) is not None:
            found_start, found_end = found.span(1)
            if found_start >= end:
                return False  # the later matches start later still
            if found_end > start:
                return True
            position = found_end
        return False


@dataclass(frozen=True)
class _Compiled:
    rule: PhraseRule
    unless: _Unless | None
    finding: RuleFinding


@dataclass(frozen=True)
class _Unit:
    """One pattern of a rule, with the strings one of which every match contains."""

    compiled: _Compiled
    pattern: re.Pattern[str]
    needs: frozenset[str] | None  # None: nothing derivable, the pattern is always tried
    width: int | None  # the longest match, None when unbounded


@dataclass(frozen=True)
class _Candidates:
    """The patterns that can match one text: their alternation, and each pattern alone."""

    alternation: re.Pattern[str]
    units: tuple[_Unit, ...]
    # The unit each of the alternation's groups belongs to (a unit's group closes last, so
    # `match.lastindex` names the unit that matched, and that group spans the match).
    unit_of_group: dict[int, int]
    # The widest match of any of them, when every one has required strings and a bounded
    # width: a match then starts at most `reach` characters before a required string.
    reach: int | None


class _Hit(NamedTuple):
    """An accepted match: its violation and where it ends in `Document.norm`."""

    violation: Violation
    end: int


def _units(category: Category, rule: PhraseRule) -> list[_Unit]:
    finding = RuleFinding(category, rule.id, rule.severity, rule.message, rule.suggestion, str(rule.source))
    compiled = _Compiled(rule, _Unless.of(rule.unless), finding)
    units = []
    for pattern in rule.patterns:
        normalized = normalize_pattern(pattern)
        needs = required_strings(normalized)
        units.append(_Unit(compiled, re.compile(normalized), needs, max_width(normalized)))
    return units


class PhraseMatcher:
    """All phrase rules of one category; one alternation of the patterns that can match a text."""

    def __init__(self, category: Category, rules: Sequence[PhraseRule]) -> None:
        self.category = category
        self._units = [unit for rule in rules for unit in _units(category, rule)]

    @functools.cache  # noqa: B019 - matchers live as long as their compiled policy
    def _applicable(self, channel: Channel, scenario: Scenario | None) -> tuple[int, ...]:
        """Indexes of the patterns whose rules apply to a channel and scenario."""
        return tuple(
            i
            for i, unit in enumerate(self._units)
            if channel in unit.compiled.rule.channels
            and (scenario is None or scenario in unit.compiled.rule.scenarios)
        )

    @functools.lru_cache(maxsize=_ALTERNATION_CACHE)  # noqa: B019 - bounded, lives with the matcher
    def _candidates(
        self, channel: Channel, scenario: Scenario | None, present: frozenset[int]
    ) -> _Candidates:
        """One alternation of the applicable patterns whose strings are `present`, in policy
        order (earlier rules win ties)."""
        applicable = self._applicable(channel, scenario)
        units = tuple(self._units[applicable[n]] for n in sorted(present))
        source = "|".join(f"(?P<u{i}>{u.pattern.pattern})" for i, u in enumerate(units))
        # Only the groups span the match: with skip_ahead, the match is its first character.
        alternation = re.compile(skip_ahead(source))
        unit_of_group = {alternation.groupindex[f"u{i}"]: i for i in range(len(units))}
        widths = [u.width if u.needs is not None else None for u in units]
        reach = None if None in widths else max(w for w in widths if w is not None)
        return _Candidates(alternation, units, unit_of_group, reach)

    @functools.cache  # noqa: B019 - matchers live as long as their compiled policy
    def _index(self, channel: Channel, scenario: Scenario | None) -> StringIndex:
        """Finds which required strings of the patterns for a channel and scenario occur in a text."""
        return StringIndex([self._units[i].needs for i in self._applicable(channel, scenario)])

    def find(
        self,
        doc: Document,
        channel: Channel,
        scenario: Scenario | None,
        keep: RuleFilter | None = None,
    ) -> list[Violation]:
        """Violations for every rule match that is the agent's own, uncancelled words."""
        text = doc.norm
        hits = self._index(channel, scenario).scan(text)
        if not hits.present:
            return []
        candidates = self._candidates(channel, scenario, hits.present)
        found: list[Violation] = []
        search = candidates.alternation.search
        resume = 0
        while (start := search_start(hits.positions, candidates.reach, resume)) is not None:
            match = search(text, start)
            if match is None:
                break
            start = match.start()
            hit = self._first_accepted(doc, candidates, match, keep)
            if hit is not None:
                found.append(hit.violation)
            # After a rejected match, rescan from the next character: a rule may match inside it.
            resume = max(hit.end if hit is not None else start + 1, start + 1)
        return found

    def _first_accepted(
        self, doc: Document, candidates: _Candidates, match: re.Match[str], keep: RuleFilter | None
    ) -> _Hit | None:
        """The first pattern matching at `match.start()` that is the agent's own, uncancelled words."""
        group: int = match.lastindex  # type: ignore[assignment]
        start, end = match.span(group)
        index = candidates.unit_of_group[group]
        violation = self._accept(doc, candidates.units[index], start, end, keep)
        if violation is not None:
            return _Hit(violation, end)
        # The alternation reports only the first pattern that matches here; when its match is
        # rejected, a later pattern may still match at the same place.
        for unit in candidates.units[index + 1 :]:
            alone = unit.pattern.match(doc.norm, start)
            if alone is None:
                continue
            violation = self._accept(doc, unit, start, alone.end(), keep)
            if violation is not None:
                return _Hit(violation, alone.end())
        return None

    def _accept(
        self, doc: Document, unit: _Unit, start: int, end: int, keep: RuleFilter | None
    ) -> Violation | None:
        """The violation for a match, or None when it is quoted, cancelled or filtered out."""
        compiled = unit.compiled
        rule = compiled.rule
        if start == end:
            return None
        if rule.skip_quoted and doc.is_quoted(start, end, echo=rule.skip_echo):
            return None
        if compiled.unless is not None and compiled.unless.covers(doc.norm, start, end):
            return None
        if keep is not None and not keep(rule, doc, start, end):
            return None
        return compiled.finding.at(doc, start, end)
