"""tone: impatient, commanding, sarcastic or insulting words; ！, ？？/！！ and ALL CAPS."""

from __future__ import annotations

import re
from collections.abc import Sequence

from guards.context import CheckContext
from guards.patterns import PolicyPattern
from guards.phrase_rules import CompiledPhraseRule, RulesByContext, find_phrases
from guards.policy import CHANNELS, Category, Channel, Policy, PunctuationRule
from guards.violation import RuleFinding, Violation

# Every width and form of ! and ?; ‼ ⁇ ⁈ ⁉ are two marks in one character.
_MARKS = "!！﹗︕?？﹖︖"
_DOUBLE_MARKS = "‼⁇⁈⁉"
# Two patterns, not one alternation: each starts with a class, so `re` skips ahead to a mark.
_REPEATED_MARKS = re.compile(f"[{_MARKS}]{{2,}}")
_DOUBLE_MARK_RUN = re.compile(f"[{_DOUBLE_MARKS}]+")
_EXCLAMATION = re.compile("[!！﹗︕]")
# Words of capitals (two or more, or a lone I between others), not part of a code (X1, NEWYEAR2024,
# A_B): no letter, digit or _ right before or after. The check before comes after the first
# capital so that the pattern starts with a class and `re` skips ahead to the next capital.
_CAPS_RUN = re.compile(r"[A-Z'](?<![A-Za-z0-9_'][A-Z'])[A-Z']+(?:[ \t]+(?:[A-Z']{2,}|I))*(?![A-Za-z0-9_'])")


class ToneGuard:
    """Flags tone phrases, and punctuation or capitals that read as impatience."""

    category: Category = "tone"

    def __init__(self, policy: Policy, rules: Sequence[CompiledPhraseRule]) -> None:
        self._rules = RulesByContext(rules)
        tone = policy.tone
        self._repeated = _findings_by_channel(self.category, tone.repeated_punctuation)
        self._exclamation = _findings_by_channel(self.category, tone.exclamation)
        self._template_marks = {
            channel: pattern
            for channel, words in tone.exclamation.allowed_after.items()
            if (
                pattern := PolicyPattern.of(
                    f"{tone.exclamation.id} (allowed_after)", [f"(?:{w})$" for w in words]
                )
            )
        }
        self._all_caps = _findings_by_channel(self.category, tone.all_caps)
        self._allowed_caps = frozenset(word.upper() for word in policy.tone.allowed_caps)
        self._shouting_words = frozenset(word.upper() for word in policy.tone.shouting_words)

    def check(self, ctx: CheckContext) -> list[Violation]:
        """Tone findings for the context's channel."""
        rules = self._rules.to_search(ctx.channel, ctx.scenario, ctx.may_match)
        found = find_phrases(rules, ctx.doc, ctx.may_match, explain=ctx.explain)
        found += self._punctuation(ctx)
        found += self._capitals(ctx)
        return found

    def _punctuation(self, ctx: CheckContext) -> list[Violation]:
        """Repeated marks (？？, ！！), then each exclamation mark that is not part of one."""
        norm = ctx.doc.norm
        found: list[Violation] = []
        repeated = sorted(
            m.span() for pattern in (_REPEATED_MARKS, _DOUBLE_MARK_RUN) for m in pattern.finditer(norm)
        )
        for start, end in repeated:
            found += self._emit(ctx, self._repeated, start, end)
        template = self._template_marks.get(ctx.channel)
        for match in _EXCLAMATION.finditer(norm):
            if any(start <= match.start() < end for start, end in repeated):
                continue
            if template is not None and template.search(norm, max(0, match.start() - 8), match.start()):
                continue  # 邮件模板的“您好!”
            found += self._emit(ctx, self._exclamation, match.start(), match.end())
        return found

    def _capitals(self, ctx: CheckContext) -> list[Violation]:
        found: list[Violation] = []
        for match in _CAPS_RUN.finditer(ctx.doc.norm):
            words = [w for w in match.group().split() if w not in self._allowed_caps and not _placeholder(w)]
            # Brands, models and codes are in capitals too: only ordinary English words shout.
            if any(w in self._shouting_words for w in words):
                found += self._emit(ctx, self._all_caps, match.start(), match.end())
        return found

    def _emit(
        self, ctx: CheckContext, findings: dict[Channel, RuleFinding], start: int, end: int
    ) -> list[Violation]:
        finding = findings.get(ctx.channel)
        if finding is None or ctx.doc.is_quoted(start, end):
            return []
        return [finding.at(ctx.doc, start, end)]


def _findings_by_channel(category: Category, rule: PunctuationRule) -> dict[Channel, RuleFinding]:
    """The rule's finding per channel where it applies (its severity depends on the channel)."""
    findings = {}
    for channel in CHANNELS:
        severity = rule.severity.for_channel(channel)
        if severity is not None:
            findings[channel] = RuleFinding(
                category, rule.id, severity, rule.message, rule.suggestion, str(rule.source)
            )
    return findings


def _placeholder(word: str) -> bool:
    """True for a template placeholder such as XX or XXXX (one letter repeated)."""
    return len(set(word)) == 1
