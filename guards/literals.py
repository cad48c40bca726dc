"""Required literal strings of a regex: a cheap, exact prefilter for phrase rules.

`required_strings(pattern)` derives, from the parsed regex, a set of strings one of which
every match of the pattern contains. A text that contains none of them cannot match, so the
regex need not run on it. Lookarounds consume nothing and are skipped; parts whose text is
not a small finite set (\\d, [^，。], unbounded repeats) end a run of literal text.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from re import _constants as sre_constants  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any, NamedTuple

# A run of literal text is cut when it can be spelled more ways than this.
_MAX_STRINGS = 32
# A character class counts as literal text when it has at most this many characters.
_MAX_CLASS = 8
# Strings this long are rare enough in replies; shorter ones are worth avoiding.
_SELECTIVE_LENGTH = 3
_EMPTY: frozenset[str] = frozenset({""})
_REPEATS = (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT)
_ZERO_WIDTH = (sre_constants.AT, sre_constants.ASSERT, sre_constants.ASSERT_NOT)

Item = tuple[Any, Any]


def max_width(pattern: str) -> int | None:
    """The most characters a match of `pattern` can span; None when unbounded."""
    widest = sre_parse.parse(pattern).getwidth()[1]
    return widest if widest < sre_constants.MAXREPEAT else None


def uses_backreference(pattern: str) -> bool:
    """True when `pattern` refers back to a group (\\1, (?(1)…)): joined with other patterns
    into one regex, its group numbers would change."""
    return _refers_back(sre_parse.parse(pattern).data)


def _refers_back(node: object) -> bool:
    if isinstance(node, sre_parse.SubPattern):
        node = node.data
    if not isinstance(node, list | tuple):
        return False
    if node and (node[0] is sre_constants.GROUPREF or node[0] is sre_constants.GROUPREF_EXISTS):
        return True
    return any(_refers_back(child) for child in node)


def min_width(pattern: str) -> int:
    """The fewest characters a match of `pattern` can span."""
    return int(sre_parse.parse(pattern).getwidth()[0])


def required_strings(pattern: str) -> frozenset[str] | None:
    """Strings one of which every match of `pattern` contains; None when none can be derived."""
    parsed = sre_parse.parse(pattern)
    return _required(list(parsed), bool(parsed.state.flags & re.IGNORECASE))


def search_start(positions: Sequence[int], reach: int | None, resume: int) -> int | None:
    """Where a search for the next match may start, at or after `resume`.

    `positions` are where required strings start; a match holds one that starts at or after
    `resume` and spans at most `reach` characters, so it starts at most `reach` before the
    first such string. None: no string is left, so no match is either.
    """
    if reach is None:
        return resume
    following = bisect.bisect_left(positions, resume)
    if following == len(positions):
        return None
    return max(resume, positions[following] - reach)


def skip_ahead(pattern: str) -> str:
    """`pattern` rewritten so that `re` skips ahead to the characters its matches start with.

    `re` skips ahead by first character only when a pattern starts with a plain character or
    class. `[F](?<=(?=P).)` starts with the class F of first characters of P and then matches P
    at that character inside a lookaround: `search` finds the same place, the groups hold P's
    match, but the match itself spans the first character only (so not for `finditer`). The
    pattern is returned unchanged when it already starts plainly or its first characters are
    unknown. Empty matches are lost, which callers reject anyway.
    """
    parsed = sre_parse.parse(pattern)
    if parsed.state.flags & ~re.UNICODE or _starts_plainly(list(parsed)):
        return pattern  # inline global flags cannot move inside a group
    first = _first(list(parsed), ignore_case=False)
    if first is None or not first.ranges:
        return pattern
    return f"[{first.as_class()}](?<=(?={pattern}).)"


def _starts_plainly(items: list[Item]) -> bool:
    """True when `re` already skips ahead: a character, a class or literal-first branches."""
    while items and items[0][0] is sre_constants.SUBPATTERN and not items[0][1][1]:
        items = list(items[0][1][3])
    if not items:
        return False
    op, av = items[0]
    if op is sre_constants.BRANCH:
        return all(branch and branch[0][0] is sre_constants.LITERAL for branch in av[1])
    return op in _PLAIN_STARTS


class _FirstChars(NamedTuple):
    """Code point ranges a match can start with, and whether the match can be empty."""

    ranges: frozenset[tuple[int, int]]
    may_be_empty: bool

    def as_class(self) -> str:
        return "".join(
            re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}"
            for lo, hi in sorted(self.ranges)
        )


_PLAIN_STARTS = (sre_constants.LITERAL, sre_constants.IN)
_NOTHING = _FirstChars(frozenset(), True)


def _first(items: Iterable[Item], ignore_case: bool) -> _FirstChars | None:
    """The first characters of a sequence: those of each item up to the first that cannot be empty."""
    ranges: set[tuple[int, int]] = set()
    for op, av in items:
        item = _first_of_item(op, av, ignore_case)
        if item is None:
            return None
        ranges |= item.ranges
        if not item.may_be_empty:
            return _FirstChars(frozenset(ranges), False)
    return _FirstChars(frozenset(ranges), True)


def _first_of_item(op: Any, av: Any, ignore_case: bool) -> _FirstChars | None:
    if op in _ZERO_WIDTH:
        return _NOTHING
    if op is sre_constants.LITERAL:
        return None if _has_case(av, av, ignore_case) else _FirstChars(frozenset({(av, av)}), False)
    if op is sre_constants.IN:
        return _first_of_class(av, ignore_case)
    if op is sre_constants.SUBPATTERN:
        return _first(av[3], ignore_case or bool(av[1] & re.IGNORECASE))
    if op is sre_constants.ATOMIC_GROUP:
        return _first(av, ignore_case)
    if op is sre_constants.BRANCH:
        branches = [_first(branch, ignore_case) for branch in av[1]]
        known = [b for b in branches if b is not None]
        if len(known) < len(branches):
            return None
        ranges = frozenset(r for b in known for r in b.ranges)
        return _FirstChars(ranges, any(b.may_be_empty for b in known))
    if op in _REPEATS:
        inner = _first(av[2], ignore_case)
        return None if inner is None else _FirstChars(inner.ranges, inner.may_be_empty or av[0] == 0)
    return None


def _first_of_class(items: Iterable[Item], ignore_case: bool) -> _FirstChars | None:
    ranges: set[tuple[int, int]] = set()
    for op, av in items:
        if op is sre_constants.LITERAL:
            lo = hi = av
        elif op is sre_constants.RANGE:
            lo, hi = av
        else:
            return None  # a negated class or a category (\d)
        if _has_case(lo, hi, ignore_case):
            return None
        ranges.add((lo, hi))
    return _FirstChars(frozenset(ranges), False)


def _has_case(lo: int, hi: int, ignore_case: bool) -> bool:
    """True when case-insensitive matching applies to a character in [lo, hi]."""
    return ignore_case and any(chr(c).lower() != chr(c).upper() for c in range(lo, hi + 1))


def _cased(chars: set[str], ignore_case: bool) -> frozenset[str] | None:
    # Case-insensitive letters also match non-ASCII look-alikes (k ~ U+212A KELVIN SIGN), so
    # only characters without case give exact strings then.
    if ignore_case and any(c.lower() != c.upper() for c in chars):
        return None
    return frozenset(chars)


def _capped(strings: frozenset[str]) -> frozenset[str] | None:
    return strings if len(strings) <= _MAX_STRINGS else None


def _class(items: Iterable[Item], ignore_case: bool) -> frozenset[str] | None:
    first = _first_of_class(items, ignore_case)  # None: negated, a category (\d) or letters with case
    if first is None or any(hi - lo >= _MAX_CLASS for lo, hi in first.ranges):
        return None
    chars = frozenset(chr(c) for lo, hi in first.ranges for c in range(lo, hi + 1))
    return chars if len(chars) <= _MAX_CLASS else None


def _exact(op: Any, av: Any, ignore_case: bool) -> frozenset[str] | None:
    """Every string this item can consume, when that is a small finite set."""
    if op is sre_constants.LITERAL:
        return _cased({chr(av)}, ignore_case)
    if op is sre_constants.IN:
        return _class(av, ignore_case)
    if op is sre_constants.SUBPATTERN:
        return _exact_sequence(av[3], ignore_case or bool(av[1] & re.IGNORECASE))
    if op is sre_constants.BRANCH:
        branches = [_exact_sequence(branch, ignore_case) for branch in av[1]]
        if any(b is None for b in branches):
            return None
        return _capped(frozenset().union(*branches))  # type: ignore[arg-type]
    if op in _REPEATS and av[1] <= 1:
        inner = _exact_sequence(av[2], ignore_case)
        return None if inner is None else (inner if av[0] == 1 else inner | _EMPTY)
    if op in _ZERO_WIDTH:
        return _EMPTY
    return None


def _exact_sequence(items: Iterable[Item], ignore_case: bool) -> frozenset[str] | None:
    strings: frozenset[str] | None = _EMPTY
    for op, av in items:
        item = _exact(op, av, ignore_case)
        if item is None or strings is None:
            return None
        strings = _capped(frozenset(a + b for a in strings for b in item))
    return strings


def _required_inside(op: Any, av: Any, ignore_case: bool) -> frozenset[str] | None:
    """Required strings of an item that is not literal text as a whole."""
    if op is sre_constants.SUBPATTERN:
        return _required(av[3], ignore_case or bool(av[1] & re.IGNORECASE))
    if op is sre_constants.BRANCH:
        branches = [_required(branch, ignore_case) for branch in av[1]]
        return None if any(b is None for b in branches) else frozenset().union(*branches)  # type: ignore[arg-type]
    if op in _REPEATS and av[0] >= 1:
        return _required(av[2], ignore_case)
    return None


def _required(items: Iterable[Item], ignore_case: bool) -> frozenset[str] | None:
    """The most selective of the candidate string sets found along a sequence."""
    candidates: list[frozenset[str] | None] = []
    run = _EMPTY
    for op, av in items:
        item = _exact(op, av, ignore_case)
        if item is None:
            candidates += [run, _required_inside(op, av, ignore_case)]
            run = _EMPTY
            continue
        longer = frozenset(a + b for a in run for b in item)
        if len(longer) > _MAX_STRINGS:
            candidates.append(run)
            run = item
        else:
            run = longer
    candidates.append(run)
    usable = [_minimal(c) for c in candidates if c and "" not in c]
    return max(usable, key=_selectivity) if usable else None


def _minimal(strings: frozenset[str]) -> frozenset[str]:
    """`strings` without those containing another one (a text with 请稍等 has 稍等)."""
    return frozenset(s for s in strings if not any(t != s and t in s for t in strings))


def _selectivity(strings: frozenset[str]) -> tuple[int, int, int]:
    """Rank candidate sets: longer strings (up to a point) are rarer, then fewer spellings."""
    shortest = min(map(len, strings))
    return min(shortest, _SELECTIVE_LENGTH), -len(strings), shortest


class StringHits(NamedTuple):
    """What a StringIndex found in a text: which sets occur, and where strings start."""

    present: frozenset[int]
    positions: Sequence[int]


class StringIndex:
    """Which of several string sets occur in a text, found in one left-to-right regex scan."""

    def __init__(self, sets: Sequence[frozenset[str] | None]) -> None:
        """`sets[i]` is None when set i must always count as present."""
        self._always = frozenset(i for i, strings in enumerate(sets) if strings is None)
        members: dict[str, set[int]] = {}
        for i, strings in enumerate(sets):
            for string in strings or ():
                members.setdefault(string, set()).add(i)
        # A hit is the longest string starting at its position; the other strings starting
        # there are its prefixes, so each hit stands for the sets of all of its prefixes.
        self._sets_of_hit = {
            string: frozenset().union(*(members.get(string[:k], ()) for k in range(1, len(string) + 1)))
            for string in members
        }
        self._regex = re.compile(_longest_trie(members)) if members else None
        self._nothing_found = StringHits(self._always, ())

    def scan(self, text: str) -> StringHits:
        """Indexes of the sets one of whose strings occurs in `text` (plus the `None` sets), and
        every position where one of their strings starts."""
        if self._regex is None:
            return self._nothing_found
        search = self._regex.search
        hit = search(text)
        if hit is None:
            return self._nothing_found  # the common case: nothing to collect
        found: set[int] = set(self._always)
        positions: list[int] = []
        while hit is not None:
            found |= self._sets_of_hit[hit.group()]
            positions.append(hit.start())
            hit = search(text, hit.start() + 1)
        return StringHits(frozenset(found), positions)


def _longest_trie(strings: Iterable[str]) -> str:
    """A regex of `strings` as a trie; greedy, so a match is the longest string found there."""
    trie: dict[str, Any] = {}
    for string in strings:
        node = trie
        for ch in string:
            node = node.setdefault(ch, {})
        node[""] = {}
    return _trie_pattern(trie)


def _trie_pattern(node: dict[str, Any]) -> str:
    branches = [re.escape(ch) + _trie_pattern(child) for ch, child in sorted(node.items()) if ch]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 and "" not in node else "(?:" + "|".join(branches) + ")"
    return body + "?" if "" in node else body
