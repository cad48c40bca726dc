"""What the agent page keeps between reruns: the request, the draft, the edited text and its findings."""

from __future__ import annotations

import difflib
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from drafting.engine import Drafter, ReplyChecker, StreamEvent
from drafting.models import SECTION_ORDER, Attempt, Draft, DraftKind, ScenarioChoice, Ticket, finish_section
from drafting.triage import Escalation, detect_escalation
from guards import Channel, CompiledPolicy, GuardReport, Policy, Violation
from guards.text import Span


@dataclass(frozen=True)
class DraftRequest:
    """Draft a reply to a ticket."""

    kind: ClassVar[DraftKind] = "draft"
    ticket: Ticket

    @property
    def customer(self) -> str | None:
        """The customer's message."""
        return self.ticket.message

    def events(self, drafter: Drafter) -> Iterator[StreamEvent]:
        """The drafting stream."""
        return drafter.stream_draft(self.ticket)

    def checker(self, drafter: Drafter) -> ReplyChecker:
        """The checks the drafter judged the replies by."""
        return drafter.draft_checker(self.ticket)

    def escalation(self, policy: CompiledPolicy) -> Escalation:
        """Escalation cues in what the customer wrote (no model needed)."""
        return detect_escalation(self.ticket, policy)


@dataclass(frozen=True)
class RewriteRequest:
    """Rewrite the agent's own reply in a tone preset."""

    kind: ClassVar[DraftKind] = "rewrite"
    agent_text: str
    tone: str
    customer: str | None = None
    channel: Channel | None = None
    scenario: ScenarioChoice = "auto"

    def events(self, drafter: Drafter) -> Iterator[StreamEvent]:
        """The rewriting stream."""
        return drafter.stream_rewrite(
            self.agent_text,
            customer=self.customer,
            tone=self.tone,
            channel=self.channel,
            scenario=self.scenario,
        )

    def checker(self, drafter: Drafter) -> ReplyChecker:
        """The checks the drafter judged the rewrites by (the fact guard included)."""
        return drafter.rewrite_checker(
            self.agent_text,
            customer=self.customer,
            tone=self.tone,
            channel=self.channel,
            scenario=self.scenario,
        )

    def escalation(self, policy: CompiledPolicy) -> Escalation:
        """Escalation cues in the customer's message, when there is one (no model needed)."""
        if not self.customer:
            return Escalation(False)
        return detect_escalation(Ticket(message=self.customer), policy)


Request = DraftRequest | RewriteRequest


@dataclass(frozen=True)
class AppliedFix:
    """A suggested wording the agent put in place of a finding's span."""

    rule_id: str
    match: str
    replacement: str


@dataclass
class Workspace:
    """One draft on the page: what was asked, what the model wrote, and the text as edited now."""

    request: Request
    draft: Draft
    checker: ReplyChecker
    report: GuardReport
    applied_fixes: list[AppliedFix] = field(default_factory=list)
    original: GuardReport | None = None
    feedback_id: int | None = None
    serial: str = field(default_factory=lambda: uuid.uuid4().hex)

    @classmethod
    def start(cls, request: Request, draft: Draft, drafter: Drafter) -> Workspace:
        """A workspace showing the model's final reply and its findings, re-checked as the drafter did."""
        checker = request.checker(drafter)
        original = None
        if isinstance(request, RewriteRequest):  # the agent's own text, judged like the rewrite
            original = checker.check(request.agent_text, draft.scenario)
        report = draft.report
        if draft.checked_text is not None:
            # The engine checked the Chinese it composed; the agent edits and sends the English rendering.
            report = checker.check(draft.text, draft.scenario)
        return cls(request, draft, checker, report, original=original)

    @property
    def text(self) -> str:
        """The reply as it stands (the model's, or the agent's edit of it)."""
        return self.report.text

    @property
    def edited(self) -> bool:
        """True when the agent changed the model's reply."""
        return self.report.text != self.draft.text

    def update_text(self, text: str) -> bool:
        """Re-run the guards when the text changed; True when it did."""
        if text == self.report.text:
            return False
        self.report = self.checker.check(text, self.draft.scenario)
        return True

    def preview(self, violation: Violation) -> FixPreview | None:
        """The fix the page offers for a finding: a phrase replaced, or a missing part put in its place."""
        policy = self.checker.policy.policy
        if can_apply(violation, replaceable_rule_ids(policy)):
            return preview_fix(self.text, violation)
        element = missing_element(policy, violation)
        if element is None or not violation.suggestion:
            return None
        return preview_insertion(self.text, violation.suggestion, element, self.sections())

    def sections(self) -> dict[str, Span]:
        """The model's part labels, carried over to the text as edited where it still matches a part."""
        return carry_sections(self.draft.text, self.draft.reply.section_spans(), self.text)

    def apply_fix(self, violation: Violation) -> str:
        """Put the previewed fix in place of the finding's span (the guards never edit; the agent asks)."""
        text = self.report.text
        if violation not in self.report.violations:
            raise ValueError("this finding is not in the current text any more")
        fix = self.preview(violation)
        if fix is None:
            raise ValueError("this finding has no wording to put in")
        new_text = text[: fix.start] + fix.replacement + text[fix.end :]
        self.applied_fixes.append(AppliedFix(violation.rule_id, text[fix.start : fix.end], fix.replacement))
        self.update_text(new_text)
        return new_text


def replaceable_rule_ids(policy: Policy) -> frozenset[str]:
    """Rules whose suggestion is a wording from the documents that can stand in for the match."""
    rules = [*policy.forbidden_phrase, *policy.blame_or_argue, *policy.unkeepable_promise.phrases]
    return frozenset(rule.id for rule in rules if rule.suggestion)


def can_apply(violation: Violation, replaceable: frozenset[str]) -> bool:
    """True for a phrase finding with a span and a replacement wording."""
    return violation.end > violation.start and violation.rule_id in replaceable


@dataclass(frozen=True)
class AttemptView:
    """One attempt as the history shows it: its text, findings, and which rules the next one got rid of."""

    number: int
    text: str
    passed: bool
    violations: list[Violation]
    fixed: list[Violation]
    kept: list[Violation]


def attempt_history(attempts: Sequence[Attempt]) -> list[AttemptView]:
    """Every attempt; a finding counts as fixed only when the next attempt has no finding of its rule."""
    views = []
    for index, attempt in enumerate(attempts):
        following = attempts[index + 1] if index + 1 < len(attempts) else None
        remaining = {v.rule_id for v in following.violations} if following else set()
        fixed = [v for v in attempt.violations if following and v.rule_id not in remaining]
        kept = [v for v in attempt.violations if following and v.rule_id in remaining]
        views.append(
            AttemptView(attempt.number, attempt.reply.text, attempt.passed, attempt.violations, fixed, kept)
        )
    return views


def carry_sections(old: str, sections: Mapping[str, Span], new: str) -> dict[str, Span]:
    """`sections` of `old` moved onto `new`; a part whose text changed by more than half is dropped."""
    if old == new:
        return dict(sections)
    opcodes = difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    carried: dict[str, Span] = {}
    for name, span in sections.items():
        start, end = _moved(opcodes, span.start, start=True), _moved(opcodes, span.end, start=False)
        if end <= start:
            continue
        similarity = difflib.SequenceMatcher(None, old[span.start : span.end], new[start:end]).ratio()
        if similarity >= 0.5:
            carried[name] = Span(start, end)
    return carried


def _moved(opcodes: Sequence[tuple[str, int, int, int, int]], position: int, *, start: bool) -> int:
    """Where `position` of the old text lies in the new one (a changed run maps to its edge)."""
    for tag, i1, i2, j1, j2 in opcodes:
        if i1 <= position < i2 or (position == i2 and not start):
            if tag == "equal":
                return j1 + position - i1
            return j1 if start else j2
    return opcodes[-1][4] if opcodes else 0


_SENTENCE = re.compile(r"[^。！？!?\n]*[。！？!?\n]?")


@dataclass(frozen=True)
class FixPreview:
    """A fix shown in its sentence before it is applied: what replaces which span, and why it was adjusted."""

    before: str
    after: str
    start: int
    end: int
    replacement: str
    note: str | None = None


_CLAUSE_MARKS = "，,、；;"


def preview_fix(text: str, violation: Violation) -> FixPreview:
    """The finding's sentence before and after the fix, adjusted so that it does not stutter or repeat."""
    start, end, replacement = violation.start, violation.end, violation.suggestion
    note = None
    if start > 0 and replacement and text[start - 1] == replacement[0]:
        replacement = replacement[1:]  # "这个我" + "我为您查询一下" would read "这个我我为您…"
    if end < len(text) and replacement and text[end] == replacement[-1]:
        replacement = replacement[:-1]
    sentence = _sentence_around(text, start, end)
    rest = text[sentence.start : start] + "\0" + text[end : sentence.end]
    repeated = _shared_piece(replacement, rest)
    if repeated:  # the sentence already says it: drop the phrase and its clause mark instead
        note = f"这句话里已有“{repeated}”，直接删去“{text[start:end]}”，以免重复。"
        replacement = ""
        if end < sentence.end and text[end] in _CLAUSE_MARKS:
            end += 1
        elif start > sentence.start and text[start - 1] in _CLAUSE_MARKS:
            start -= 1
    before = text[sentence.start : sentence.end]
    after = text[sentence.start : start] + replacement + text[end : sentence.end]
    return FixPreview(before, after, start, end, replacement, note)


def missing_element(policy: Policy, violation: Violation) -> str | None:
    """The reply part a missing-structure finding asks for (soothe, apology …), from the policy."""
    for element in policy.missing_structure.elements:
        if element.id == violation.rule_id:
            return element.element
    return None


def preview_insertion(text: str, wording: str, element: str, sections: Mapping[str, Span]) -> FixPreview:
    """The policy's wording for a missing part, put after the parts that come before it in a reply."""
    sentence = finish_section(wording)
    earlier = SECTION_ORDER[: SECTION_ORDER.index(element)] if element in SECTION_ORDER else SECTION_ORDER
    ends = [span.end for name, span in sections.items() if name in earlier]
    at = max(ends) if ends else (len(text) if element in ("details_request", "solution") else 0)
    while at < len(text) and text[at] in "。！？!?. ":  # after the sentence mark of the part before
        at += 1
    context_start, context_end = max(0, at - 12), min(len(text), at + 12)
    before = text[context_start:context_end]
    after = text[context_start:at] + sentence + text[at:context_end]
    note = "缺少的部分用规范里的原话补上，放在它该在的位置；补好后请通读一遍。"
    return FixPreview(before, after, at, at, sentence, note)


def _sentence_around(text: str, start: int, end: int) -> Span:
    sentence_start = 0
    for match in _SENTENCE.finditer(text):
        if match.end() > start or match.end() == len(text):
            sentence_start = match.start()
            break
    sentence_end = end
    for match in _SENTENCE.finditer(text, sentence_start):
        if match.end() >= end:
            sentence_end = match.end()
            break
    return Span(sentence_start, max(sentence_end, end))


def _shared_piece(replacement: str, rest: str) -> str | None:
    """The longest run of three or more characters of the replacement that the rest of the sentence has."""
    for size in range(len(replacement), 2, -1):
        for at in range(len(replacement) - size + 1):
            piece = replacement[at : at + size]
            if piece in rest:
                return piece
    return None
