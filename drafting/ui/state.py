"""What the agent page keeps between reruns: the request, the draft, the edited text and its findings."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from drafting.engine import Drafter, ReplyChecker, StreamEvent
from drafting.models import Attempt, Draft, DraftKind, ScenarioChoice, Ticket
from guards import Channel, GuardReport, Policy, Violation


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
    feedback_saved: str | None = None

    @classmethod
    def start(cls, request: Request, draft: Draft, drafter: Drafter) -> Workspace:
        """A workspace showing the model's final reply and its findings, re-checked as the drafter did."""
        return cls(request, draft, request.checker(drafter), draft.report)

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
        self.feedback_saved = None
        return True

    def apply_fix(self, violation: Violation) -> str:
        """Replace the finding's span with its suggestion (the guards never edit; the agent asks)."""
        text = self.report.text
        if violation not in self.report.violations:
            raise ValueError("this finding is not in the current text any more")
        new_text = text[: violation.start] + violation.suggestion + text[violation.end :]
        self.applied_fixes.append(
            AppliedFix(violation.rule_id, text[violation.start : violation.end], violation.suggestion)
        )
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
    """One attempt as the history shows it: its text, findings, and which of them the next attempt fixed."""

    number: int
    text: str
    passed: bool
    violations: list[Violation]
    fixed: list[Violation]


def attempt_history(attempts: Sequence[Attempt]) -> list[AttemptView]:
    """Every attempt, with the findings that are gone from the attempt after it."""
    views = []
    for index, attempt in enumerate(attempts):
        following = attempts[index + 1] if index + 1 < len(attempts) else None
        remaining = {_finding_key(v) for v in following.violations} if following else None
        fixed = (
            [] if remaining is None else [v for v in attempt.violations if _finding_key(v) not in remaining]
        )
        views.append(
            AttemptView(attempt.number, attempt.reply.text, attempt.passed, attempt.violations, fixed)
        )
    return views


def _finding_key(violation: Violation) -> tuple[str, str]:
    return violation.rule_id, violation.match
