"""What every guard sees for one check: the normalised document, scenario, channel and more."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal, NamedTuple, Protocol

from guards.patterns import PolicyPattern
from guards.policy import Channel, FindingCategory, Scenario
from guards.text import Document, fold, strip_invisible
from guards.timeexpr import TimeExpression, TimeMention, find_time_expressions, named_times, time_mentions
from guards.violation import Suppressed, Violation

Speaker = Literal["customer", "agent"]
TurnPosition = Literal["first", "follow_up"]


class Turn(NamedTuple):
    """One earlier turn of the conversation: who said it and what."""

    speaker: Speaker
    text: str


@dataclass(frozen=True)
class DraftInputs:
    """What the checks of model-written text need besides the text itself.

    `example_clauses`: the prompt's worked example (about another customer); `instruction_clauses`:
    the prompt's instructions, which must not appear in a reply; `original`: for a rewrite, the
    agent's text it was made from (its facts must be kept).
    """

    example_clauses: tuple[str, ...] = ()
    instruction_clauses: tuple[str, ...] = ()
    original: str | None = None


@dataclass
class CheckContext:
    """One text under check, with facts computed once and shared by the guards.

    `may_match`: the numbers of the policy's phrase patterns that a prefilter found possible in
    the text (None: all of them); `ruled_out`: the owners of the guards' cue patterns that the
    prefilter found impossible in the text; `draft`: set when the text was written by a model.
    """

    doc: Document
    scenario: Scenario | None
    channel: Channel
    may_match: frozenset[int] | None = None
    draft: DraftInputs | None = None
    history: tuple[Turn, ...] = field(default=())
    turn: TurnPosition | None = None
    today: dt.date = field(default_factory=dt.date.today)
    explain: list[Suppressed] | None = None  # when a list: receives the matches that are no finding
    ruled_out: frozenset[str] = frozenset()

    def may_contain(self, pattern: PolicyPattern) -> bool:
        """False when the prefilter found that `pattern` cannot match the reply (`doc.norm`)."""
        return pattern.owner not in self.ruled_out

    @cached_property
    def customer_words(self) -> str:
        """Everything the customer said: the message under reply and earlier turns (normalised)."""
        earlier = [fold(strip_invisible(t.text)) for t in self.history if t.speaker == "customer"]
        return "\n".join([*earlier, self.doc.customer or ""])

    @cached_property
    def agent_turns(self) -> tuple[str, ...]:
        """The agent's earlier turns, normalised."""
        return tuple(fold(strip_invisible(t.text)) for t in self.history if t.speaker == "agent")

    @cached_property
    def time_mentions(self) -> list[TimeMention]:
        """The reply's durations, days and immediate words, found once for the guards that judge them."""
        return time_mentions(self.doc.norm)

    @cached_property
    def deadlines(self) -> list[TimeExpression]:
        """Time commitments with a deadline (not 马上/立即) in the agent's own words (quotes left out)."""
        found = find_time_expressions(self.doc.norm, immediate=False, mentions=self.time_mentions)
        return [t for t in found if not self.doc.is_quoted(t.start, t.end)]

    @cached_property
    def names_a_time(self) -> bool:
        """True when the agent's own words say when something will happen: a deadline, or a time
        that is no commitment to judge (本周六上午9点, 马上为您退款, 需要两三分钟)."""
        if self.deadlines:
            return True
        named = named_times(self.doc.norm, self.time_mentions)
        return any(not self.doc.is_quoted(start, end) for start, end in named)


class Guard(Protocol):
    """A pure check: context in, violations out; it never edits text.

    A guard may also list the cue patterns it searches in the reply as `prefiltered_cues`
    (a tuple of PolicyPattern): the engine's prefilter then scans for them too, and the guard
    skips a pattern that `ctx.may_contain` says cannot match.
    """

    def check(self, ctx: CheckContext) -> list[Violation]:
        """The violations of this guard's rules in `ctx`."""
        ...


__all__ = ["CheckContext", "DraftInputs", "FindingCategory", "Guard", "Turn", "TurnPosition"]
