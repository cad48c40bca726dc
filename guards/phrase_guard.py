"""The phrase guard: one category's phrase rules (forbidden_phrase, blame_or_argue)."""

from __future__ import annotations

from collections.abc import Sequence

from guards.context import CheckContext
from guards.phrase_rules import CompiledPhraseRule, RulesByContext, find_phrases
from guards.violation import Violation


class PhraseGuard:
    """Flags the phrases of one category's rules in the agent's own words (see guards.phrase_rules)."""

    def __init__(self, rules: Sequence[CompiledPhraseRule]) -> None:
        self._rules = RulesByContext(rules)

    def check(self, ctx: CheckContext) -> list[Violation]:
        """The rules' findings that apply to the context's channel and scenario."""
        rules = self._rules.to_search(ctx.channel, ctx.scenario, ctx.may_match)
        return find_phrases(rules, ctx.doc, ctx.may_match, explain=ctx.explain)
