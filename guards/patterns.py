"""Policy regexes: compiled with the `regex` module and searched within a time budget.

A company writes its own patterns, and a pattern such as `(a|aa)+$` can take minutes on a
short reply. Policy validation rejects the usual culprits (see `guards.policy`), and every
search of a pattern that is not in the built-in policy carries a timeout, so no policy can make
a check run unbounded: a slow pattern becomes a `PatternTimeout` that names its rule. The
built-in patterns are vetted by the project's tests and skip the timeout, which costs more
than the search itself (about 3 µs a call).
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import regex

from guards.loader import PolicyError, default_policy_text
from guards.policy import expand, vocabulary_names
from guards.text import normalize_pattern

# Seconds one search of one pattern may take; a normal reply needs microseconds.
SEARCH_TIMEOUT_S = 0.5


class PatternTimeout(PolicyError):
    """A policy pattern took longer than the time budget on one text (a policy problem: exit 2)."""

    def __init__(self, owner: str) -> None:
        super().__init__(
            f"the pattern of {owner} took longer than {SEARCH_TIMEOUT_S:g} s on this text; "
            "simplify it (nested repeats such as (a+)+ backtrack without end) or disable the rule"
        )
        self.owner = owner


@dataclass(frozen=True)
class PolicyPattern:
    """One or more policy regexes (normalised like reply text) searched as one alternation."""

    owner: str
    compiled: regex.Pattern[str]
    timeout: float | None

    @classmethod
    def of(cls, owner: str, patterns: Sequence[str]) -> PolicyPattern | None:
        """The alternation of `patterns`, or None when there are none; `owner` names them in errors."""
        if not patterns:
            return None
        source = "|".join(f"(?:{normalize_pattern(p)})" for p in patterns)
        return cls(owner, regex.compile(source), _timeout(patterns))

    @classmethod
    def one(cls, owner: str, pattern: str) -> PolicyPattern:
        """A single policy regex."""
        return cls(owner, regex.compile(normalize_pattern(pattern)), _timeout([pattern]))

    def finditer(
        self, text: str, start: int = 0, end: int | None = None, *, overlapped: bool = False
    ) -> Iterator[regex.Match[str]]:
        """Matches in text[start:end]; `overlapped` also gives the match starting at every position."""
        end = len(text) if end is None else end
        if self.timeout is None:
            found: Iterator[regex.Match[str]] = self.compiled.finditer(
                text, start, end, overlapped=overlapped
            )
            return found
        return self._timed_finditer(text, start, end, overlapped)

    def _timed_finditer(
        self, text: str, start: int, end: int, overlapped: bool
    ) -> Iterator[regex.Match[str]]:
        try:
            yield from self.compiled.finditer(text, start, end, overlapped=overlapped, timeout=self.timeout)
        except TimeoutError:
            raise PatternTimeout(self.owner) from None

    def search(self, text: str, start: int = 0, end: int | None = None) -> regex.Match[str] | None:
        """The first match in text[start:end], or None."""
        try:
            return self.compiled.search(
                text, start, len(text) if end is None else end, timeout=SEARCH_TIMEOUT_S
            )
        except TimeoutError:
            raise PatternTimeout(self.owner) from None

    def overlapping(self, text: str, start: int, end: int, window: int) -> str | None:
        """The first match within `window` characters around [start, end) that overlaps it, or None."""
        left, right = max(0, start - window), min(len(text), end + window)
        return next(
            (m.group() for m in self.finditer(text, left, right) if m.start() < end and m.end() > start), None
        )


def _timeout(patterns: Sequence[str]) -> float | None:
    """No timeout for patterns of the built-in policy; SEARCH_TIMEOUT_S for any other."""
    return None if all(p in _built_in_strings() for p in patterns) else SEARCH_TIMEOUT_S


@functools.cache
def _built_in_strings() -> frozenset[str]:
    """Every string in the built-in policy file (its patterns among them, also with their
    {vocabulary} words spelled out as the policy compiles them)."""
    data = tomllib.loads(default_policy_text())
    found: set[str] = set()
    pending: list[object] = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            found.add(item)
        elif isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    vocabulary = data.get("vocabulary", {})
    uses_vocabulary = [s for s in found if (names := vocabulary_names(s)) and names <= vocabulary.keys()]
    return frozenset(found | {expand(s, vocabulary) for s in uses_vocabulary})
