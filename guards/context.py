"""What every guard sees for one check: the normalised document, scenario and channel."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

from guards.policy import Channel, FindingCategory, Scenario
from guards.text import Document
from guards.timeexpr import TimeExpression, find_time_expressions
from guards.violation import Violation


@dataclass
class CheckContext:
    """One text under check, with facts computed once and shared by the guards."""

    doc: Document
    scenario: Scenario | None
    channel: Channel

    @cached_property
    def deadlines(self) -> list[TimeExpression]:
        """Time commitments with a deadline (not 马上/立即) in the agent's own words (quotes left out)."""
        found = find_time_expressions(self.doc.norm, immediate=False)
        return [t for t in found if not self.doc.is_quoted(t.start, t.end)]


class Guard(Protocol):
    """A pure check of one category: context in, violations out; it never edits text."""

    @property
    def category(self) -> FindingCategory:
        """The category of every violation this guard reports."""
        ...

    def check(self, ctx: CheckContext) -> list[Violation]:
        """The violations of this guard's rules in `ctx`."""
        ...
