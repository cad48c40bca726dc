"""tone: impatient, commanding, sarcastic or insulting words; ！, ？？/！！ and ALL CAPS."""

from __future__ import annotations

import re

from guards.context import CheckContext
from guards.phrases import PhraseMatcher
from guards.policy import CHANNELS, Category, Channel, Policy, PunctuationRule
from guards.violation import RuleFinding, Violation

# Every width and form of ! and ?; ‼ ⁇ ⁈ ⁉ are two marks in one character.
_MARKS = "!！﹗︕?？﹖︖"
_DOUBLE_MARKS = "‼⁇⁈⁉"
_REPEATED = re.compile(f"[{_MARKS}]{{2,}}|[{_DOUBLE_MARKS}]+")
_EXCLAMATION = re.compile("[!！﹗︕]")
# Written [x][x]* rather than [x]+: `re` skips ahead by first character only when a pattern
# starts with a plain character class, not with a repeat.
_MARK_RUN = re.compile(f"[{_MARKS}{_DOUBLE_MARKS}][{_MARKS}{_DOUBLE_MARKS}]*")
# A cheap first look (the engine skips ahead in C); the full run pattern only runs after a hit.
_TWO_CAPITALS = re.compile(r"[A-Z][A-Z]")
# The "no letter before" check follows the first capital, so the pattern starts with a class.
_CAPS_RUN = re.compile(r"[A-Z](?<![A-Za-z][A-Z])[A-Z]+(?:[ \t]+[A-Z]{2,})*(?![A-Za-z])")


class ToneGuard:
    """Flags tone phrases, and punctuation or capitals that read as impatience."""

    category: Category = "tone"

    def __init__(self, policy: Policy) -> None:
        self._matcher = PhraseMatcher(self.category, policy.tone.phrases)
        tone = policy.tone
        self._repeated = _findings_by_channel(self.category, tone.repeated_punctuation)
        self._exclamation = _findings_by_channel(self.category, tone.exclamation)
        self._all_caps = _findings_by_channel(self.category, tone.all_caps)
        self._allowed_caps = frozenset(word.upper() for word in policy.tone.allowed_caps)

    def check(self, ctx: CheckContext) -> list[Violation]:
        """Tone findings for the context's channel."""
        found = self._matcher.find(ctx.doc, ctx.channel, ctx.scenario)
        found += self._punctuation(ctx)
        found += self._capitals(ctx)
        return found

    def _punctuation(self, ctx: CheckContext) -> list[Violation]:
        norm = ctx.doc.norm
        found: list[Violation] = []
        # Each run of marks alone: one cheap scan finds them, the rules then look only there.
        for run in _MARK_RUN.finditer(norm):
            if run.end() - run.start() == 1 and norm[run.start()] not in _DOUBLE_MARKS:
                # The common case, one single mark: no repetition, at most an exclamation.
                if _EXCLAMATION.match(norm, run.start()):
                    found += self._emit(ctx, self._exclamation, run.start(), run.end())
                continue
            repeated_spans: list[tuple[int, int]] = []
            for match in _REPEATED.finditer(norm, run.start(), run.end()):
                repeated_spans.append(match.span())
                found += self._emit(ctx, self._repeated, match.start(), match.end())
            for match in _EXCLAMATION.finditer(norm, run.start(), run.end()):
                if any(a <= match.start() < b for a, b in repeated_spans):
                    continue
                found += self._emit(ctx, self._exclamation, match.start(), match.end())
        return found

    def _capitals(self, ctx: CheckContext) -> list[Violation]:
        if _TWO_CAPITALS.search(ctx.doc.norm) is None:
            return []
        found: list[Violation] = []
        for match in _CAPS_RUN.finditer(ctx.doc.norm):
            words = match.group().split()
            unknown = [w for w in words if w not in self._allowed_caps and not _placeholder(w)]
            if any(len(w) >= 4 for w in unknown) or (len(words) >= 2 and unknown):
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
