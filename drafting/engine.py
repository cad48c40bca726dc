"""The drafting engine: ticket → model → reply → guards → (feedback → model)* → Draft.

Up to `max_attempts` rounds: the model drafts, the guards check the completed text, and any
blocking finding is sent back (rule, quoted span, fix) for another round. Every attempt is
kept; a draft that still violates after the last round is returned with passed=False.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field

import guards
from drafting.chat import ChatClient, ChatRequest, Completion, ContentDelta, Message
from drafting.errors import InputError, UnparseableOutputError
from drafting.models import (
    MAX_MESSAGE_CHARS,
    Attempt,
    Draft,
    DraftKind,
    ModelReply,
    ScenarioChoice,
    ScenarioSource,
    Ticket,
    Usage,
)
from drafting.parsing import ReplyParseError, ReplyTextStream, parse_reply
from drafting.prompting import Prompts, reply_schema
from drafting.tones import get_tone
from drafting.triage import Escalation, detect_escalation, keyword_scenario
from guards import SCENARIOS, Channel, CompiledPolicy, DraftInputs, Policy, Scenario, compile_policy

DEFAULT_MAX_ATTEMPTS = 3
# Sampling temperature of the re-asks: small models tend to repeat their last answer word for
# word at a low temperature, which wastes the attempt.
RETRY_TEMPERATURE = 0.7
# The scenario used when neither the caller, the model nor the keywords name one.
FALLBACK_SCENARIO: Scenario = "consult"


@dataclass(frozen=True)
class TextDelta:
    """New reply text of the attempt that is streaming."""

    attempt: int
    text: str


@dataclass(frozen=True)
class AttemptFinished:
    """An attempt is complete and checked; another follows when it did not pass."""

    attempt: Attempt


@dataclass(frozen=True)
class DraftFinished:
    """The loop is over: the final Draft."""

    draft: Draft


StreamEvent = TextDelta | AttemptFinished | DraftFinished


@dataclass(frozen=True)
class ReplyChecker:
    """The checks the engine judges a job's replies by; `check` runs them on any text (an edit)."""

    policy: CompiledPolicy
    channel: Channel
    customer: str | None
    draft: DraftInputs

    def check(self, text: str, scenario: Scenario | None) -> guards.GuardReport:
        """The findings of `text` in `scenario`, exactly as the engine finds them in a reply."""
        return guards.check(
            text,
            scenario=scenario,
            channel=self.channel,
            customer=self.customer,
            policy=self.policy,
            draft=self.draft,
        )


@dataclass(frozen=True)
class _Job:
    """What a draft or a rewrite asks for, and how its replies are checked."""

    kind: DraftKind
    user_message: str
    customer: str | None
    channel: Channel
    given: Scenario | None
    likely: Scenario | None
    escalation: Escalation
    original: str | None = None  # a rewrite's original, whose facts must be kept
    tone: str | None = None


@dataclass
class _Answer:
    """One parsed answer of the model, with the raw text and the cost of getting it."""

    reply: ModelReply
    content: str
    usage: Usage = field(default_factory=Usage)


class Drafter:
    """Drafts and rewrites replies with a chat client, checked by the policy's guards."""

    def __init__(
        self,
        client: ChatClient,
        *,
        policy: Policy | CompiledPolicy | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        retry_temperature: float | None = RETRY_TEMPERATURE,
    ) -> None:
        """`policy`: a Policy (compiled here) or one already compiled; default the built-in one."""
        if max_attempts < 1:
            raise InputError(f"max_attempts must be at least 1, not {max_attempts}")
        self.client = client
        self.retry_temperature = retry_temperature
        if isinstance(policy, CompiledPolicy):
            self.compiled = policy
        else:
            self.compiled = compile_policy(policy) if policy else guards.default_compiled()
        self.policy = self.compiled.policy
        self.max_attempts = max_attempts
        self.prompts = Prompts(self.policy)

    def draft(self, ticket: Ticket) -> Draft:
        """A checked reply to a ticket."""
        return _last_draft(self._run(self._draft_job(ticket), stream=False))

    def stream_draft(self, ticket: Ticket) -> Iterator[StreamEvent]:
        """The reply text as it streams (per attempt), each checked attempt, then the Draft."""
        return self._run(self._draft_job(ticket), stream=True)

    def rewrite(
        self,
        agent_text: str,
        *,
        customer: str | None = None,
        tone: str = "标准",
        channel: Channel | None = None,
        scenario: ScenarioChoice = "auto",
        address_as: str | None = None,
    ) -> Draft:
        """The agent's reply rewritten to the standards in a tone preset, its facts kept."""
        job = self._rewrite_job(agent_text, customer, tone, channel, scenario, address_as)
        return _last_draft(self._run(job, stream=False))

    def stream_rewrite(
        self,
        agent_text: str,
        *,
        customer: str | None = None,
        tone: str = "标准",
        channel: Channel | None = None,
        scenario: ScenarioChoice = "auto",
        address_as: str | None = None,
    ) -> Iterator[StreamEvent]:
        """Like `rewrite`, streaming the text of each attempt."""
        return self._run(
            self._rewrite_job(agent_text, customer, tone, channel, scenario, address_as), stream=True
        )

    def draft_checker(self, ticket: Ticket) -> ReplyChecker:
        """The checks `draft(ticket)` judges its replies by."""
        return self._checker(self._draft_job(ticket))

    def rewrite_checker(
        self,
        agent_text: str,
        *,
        customer: str | None = None,
        tone: str = "标准",
        channel: Channel | None = None,
        scenario: ScenarioChoice = "auto",
    ) -> ReplyChecker:
        """The checks `rewrite(agent_text, …)` judges its replies by (the fact guard included)."""
        return self._checker(self._rewrite_job(agent_text, customer, tone, channel, scenario, None))

    def _checker(self, job: _Job) -> ReplyChecker:
        draft = DraftInputs(
            example_clauses=tuple(self.prompts.example_clauses),
            instruction_clauses=tuple(self.prompts.instruction_clauses),
            original=job.original,
        )
        return ReplyChecker(self.compiled, job.channel, job.customer, draft)

    def _draft_job(self, ticket: Ticket) -> _Job:
        given = None if ticket.scenario == "auto" else ticket.scenario
        likely = keyword_scenario(ticket.customer_texts(), self.compiled)
        return _Job(
            kind="draft",
            user_message=self.prompts.draft(ticket, likely=likely),
            customer=_customer_context(ticket),
            channel=ticket.channel,
            given=given,
            likely=likely,
            escalation=detect_escalation(ticket, self.compiled),
        )

    def _rewrite_job(
        self,
        agent_text: str,
        customer: str | None,
        tone_name: str,
        channel: Channel | None,
        scenario: ScenarioChoice,
        address_as: str | None,
    ) -> _Job:
        original = _checked_text(agent_text, "the reply to rewrite")
        customer = _checked_text(customer, "the customer's message") if customer else None
        tone = get_tone(tone_name)
        channel = channel or tone.channel or "online"
        given = None if scenario == "auto" else scenario
        likely = keyword_scenario([t for t in (customer, original) if t], self.compiled)
        escalation = (
            detect_escalation(Ticket(message=customer), self.compiled) if customer else Escalation(False)
        )
        return _Job(
            kind="rewrite",
            user_message=self.prompts.rewrite(
                original,
                tone=tone,
                channel=channel,
                address_as=address_as or tone.address_as,
                customer=customer,
                scenario=given,
                likely=likely,
            ),
            customer=customer,
            channel=channel,
            given=given,
            likely=likely,
            escalation=escalation,
            original=original,
            tone=tone.name,
        )

    def _run(self, job: _Job, *, stream: bool) -> Iterator[StreamEvent]:
        started = time.perf_counter()
        messages = [Message("system", self.prompts.system), Message("user", job.user_message)]
        schema = reply_schema([job.given] if job.given else SCENARIOS)
        checker = self._checker(job)
        attempts: list[Attempt] = []
        for number in range(1, self.max_attempts + 1):
            attempt_started = time.perf_counter()
            temperature = None if number == 1 else self.retry_temperature
            request = ChatRequest(tuple(messages), schema, temperature=temperature)
            answer = yield from self._ask(request, number, stream)
            scenario, _ = self._scenario(job, answer.reply.scenario)
            report = checker.check(answer.reply.text, scenario)
            attempt = Attempt(
                number=number,
                reply=answer.reply.to_reply(),
                violations=list(report.violations),
                usage=answer.usage,
                latency_s=time.perf_counter() - attempt_started,
                model_scenario=answer.reply.scenario,
            )
            attempts.append(attempt)
            yield AttemptFinished(attempt)
            if attempt.passed:
                break
            messages += [
                Message("assistant", answer.content),
                Message("user", self.prompts.feedback(report.violations)),
            ]
        yield DraftFinished(self._draft(job, attempts, time.perf_counter() - started))

    def _ask(self, request: ChatRequest, number: int, stream: bool) -> Generator[StreamEvent, None, _Answer]:
        """One parsed answer; an unparseable one is re-asked once with the parse error."""
        completion = yield from self._complete(request, number, stream)
        try:
            return _Answer(parse_reply(completion.content), completion.content, completion.usage)
        except ReplyParseError as first_error:
            retry = ChatRequest(
                (
                    *request.messages,
                    Message("assistant", completion.content),
                    Message("user", self.prompts.parse_retry(str(first_error))),
                ),
                request.schema,
                temperature=request.temperature,
            )
            second = yield from self._complete(retry, number, stream)
            usage = completion.usage + second.usage
            try:
                return _Answer(parse_reply(second.content), second.content, usage)
            except ReplyParseError as error:
                raise UnparseableOutputError(
                    f"the model did not answer with a usable reply, twice ({error})",
                    hint="try again, or point HUASHU_BASE_URL/HUASHU_MODEL at a stronger model",
                ) from None

    def _complete(
        self, request: ChatRequest, number: int, stream: bool
    ) -> Generator[StreamEvent, None, Completion]:
        if not stream:
            return self.client.complete(request)
        text = ReplyTextStream()
        for item in self.client.stream(request):
            if isinstance(item, ContentDelta):
                delta = text.feed(item.text)
                if delta:
                    yield TextDelta(number, delta)
            else:
                return item
        raise UnparseableOutputError("the model's stream ended without a complete answer", hint="try again")

    def _scenario(self, job: _Job, model_scenario: Scenario | None) -> tuple[Scenario, ScenarioSource]:
        if job.given:
            return job.given, "given"
        if model_scenario:
            return model_scenario, "model"
        if job.likely:
            return job.likely, "keywords"
        return FALLBACK_SCENARIO, "default"

    def _draft(self, job: _Job, attempts: list[Attempt], latency_s: float) -> Draft:
        final = attempts[-1] if attempts[-1].passed else _best(attempts)
        scenario, source = self._scenario(job, final.model_scenario)
        report = guards.GuardReport(final.reply.text, tuple(final.violations), scenario, job.channel)
        return Draft(
            kind=job.kind,
            reply=final.reply,
            report=report,
            attempts=attempts,
            passed=final.passed,
            scenario=scenario,
            scenario_source=source,
            channel=job.channel,
            escalate=job.escalation.flag,
            escalation_reasons=list(job.escalation.reasons),
            tone=job.tone,
            model=self.client.model,
            usage=sum((a.usage for a in attempts), Usage()),
            latency_s=latency_s,
        )


def _best(attempts: Sequence[Attempt]) -> Attempt:
    """The attempt with the fewest blocking findings (the later one on a tie)."""
    return min(reversed(attempts), key=lambda a: len(a.blocking))


def _last_draft(events: Iterator[StreamEvent]) -> Draft:
    draft: Draft | None = None
    for event in events:
        if isinstance(event, DraftFinished):
            draft = event.draft
    assert draft is not None, "the drafting loop always ends with a DraftFinished event"
    return draft


def _customer_context(ticket: Ticket) -> str:
    """What the customer already told us (turns and order facts): details there are not asked again."""
    facts = [f"{key}：{value}" for key, value in ticket.facts.items()]
    return "\n".join([*facts, *ticket.customer_texts()])


def _checked_text(text: str, what: str) -> str:
    """`text` if it is usable input, else a clear InputError."""
    if not text or not text.strip():
        raise InputError(f"{what} is empty")
    if len(text) > MAX_MESSAGE_CHARS:
        raise InputError(f"{what} is {len(text)} characters long; the limit is {MAX_MESSAGE_CHARS}")
    return text
