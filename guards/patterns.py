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
    """One or more policy regexes (normalised like reply text) searched as one alternation.

    `sources`: the patterns as compiled (for a prefilter to scan for); `without_latin`: the same
    alternation without the patterns that start with a Latin letter (the English cues), searched
    instead on text that has no Latin letter, where those cannot match.
    """

    owner: str
    compiled: regex.Pattern[str]
    timeout: float | None
    without_latin: regex.Pattern[str] | None = None
    sources: tuple[str, ...] = ()

    @classmethod
    def of(cls, owner: str, patterns: Sequence[str]) -> PolicyPattern | None:
        """The alternation of `patterns`, or None when there are none; `owner` names them in errors."""
        if not patterns:
            return None
        sources = tuple(normalize_pattern(p) for p in patterns)
        without_latin = None
        if any(starts_with_latin_letter(p) for p in sources):
            rest = [p for p in sources if not starts_with_latin_letter(p)]
            without_latin = regex.compile(_joined(rest) if rest else "(?!)")
        return cls(owner, regex.compile(_joined(sources)), _timeout(patterns), without_latin, sources)

    @classmethod
    def one(cls, owner: str, pattern: str) -> PolicyPattern:
        """A single policy regex."""
        source = normalize_pattern(pattern)
        return cls(owner, regex.compile(source), _timeout([pattern]), sources=(source,))

    @property
    def source(self) -> str:
        """The pattern as one regex (the alternation of its sources)."""
        return _joined(self.sources)

    def _for(self, text: str) -> regex.Pattern[str]:
        """The alternation to search `text` with: without the English cues when it has no Latin letter."""
        if self.without_latin is not None and not _has_latin_letter(text):
            return self.without_latin
        return self.compiled

    def finditer(
        self, text: str, start: int = 0, end: int | None = None, *, overlapped: bool = False
    ) -> Iterator[regex.Match[str]]:
        """Matches in text[start:end]; `overlapped` also gives the match starting at every position."""
        end = len(text) if end is None else end
        if self.timeout is None:
            found: Iterator[regex.Match[str]] = self._for(text).finditer(
                text, start, end, overlapped=overlapped
            )
            return found
        return self._timed_finditer(text, start, end, overlapped)

    def _timed_finditer(
        self, text: str, start: int, end: int, overlapped: bool
    ) -> Iterator[regex.Match[str]]:
        try:
            yield from self._for(text).finditer(text, start, end, overlapped=overlapped, timeout=self.timeout)
        except TimeoutError:
            raise PatternTimeout(self.owner) from None

    def search(self, text: str, start: int = 0, end: int | None = None) -> regex.Match[str] | None:
        """The first match in text[start:end], or None."""
        end = len(text) if end is None else end
        if self.timeout is None:
            return self._for(text).search(text, start, end)
        try:
            return self._for(text).search(text, start, end, timeout=self.timeout)
        except TimeoutError:
            raise PatternTimeout(self.owner) from None

    def overlapping(self, text: str, start: int, end: int, window: int) -> str | None:
        """The first match within `window` characters around [start, end) that overlaps it, or None."""
        left, right = max(0, start - window), min(len(text), end + window)
        return next(
            (m.group() for m in self.finditer(text, left, right) if m.start() < end and m.end() > start), None
        )


_LATIN_LETTER = regex.compile("[A-Za-z]")


# One check searches the same reply with several cue lists: its answer is kept for the next.
@functools.lru_cache(maxsize=4)
def _has_latin_letter(text: str) -> bool:
    """True when `text` has a Latin letter (English cues can match)."""
    return _LATIN_LETTER.search(text) is not None


_GROUP_OPENING = regex.compile(r"\((\?[a-zA-Z]*:)?")
_OPTIONAL = ("?", "*", "{")


def starts_with_latin_letter(pattern: str) -> bool:
    """True when every match of `pattern` begins with a Latin letter written plainly (not as a
    class or an escape): `(?i:(sorry|apologi[sz]e))` does; `(您|sorry)`, `[a-z]+`, `(sorry)?您` do not."""
    return all(_opens_with_letter(alternative) for alternative in _top_level_alternatives(pattern))


def _opens_with_letter(fragment: str) -> bool:
    """True when the sequence `fragment` must begin with a plain Latin letter."""
    if _LATIN_LETTER.match(fragment[:1]):
        return fragment[1:2] not in _OPTIONAL
    opening = _GROUP_OPENING.match(fragment)
    if opening is None:
        return False
    close = _closing_bracket(fragment, 0)
    if close is None or fragment[close + 1 : close + 2] in _OPTIONAL:
        return False
    inner = fragment[opening.end() : close]
    return all(_opens_with_letter(alternative) for alternative in _top_level_alternatives(inner))


def _top_level_alternatives(fragment: str) -> list[str]:
    """`fragment` split at the | that are outside its groups and character classes."""
    alternatives, start, depth = [], 0, 0
    for index, char in _syntax(fragment):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "|" and depth == 0:
            alternatives.append(fragment[start:index])
            start = index + 1
    return [*alternatives, fragment[start:]]


def _closing_bracket(fragment: str, opening: int) -> int | None:
    """The index of the ) that closes the group opened at `opening`, or None when it is unclosed."""
    depth = 0
    for index, char in _syntax(fragment, opening):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == ")" and depth == 0:
            return index
    return None


def _syntax(fragment: str, start: int = 0) -> Iterator[tuple[int, str]]:
    """(index, character) of each character of `fragment` from `start` that is regex syntax: escaped
    characters and character classes ([(|)]) are skipped."""
    index = start
    while index < len(fragment):
        char = fragment[index]
        if char == "\\":
            index += 2
            continue
        if char == "[":
            index = _class_end(fragment, index) + 1
            continue
        yield index, char
        index += 1


def _class_end(fragment: str, opening: int) -> int:
    """The index of the ] that ends the character class opened at `opening` (or the last index)."""
    index = opening + 1
    if fragment[index : index + 1] == "^":
        index += 1
    if fragment[index : index + 1] == "]":
        index += 1  # a ] right after [ or [^ is a literal
    while index < len(fragment) and fragment[index] != "]":
        index += 2 if fragment[index] == "\\" else 1
    return min(index, len(fragment) - 1)


def _joined(sources: Sequence[str]) -> str:
    """Regexes as one alternation, each in a group of its own."""
    return "|".join(f"(?:{s})" for s in sources)


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
