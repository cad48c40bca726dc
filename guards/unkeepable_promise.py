"""unkeepable_promise: guarantees, uncontrolled outcomes, compensation, too-short deadlines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from guards import due_dates
from guards.clauses import clause_asks, clause_span, decide, sentence_span
from guards.context import CheckContext
from guards.patterns import PolicyPattern
from guards.phrase_rules import CompiledPhraseRule, RulesByContext, find_phrases
from guards.policy import (
    CHANNELS,
    SCENARIOS,
    SLOW_DEADLINE,
    Category,
    Channel,
    Commitment,
    FindingCategory,
    PhraseRule,
    Policy,
    Scenario,
    duration_label,
)
from guards.text import Document
from guards.timeexpr import TimeExpression
from guards.violation import RuleFinding, Violation

# Two deadlines closer than this (in hours) are the same deadline.
_TOLERANCE_HOURS = 1e-6
# How far around a promise phrase authorised compensation wording is looked for.
_AUTHORIZED_CONTEXT = 12
# Stands in for authorised wording: a character no rule pattern matches.
_MASK = "\x00"


@dataclass(frozen=True)
class _Commitment:
    """A policy commitment with its cue words compiled and its deadlines in hours."""

    spec: Commitment
    actions: PolicyPattern
    within_hours: float
    usually_hours: float | None

    @classmethod
    def of(cls, spec: Commitment) -> _Commitment:
        """Compile one commitment of the policy."""
        actions = PolicyPattern.of(spec.id, spec.actions)
        assert actions is not None  # the policy requires at least one action
        return cls(spec, actions, spec.within_hours, spec.usually_hours)

    @property
    def allowed_hours(self) -> float:
        """The shortest deadline that may be promised: the documents' own `usually` when given."""
        return self.usually_hours if self.usually_hours is not None else self.within_hours

    @property
    def limit(self) -> str:
        """The policy duration a promise is judged against, as written in the policy."""
        return self.spec.usually or self.spec.within


@dataclass(frozen=True)
class _Applicable:
    """The commitments for one channel and scenario, and the scenario's defaults among them."""

    commitments: tuple[_Commitment, ...]
    defaults: tuple[_Commitment, ...]

    @classmethod
    def of(
        cls, commitments: Sequence[_Commitment], channel: Channel, scenario: Scenario | None
    ) -> _Applicable:
        """The commitments for a channel and scenario (those for any scenario included)."""
        chosen = tuple(
            c for c in commitments if channel in c.spec.channels and c.spec.scenario in (None, scenario)
        )
        defaults = tuple(c for c in chosen if c.spec.default_for_scenario and c.spec.scenario == scenario)
        return cls(chosen, defaults)


class UnkeepablePromiseGuard:
    """Flags promises outside the policy: phrases and deadlines shorter than the commitments."""

    category: Category = "unkeepable_promise"

    def __init__(self, policy: Policy, rules: Sequence[CompiledPhraseRule]) -> None:
        section = policy.unkeepable_promise
        self._rules = RulesByContext(rules)
        self._authorized = PolicyPattern.of(
            "unkeepable_promise.authorized_compensation", section.authorized_compensation
        )
        self._rule_patterns = {r.rule.id: PolicyPattern.of(r.rule.id, r.rule.patterns) for r in rules}
        commitments = [_Commitment.of(c) for c in section.commitments]
        self._applicable = {
            (channel, scenario): _Applicable.of(commitments, channel, scenario)
            for channel in CHANNELS
            for scenario in (None, *SCENARIOS)
        }
        self._deadlines = section.deadlines
        self._hedges = PolicyPattern.of("unkeepable_promise.deadlines.hedges", section.deadlines.hedges)

    def check(self, ctx: CheckContext) -> list[Violation]:
        """Promise phrases, then time commitments compared with the policy's deadlines."""
        rules = self._rules.to_search(ctx.channel, ctx.scenario, ctx.may_match)
        found = find_phrases(rules, ctx.doc, ctx.may_match, keep=self._not_authorized, explain=ctx.explain)
        if ctx.scenario is not None or ctx.channel == "email":
            # A deadline inside a flagged phrase (保证今天解决) is the same promise: report it once.
            found += [d for d in self._deadline_findings(ctx) if not _overlaps_any(d, found)]
        return found

    def _not_authorized(self, rule: PhraseRule, doc: Document, start: int, end: int) -> bool:
        """False when the phrase is a promise only because of compensation the company authorised.

        The authorised wording is blanked out and the rule tried again on the same place: 为您全额赔偿
        with 全额赔偿 authorised is fine, 为您申请运费险和双倍赔偿 with only 运费险 authorised is not.
        """
        if self._authorized is None:
            return True
        left, right = max(0, start - _AUTHORIZED_CONTEXT), min(len(doc.norm), end + _AUTHORIZED_CONTEXT)
        window = doc.norm[left:right]
        authorized = list(self._authorized.finditer(window))
        if not authorized:
            return True
        masked = list(window)
        for match in authorized:
            masked[match.start() : match.end()] = _MASK * (match.end() - match.start())
        pattern = self._rule_patterns[rule.id]
        assert pattern is not None  # a phrase rule has at least one pattern
        found = pattern.finditer("".join(masked))
        return any(m.start() < end - left and m.end() > start - left for m in found)

    def _deadline_findings(self, ctx: CheckContext) -> list[Violation]:
        """Deadlines (not 马上/立即, which the phrase rules judge) outside the commitments."""
        found: list[Violation] = []
        applicable = self._applicable[(ctx.channel, ctx.scenario)]
        for expr in ctx.deadlines:
            finding = self._judge(ctx.doc, expr, applicable, ctx.today)
            if finding is not None:
                found.append(finding)
        return found

    def _judge(
        self, doc: Document, expr: TimeExpression, applicable: _Applicable, today: dt.date
    ) -> Violation | None:
        """A finding when `expr` is shorter than every candidate commitment or longer than every cued one."""
        text = doc.norm
        if clause_asks(text, expr.start, expr.end):
            return None  # 明天上午方便吗？ / 哪有当天就到的？: no promise
        sentence_start, sentence_end = sentence_span(text, expr.start, expr.end)
        sentence = text[sentence_start:sentence_end]
        cued = [c for c in applicable.commitments if c.actions.search(sentence)]
        # A cue for a commitment of any scenario (专员) does not set aside the scenario's own
        # commitment: 专员30分钟内回电 is fine for an urgent case.
        candidates = cued
        if not any(c.spec.scenario is not None for c in cued):
            candidates = cued + [d for d in applicable.defaults if d not in cued]
        if not candidates:
            return None
        allowed = [c.allowed_hours for c in candidates]
        if all(expr.hours < a - _TOLERANCE_HOURS for a in allowed) and not self._hedged(text, expr):
            named = [c for c in candidates if c in cued] or candidates  # name what the sentence is about
            longest = max(c.allowed_hours for c in named)
            chosen = _most_specific([c for c in named if c.allowed_hours == longest])
            return self._emit(doc, expr, chosen.spec, chosen.limit, today, too_fast=True)
        if cued and all(expr.hours > c.within_hours + _TOLERANCE_HOURS for c in cued):
            chosen = _most_specific(cued)
            return self._emit(doc, expr, chosen.spec, chosen.spec.within, today, too_fast=False)
        return None

    def _hedged(self, text: str, expr: TimeExpression) -> bool:
        """Whether `expr` is a hedged estimate (预计/一般…明天到, 能否当天修好要看…), no promise however
        short: the context layer's hedges, and the policy's own (最快) before it in its clause."""
        if decide(text, expr.start, expr.end, ("hedged",)) is not None:
            return True
        if self._hedges is None:
            return False
        clause_start = clause_span(text, expr.start, expr.end).start
        return self._hedges.search(text, clause_start, expr.start) is not None

    def _emit(
        self,
        doc: Document,
        expr: TimeExpression,
        spec: Commitment,
        limit: str,
        today: dt.date,
        *,
        too_fast: bool,
    ) -> Violation:
        """The finding for a deadline judged against `limit` (the commitment's usually or within); the
        promised deadline is shown with its due date (2个工作日内（12月9日（周三）前）)."""
        deadlines = self._deadlines
        template = deadlines.too_fast_message if too_fast else deadlines.too_slow_message
        severity = deadlines.too_fast_severity if too_fast else deadlines.too_slow_severity
        found = expr.text
        if expr.kind == "duration":
            found += f"（{due_dates.deadline_label(today, expr.hours, expr.working_days)}）"
        message = template.format(found=found, within=duration_label(limit))
        category: FindingCategory = self.category if too_fast else SLOW_DEADLINE
        finding = RuleFinding(category, spec.id, severity, message, spec.phrase, str(spec.source))
        return finding.at(doc, expr.start, expr.end)


def _most_specific(commitments: list[_Commitment]) -> _Commitment:
    """The commitment a finding names: one for the scenario, then one for fewer channels."""
    return max(commitments, key=lambda c: (c.spec.scenario is not None, -len(c.spec.channels)))


def _overlaps_any(finding: Violation, others: list[Violation]) -> bool:
    return any(o.start < finding.end and finding.start < o.end for o in others)
