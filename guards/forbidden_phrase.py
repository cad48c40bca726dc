"""forbidden_phrase: negative, cold or evasive phrases (不知道, 没办法, 这是规定…)."""

from __future__ import annotations

from guards.context import CheckContext
from guards.phrases import PhraseMatcher
from guards.policy import Category, Policy
from guards.violation import Violation


class ForbiddenPhraseGuard:
    """Flags the policy's forbidden phrases in the agent's own words."""

    category: Category = "forbidden_phrase"

    def __init__(self, policy: Policy) -> None:
        self._matcher = PhraseMatcher(self.category, policy.forbidden_phrase)

    def check(self, ctx: CheckContext) -> list[Violation]:
        """Forbidden phrases that are not quoted, polite forms or conditionals."""
        return self._matcher.find(ctx.doc, ctx.channel, ctx.scenario)
