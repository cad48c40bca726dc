"""Which phrase rules can match a text: one Hyperscan scan instead of one search per rule.

Hyperscan compiles every rule pattern in prefilter mode, where it matches a superset of what
the pattern matches (constructs it cannot run, such as lookbehinds, are relaxed). So a rule it
does not report cannot match, and only the rules it reports are searched for real. The
prefilter decides nothing else: what a rule finds is defined by `guards.phrase_rules` alone,
and the engine gives the same findings with `NoPrefilter` (tests/test_prefilter.py).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from guards.text import normalize_pattern


class Prefilter(Protocol):
    """Says which patterns may match a text; None means any may."""

    def candidates(self, text: str) -> frozenset[int] | None:
        """Indexes of the patterns that may match `text`, or None for all of them."""
        ...


class NoPrefilter:
    """Every pattern is a candidate (no Hyperscan on this machine, or asked for)."""

    def candidates(self, text: str) -> frozenset[int] | None:
        """None: every pattern may match."""
        return None


class HyperscanPrefilter:
    """The patterns one Hyperscan scan reports (a superset of those that match)."""

    def __init__(self, patterns: Sequence[str]) -> None:
        import hyperscan

        flags = (
            hyperscan.HS_FLAG_UTF8
            | hyperscan.HS_FLAG_UCP
            | hyperscan.HS_FLAG_PREFILTER
            | hyperscan.HS_FLAG_SINGLEMATCH
            | hyperscan.HS_FLAG_ALLOWEMPTY
        )
        expressions = [_loosened(normalize_pattern(p)).encode() for p in patterns]
        try:
            self._always: frozenset[int] = frozenset()
            self._database = _database(hyperscan, expressions, range(len(expressions)), flags)
        except hyperscan.error:
            # A pattern Hyperscan cannot compile even in prefilter mode is always a candidate.
            self._always = frozenset(
                i for i, e in enumerate(expressions) if not _compiles(hyperscan, e, flags)
            )
            scanned = [i for i in range(len(expressions)) if i not in self._always]
            self._database = _database(hyperscan, expressions, scanned, flags)
        # A scan needs scratch space of its own: one per thread (batch and the agent page check
        # replies in several threads at once).
        self._prototype = hyperscan.Scratch(self._database) if self._database is not None else None
        self._per_thread = threading.local()

    def candidates(self, text: str) -> frozenset[int] | None:
        """The patterns Hyperscan finds in `text`, plus those it could not compile."""
        if self._database is None:
            return self._always
        try:
            encoded = text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate (JSON allows "\ud800"): search every rule
            return None
        found: set[int] = set(self._always)

        def on_match(pattern: int, start: int, end: int, flags: int, context: object) -> None:
            found.add(pattern)

        self._database.scan(encoded, match_event_handler=on_match, scratch=self._scratch())
        return frozenset(found)

    def _scratch(self) -> Any:
        """This thread's scratch space (cloned from the first on first use)."""
        scratch = getattr(self._per_thread, "scratch", None)
        if scratch is None:
            scratch = self._per_thread.scratch = self._prototype.clone()  # type: ignore[union-attr]
        return scratch


def _database(hyperscan: Any, expressions: Sequence[bytes], ids: Iterable[int], flags: int) -> Any:
    """A Hyperscan database of the expressions with these ids; None when there are none."""
    chosen = list(ids)
    if not chosen:
        return None
    database = hyperscan.Database()
    database.compile(
        expressions=[expressions[i] for i in chosen],
        ids=chosen,
        elements=len(chosen),
        flags=[flags] * len(chosen),
    )
    return database


def _compiles(hyperscan: Any, expression: bytes, flags: int) -> bool:
    try:
        _database(hyperscan, [expression], [0], flags)
    except hyperscan.error:
        return False
    return True


def build_prefilter(patterns: Sequence[str]) -> Prefilter:
    """A Hyperscan prefilter for `patterns`, or NoPrefilter where Hyperscan is not installed."""
    try:
        return HyperscanPrefilter(patterns)
    except ImportError:
        return NoPrefilter()


# A bounded repeat ({0,12}, {1,10}?): Hyperscan builds one state per repetition (in UTF-8 mode
# per byte), which made compiling the policy take seconds.
_BOUNDED_REPEAT = re.compile(r"(?<!\\)\{(\d*),\d*\}")


def _loosened(pattern: str) -> str:
    """`pattern` with each bounded repeat made unbounded (x{0,12} -> x*, x{8,12} -> x+): it matches
    a superset, which is all a prefilter needs, and Hyperscan compiles it several times faster. A
    repeat that needs at least one keeps needing one, or [0-9]{8,} would match the empty string in
    every reply (keeping the whole lower bound made compiling the policy a second slower)."""
    return _BOUNDED_REPEAT.sub(_without_bounds, pattern)


def _without_bounds(repeat: re.Match[str]) -> str:
    """{0,n} as *, {m,n} with m >= 1 as +."""
    return "*" if repeat.group(1) in ("", "0") else "+"
