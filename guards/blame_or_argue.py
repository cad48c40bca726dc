"""blame_or_argue: shifting blame to the customer or others, arguing with the customer."""

from __future__ import annotations

from guards.context import CheckContext
from guards.phrases import PhraseMatcher
from guards.policy import Category, Policy
from guards.violation import Violation


class BlameOrArgueGuard:
    """Flags blame-shifting and arguing phrases in the agent's own words."""

    category: Category = "blame_or_argue"

    def __init__(self, policy: Policy) -> None:
        self._matcher = PhraseMatcher(self.category, policy.blame_or_argue)

    def check(self, ctx: CheckContext) -> list[Violation]:
        """Blame and argument phrases that are not quoted or conditional."""
        return self._matcher.find(ctx.doc, ctx.channel, ctx.scenario)
