"""facts_changed: a rewrite keeps every fact of the original and adds no promise of its own.

Every number, amount, date, order id and product name of the agent's original reply must
survive the rewrite; the rewrite may not invent order ids or amounts, nor add a deadline or a
compensation that neither the original nor the policy contains. A finding is a violation
for the agent to see, never a silent fix. Rules and messages: the policy's `[draft_checks]`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from guards.context import CheckContext
from guards.draft_artifacts import draft_violation
from guards.patterns import PolicyPattern
from guards.policy import DraftCheckCategory, DraftChecks, FactDraftCheck, Policy
from guards.text import Document, Span
from guards.timeexpr import find_time_expressions, parse_number
from guards.violation import Violation

# Language mechanics, not rules: how ids, numbers, amounts and dates are written.
_ID = re.compile(r"(?<![A-Za-z0-9])(?=[A-Za-z0-9-]*\d)[A-Za-z0-9][A-Za-z0-9-]{4,}(?![A-Za-z0-9])")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_CN_NUMBER = re.compile(
    r"[零〇一二两三四五六七八九十百]+(?=\s*(个|天|小时|分钟|元|块|件|次|号|日|月|年|周|张|台|单|份|瓶|箱|倍|折))"
)
_AMOUNT = re.compile(r"[¥￥]\s*\d+(?:\.\d+)?|\d+(?:\.\d+)?\s*(?:元|块钱|块)")
_DATE_WORD = re.compile(r"今天|明天|后天|昨天|前天|今晚|本周|下周|上周|(周|星期|礼拜)[一二三四五六日天]")
_LATIN = re.compile(r"(?<![A-Za-z])[A-Za-z][A-Za-z+]+(?![A-Za-z])")


@dataclass
class Facts:
    """The facts of one text: ids, number values, date words and names."""

    ids: dict[str, Span] = field(default_factory=dict)
    numbers: dict[float, Span] = field(default_factory=dict)
    words: dict[str, Span] = field(default_factory=dict)
    amounts: dict[float, Span] = field(default_factory=dict)


def find_facts(norm: str, product_patterns: Iterable[PolicyPattern] = ()) -> Facts:
    """The ids, numbers (Arabic and Chinese), amounts, date words and product names in `norm`."""
    facts = Facts()
    id_spans = []
    for match in _ID.finditer(norm):
        facts.ids.setdefault(match.group().upper(), Span(match.start(), match.end()))
        id_spans.append(Span(match.start(), match.end()))
    for pattern in (_NUMBER, _CN_NUMBER):
        for match in pattern.finditer(norm):
            if any(s.start <= match.start() < s.end for s in id_spans):
                continue
            value = parse_number(match.group())
            if value is not None:
                facts.numbers.setdefault(value, Span(match.start(), match.end()))
    for match in _AMOUNT.finditer(norm):
        number = _NUMBER.search(match.group())
        if number is not None:
            facts.amounts.setdefault(float(number.group()), Span(match.start(), match.end()))
    words = [m for pattern in (_DATE_WORD, _LATIN) for m in pattern.finditer(norm)]
    words += [m for pattern in product_patterns for m in pattern.finditer(norm)]
    for match in words:
        if match.group():
            facts.words.setdefault(match.group().lower(), Span(match.start(), match.end()))
    return facts


@dataclass(frozen=True)
class _Original:
    """The agent's text a rewrite was made from: its facts, and what the rewrite may know."""

    norm: str
    facts: Facts
    known: str
    hours: set[float]

    @classmethod
    def of(cls, original: str, customer: str | None, products: Sequence[PolicyPattern]) -> _Original:
        """Read the facts of `original`; `customer` is the customer's normalised message."""
        norm = Document.of(original).norm
        hours = {t.hours for t in find_time_expressions(norm)}
        return cls(norm, find_facts(norm, products), f"{norm}\n{customer or ''}", hours)


class FactPreservationGuard:
    """Compares a rewrite with the original it was made from (and the customer's message)."""

    category: DraftCheckCategory = "facts_changed"

    def __init__(self, policy: Policy) -> None:
        checks = policy.draft_checks
        if checks is None:
            raise ValueError("the policy has no [draft_checks] section")
        self._checks: DraftChecks = checks
        self._policy = policy
        self._products = [
            PolicyPattern.one(checks.facts_missing.id, p) for p in checks.facts_missing.product_patterns
        ]
        self._compensation = PolicyPattern.of(
            checks.added_compensation.id, checks.added_compensation.patterns
        )
        self._authorized = PolicyPattern.of(
            "unkeepable_promise.authorized_compensation", policy.unkeepable_promise.authorized_compensation
        )

    def check(self, ctx: CheckContext) -> list[Violation]:
        """Facts lost, ids or amounts invented, deadlines or compensation added (rewrites only)."""
        if ctx.draft is None or ctx.draft.original is None:
            return []
        original = _Original.of(ctx.draft.original, ctx.doc.customer, self._products)
        rewrite = find_facts(ctx.doc.norm, self._products)
        return [
            *self._missing(ctx.doc, original, rewrite),
            *self._invented(ctx.doc, original, rewrite),
            *self._added_deadlines(ctx, original),
            *self._added_compensation(ctx.doc, original),
        ]

    def _missing(self, doc: Document, original: _Original, rewrite: Facts) -> list[Violation]:
        rule = self._checks.facts_missing
        lost = [
            original.norm[s.start : s.end] for key, s in original.facts.ids.items() if key not in rewrite.ids
        ]
        lost += [
            original.norm[s.start : s.end]
            for value, s in original.facts.numbers.items()
            if value not in rewrite.numbers
        ]
        lost += [
            original.norm[s.start : s.end]
            for key, s in original.facts.words.items()
            if key not in rewrite.words
        ]
        return [_whole_reply_violation(doc, rule, self.category, fact) for fact in dict.fromkeys(lost)]

    def _invented(self, doc: Document, original: _Original, rewrite: Facts) -> list[Violation]:
        rule = self._checks.invented_facts
        known = original.known.upper()
        spans = [s for key, s in rewrite.ids.items() if key not in known]
        spans += [s for value, s in rewrite.amounts.items() if value not in original.facts.numbers]
        return [draft_violation(doc, rule, self.category, span) for span in spans]

    def _added_deadlines(self, ctx: CheckContext, original: _Original) -> list[Violation]:
        allowed = original.hours | self._policy_hours(ctx)
        rule = self._checks.added_commitment
        return [
            draft_violation(ctx.doc, rule, self.category, Span(t.start, t.end))
            for t in ctx.deadlines
            if not any(abs(t.hours - h) < 1e-6 for h in allowed)
        ]

    def _policy_hours(self, ctx: CheckContext) -> set[float]:
        hours: set[float] = set()
        for spec in self._policy.unkeepable_promise.commitments:
            if ctx.channel in spec.channels and spec.scenario in (None, ctx.scenario):
                hours.add(spec.within_hours)
                if spec.usually_hours is not None:
                    hours.add(spec.usually_hours)
        return hours

    def _added_compensation(self, doc: Document, original: _Original) -> list[Violation]:
        rule = self._checks.added_compensation
        found: list[Violation] = []
        if self._compensation is None:
            return found
        for match in self._compensation.finditer(doc.norm):
            if match.group() in original.norm:
                continue
            clause = doc.clause_bounds(match.start(), match.end())
            if self._authorized is not None and self._authorized.search(doc.norm, clause.start, clause.end):
                continue
            found.append(draft_violation(doc, rule, self.category, Span(match.start(), match.end())))
        return found


def _inside_any(span: Span, spans: Iterable[Span]) -> bool:
    return any(s.start <= span.start and span.end <= s.end for s in spans)


def _whole_reply_violation(
    doc: Document, rule: FactDraftCheck, category: DraftCheckCategory, fact: str
) -> Violation:
    """A finding about something absent: it spans nothing, its message names the fact."""
    violation = draft_violation(doc, rule, category, Span(0, 0))
    return Violation(
        category=violation.category,
        rule_id=violation.rule_id,
        severity=violation.severity,
        start=0,
        end=0,
        match="",
        message=rule.message.replace("{found}", fact),
        suggestion=rule.suggestion.replace("{found}", fact),
        source=violation.source,
    )
