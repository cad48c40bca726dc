"""unkeepable_promise: guarantees, uncontrolled outcomes, compensation, too-short deadlines."""

from __future__ import annotations

import re
from dataclasses import dataclass

from guards.context import CheckContext
from guards.phrases import PhraseMatcher, violation_for
from guards.policy import Category, Commitment, PhraseRule, Policy, duration_label
from guards.text import Document, normalize_pattern
from guards.timeexpr import TimeExpression
from guards.violation import Violation

# Two deadlines closer than this (in hours) are the same deadline.
_TOLERANCE_HOURS = 1e-6


@dataclass(frozen=True)
class _Commitment:
    spec: Commitment
    actions: re.Pattern[str]


class UnkeepablePromiseGuard:
    """Flags promises outside the policy: phrases and deadlines shorter than the commitments."""

    category: Category = "unkeepable_promise"

    def __init__(self, policy: Policy) -> None:
        section = policy.unkeepable_promise
        self._matcher = PhraseMatcher(self.category, section.phrases)
        authorized = [normalize_pattern(p) for p in section.authorized_compensation]
        self._authorized = re.compile("|".join(authorized)) if authorized else None
        self._commitments = [
            _Commitment(c, re.compile("|".join(normalize_pattern(a) for a in c.actions)))
            for c in section.commitments
        ]
        self._deadlines = section.deadlines
        self._hedges = re.compile("|".join(normalize_pattern(h) for h in section.deadlines.hedges) or "(?!)")

    def check(self, ctx: CheckContext) -> list[Violation]:
        """Promise phrases, then time commitments compared with the policy's deadlines."""
        found = self._matcher.find(ctx.doc, ctx.channel, ctx.scenario, keep=self._not_authorized)
        if ctx.scenario is not None or ctx.channel == "email":
            found += self._deadline_findings(ctx)
        return found

    def _not_authorized(self, rule: PhraseRule, doc: Document, start: int, end: int) -> bool:
        if self._authorized is None:
            return True
        left, right = max(0, start - 12), min(len(doc.norm), end + 12)
        return not any(
            m.start() <= start and m.end() >= end for m in self._authorized.finditer(doc.norm, left, right)
        )

    def _deadline_findings(self, ctx: CheckContext) -> list[Violation]:
        found: list[Violation] = []
        for expr in ctx.times:
            if expr.kind == "immediate":
                continue  # immediate actions are judged by the phrase rules, not by deadlines
            finding = self._judge(ctx, expr)
            if finding is not None:
                found.append(finding)
        return found

    def _applicable(self, ctx: CheckContext) -> list[_Commitment]:
        return [
            c
            for c in self._commitments
            if ctx.channel in c.spec.channels and c.spec.scenario in (None, ctx.scenario)
        ]

    def _judge(self, ctx: CheckContext, expr: TimeExpression) -> Violation | None:
        doc = ctx.doc
        sentence = doc.sentence_bounds(expr.start, expr.end)
        text = doc.norm[sentence.start : sentence.end]
        applicable = self._applicable(ctx)
        cued = [c for c in applicable if c.actions.search(text)]
        candidates = cued or [
            c for c in applicable if c.spec.default_for_scenario and c.spec.scenario == ctx.scenario
        ]
        if not candidates:
            return None
        clause = doc.clause_bounds(expr.start, expr.end)
        hedged = bool(self._hedges.search(doc.norm, clause.start, expr.start))
        allowed = [_allowed_hours(c.spec, hedged) for c in candidates]
        if all(expr.hours < a - _TOLERANCE_HOURS for a in allowed):
            spec = candidates[allowed.index(max(allowed))].spec
            return self._emit(doc, expr, spec, self._deadlines.too_fast_severity, too_fast=True)
        if cued and all(expr.hours > c.spec.within_hours + _TOLERANCE_HOURS for c in cued):
            spec = cued[0].spec
            return self._emit(doc, expr, spec, self._deadlines.too_slow_severity, too_fast=False)
        return None

    def _emit(
        self, doc: Document, expr: TimeExpression, spec: Commitment, severity: str, *, too_fast: bool
    ) -> Violation:
        template = self._deadlines.too_fast_message if too_fast else self._deadlines.too_slow_message
        message = template.format(found=expr.text, within=duration_label(spec.within))
        return violation_for(
            doc,
            self.category,
            spec.id,
            severity,
            expr.start,
            expr.end,
            message,
            spec.phrase,
            str(spec.source),
        )


def _allowed_hours(spec: Commitment, hedged: bool) -> float:
    usually = spec.usually_hours
    return usually if hedged and usually is not None else spec.within_hours
