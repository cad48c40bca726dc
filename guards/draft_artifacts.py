"""model_artifact: flaws of model-written drafts that a person would not write.

Leaked instructions (prompt or rule text copied into the reply), a sentence said twice, the
prompt's worked example copied where it does not fit, and English words slipped into a
Chinese reply.
They run on model-written text only (`guards.check(..., draft=DraftInputs(...))`, see
guards.registry); their patterns, thresholds and messages are the policy's `[draft_checks]`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from guards.context import CheckContext
from guards.patterns import PolicyPattern
from guards.policy import (
    DraftCheckCategory,
    DraftCheckRule,
    LeakDraftCheck,
    MixedLanguageDraftCheck,
    SimilarityDraftCheck,
)
from guards.text import Document, Span
from guards.violation import Violation

# Clause boundaries for repeat and copy checks (a clause is the unit a model repeats).
_CLAUSE = re.compile(r"[^，。,.!?！？；;\n]+")
# Characters ignored when comparing clauses.
_NOISE = re.compile(r"[\s\"'“”‘’、~～…—\-]+")


def clauses(norm: str) -> Iterator[Span]:
    """Spans of the clauses of a normalised text."""
    for match in _CLAUSE.finditer(norm):
        text = match.group()
        left = len(text) - len(text.lstrip())
        right = len(text.rstrip())
        if right > left:
            yield Span(match.start() + left, match.start() + right)


def comparable(text: str) -> str:
    """A clause as compared: without spaces, quotes and dashes."""
    return _NOISE.sub("", text)


def similarity(a: str, b: str) -> float:
    """Dice coefficient of the character bigrams of two strings (1.0: identical)."""
    if a == b:
        return 1.0
    return _Grams.of(a).similarity(_Grams.of(b))


@dataclass(frozen=True)
class _Grams:
    """The character bigrams of a clause, counted once for many comparisons."""

    counts: Counter[str]
    total: int

    @classmethod
    def of(cls, text: str) -> _Grams:
        counts = Counter(text[i : i + 2] for i in range(len(text) - 1))
        return cls(counts, max(len(text) - 1, 0))

    def similarity(self, other: _Grams) -> float:
        if not self.total or not other.total:
            return 0.0
        shared = sum((self.counts & other.counts).values())
        return 2 * shared / (self.total + other.total)

    def could_reach(self, other: _Grams, threshold: float) -> bool:
        # Dice is at most 2·min/sum of the two sizes: skip counting when even that is too low.
        return 2 * min(self.total, other.total) / max(self.total + other.total, 1) >= threshold


def draft_violation(
    doc: Document, rule: DraftCheckRule, category: DraftCheckCategory, span: Span
) -> Violation:
    """A violation of a draft check at a span of `doc.norm`; {found} names the matched text."""
    found = doc.norm[span.start : span.end]
    original = doc.original_span(span.start, span.end)
    return Violation(
        category=category,
        rule_id=rule.id,
        severity=rule.severity,
        start=original.start,
        end=original.end,
        match=doc.original[original.start : original.end],
        message=rule.message.replace("{found}", found),
        suggestion=rule.suggestion.replace("{found}", found),
        source=str(rule.source),
    )


class LeakedInstructionGuard:
    """Flags prompt or rule text (不得…, JSON, 示例, section names, instruction clauses) in the reply."""

    category: DraftCheckCategory = "model_artifact"

    def __init__(self, rule: LeakDraftCheck) -> None:
        self._rule = rule
        self._pattern = PolicyPattern.of(rule.id, rule.patterns)

    def check(self, ctx: CheckContext) -> list[Violation]:
        """Every leaked instruction phrase or clause outside quotation marks."""
        given = ctx.draft.instruction_clauses if ctx.draft else ()
        instructions = [c for c in map(comparable, given) if len(c) >= self._rule.min_chars]
        found_by_pattern = self._pattern.finditer(ctx.doc.norm) if self._pattern else ()
        spans = [Span(m.start(), m.end()) for m in found_by_pattern]
        spans += [
            c for c in clauses(ctx.doc.norm) if self._copies(ctx.doc.norm[c.start : c.end], instructions)
        ]
        found = []
        for span in sorted(set(spans)):
            if span.end > span.start and not _in_quotes(ctx.doc, span):
                found.append(draft_violation(ctx.doc, self._rule, self.category, span))
        return found

    def _copies(self, clause: str, instructions: Sequence[str]) -> bool:
        text = comparable(clause)
        return any(i in text or (len(text) >= self._rule.min_chars and text in i) for i in instructions)


class RepeatedSentenceGuard:
    """Flags a clause that repeats (nearly word for word) an earlier clause of the reply."""

    category: DraftCheckCategory = "model_artifact"

    def __init__(self, rule: SimilarityDraftCheck) -> None:
        self._rule = rule

    def check(self, ctx: CheckContext) -> list[Violation]:
        """The later clause of every near-identical pair."""
        seen: list[_Grams] = []
        found = []
        for span in clauses(ctx.doc.norm):
            text = comparable(ctx.doc.norm[span.start : span.end])
            if len(text) < self._rule.min_chars:
                continue
            grams = _Grams.of(text)
            if _close_to_any(grams, seen, self._rule.similarity):
                found.append(draft_violation(ctx.doc, self._rule, self.category, span))
            else:
                seen.append(grams)
        return found


class CopiedExampleGuard:
    """Flags a clause copied from the prompt's worked example (which is about another customer)."""

    category: DraftCheckCategory = "model_artifact"

    def __init__(self, rule: SimilarityDraftCheck) -> None:
        self._rule = rule

    def check(self, ctx: CheckContext) -> list[Violation]:
        """Clauses of the reply that match an example-only clause."""
        given = ctx.draft.example_clauses if ctx.draft else ()
        examples = [_Grams.of(c) for c in map(comparable, given) if len(c) >= self._rule.min_chars]
        if not examples:
            return []
        found = []
        for span in clauses(ctx.doc.norm):
            text = comparable(ctx.doc.norm[span.start : span.end])
            if len(text) < self._rule.min_chars:
                continue
            if _close_to_any(_Grams.of(text), examples, self._rule.similarity):
                found.append(draft_violation(ctx.doc, self._rule, self.category, span))
        return found


_LATIN_WORD = re.compile(r"(?<![A-Za-z0-9.@/:_-])[a-z]+(?![A-Za-z0-9.@/:_-])")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LETTER = re.compile(r"[A-Za-z]")


class MixedLanguageGuard:
    """Flags an English word slipped into a Chinese reply (the small model does this)."""

    category: DraftCheckCategory = "model_artifact"

    def __init__(self, rule: MixedLanguageDraftCheck, allowed: Sequence[str]) -> None:
        self._rule = rule
        self._allowed = frozenset(word.lower() for word in allowed)

    def check(self, ctx: CheckContext) -> list[Violation]:
        """Lowercase Latin words the customer did not use, in a mostly Chinese reply."""
        norm = ctx.doc.norm
        chinese, latin = len(_CJK.findall(norm)), len(_LETTER.findall(norm))
        if not latin or chinese < self._rule.chinese_share * (chinese + latin):
            return []
        customer = (ctx.doc.customer or "").lower()
        found = []
        for match in _LATIN_WORD.finditer(norm):
            word = match.group()
            if len(word) < self._rule.min_letters or word in self._allowed or word in customer:
                continue
            found.append(draft_violation(ctx.doc, self._rule, self.category, Span(*match.span())))
        return found


def _close_to_any(grams: _Grams, others: Sequence[_Grams], threshold: float) -> bool:
    return any(grams.could_reach(o, threshold) and grams.similarity(o) >= threshold for o in others)


def _in_quotes(doc: Document, span: Span) -> bool:
    """True when the span lies inside quotation marks or reported speech."""
    return any(q.start <= span.start and span.end <= q.end for q in doc.quoted)
