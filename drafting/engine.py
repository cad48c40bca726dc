"""The drafting engine: ticket → model → reply → guards → Draft, in one of two strategies.

`free`: up to `max_attempts` rounds: the model drafts, the guards check the completed text, and
any blocking finding is sent back (rule, quoted span, fix) for another round.
`compose`: code reads what it can (script, language, order ids, details given, demands,
escalation), the model answers one small JSON understand request, and the reply is composed
from the policy's phrase bank; a composition the guards block is composed again with other
variants and without the customer's own words, with no further model call.
Every attempt is kept; a draft that still violates after the last round has passed=False.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import guards
from drafting.chat import ChatClient, ChatRequest, Completion, ContentDelta, Message
from drafting.compose import (
    Plan,
    carried_facts,
    compose,
    fact_sentence,
    greeting,
    own_clauses,
    polite,
    product_patterns,
    seed_of,
)
from drafting.demands import Demand, DemandGrantGuard, unauthorised
from drafting.detect import Language, customer_context, detect, missing_details
from drafting.errors import InputError, UnparseableOutputError
from drafting.invented import FactReader, InventedFactsGuard
from drafting.models import (
    MAX_MESSAGE_CHARS,
    Attempt,
    Draft,
    DraftKind,
    ModelReply,
    ScenarioChoice,
    ScenarioSource,
    Strategy,
    Ticket,
    Usage,
)
from drafting.parsing import ReplyParseError, ReplyTextStream, parse_reply
from drafting.prompting import Prompts, customer_facing, reply_schema
from drafting.tones import get_tone
from drafting.triage import Escalation, detect_escalation, keyword_scenario
from drafting.understand import (
    Understanding,
    UnderstandPrompt,
    cross_check,
    parse_understanding,
)
from guards import (
    SCENARIOS,
    Channel,
    CheckContext,
    CompiledPolicy,
    Document,
    DraftInputs,
    Guard,
    Policy,
    Scenario,
    compile_policy,
)

DEFAULT_MAX_ATTEMPTS = 3
# Sampling temperature of the re-asks: small models tend to repeat their last answer word for
# word at a low temperature, which wastes the attempt.
RETRY_TEMPERATURE = 0.7
# A re-ask also gets its own seed and a penalty on repeated tokens: at one temperature and one
# seed, a small model returned the same text on 10 of 24 re-asks. The penalties are mild because
# llama.cpp applies them to the last tokens of the prompt too (the feedback and its fixes).
RETRY_PRESENCE_PENALTY = 0.3
RETRY_FREQUENCY_PENALTY = 0.3
# The scenario used when neither the caller, the model nor the keywords name one.
FALLBACK_SCENARIO: Scenario = "consult"
# A ticket that must be escalated (threats, repeated complaints) is a complaint when its own
# words name no scenario.
_COMPLAINT: Scenario = "complaint"


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
    # The engine's own checks of a job (a granted demand): drafting data, not guard rules.
    job_guards: tuple[Guard, ...] = ()

    def check(self, text: str, scenario: Scenario | None) -> guards.GuardReport:
        """The findings of `text` in `scenario`, exactly as the engine finds them in a reply."""
        report = guards.check(
            text,
            scenario=scenario,
            channel=self.channel,
            customer=self.customer,
            policy=self.policy,
            draft=self.draft,
        )
        if not self.job_guards:
            return report
        ctx = CheckContext(Document.of(text, self.customer), scenario, self.channel)
        found = [*report.violations, *(v for guard in self.job_guards for v in guard.check(ctx))]
        found.sort(key=lambda v: (v.start, v.end, v.rule_id))
        return report._replace(violations=tuple(found))


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
    demands: Sequence[Demand] = ()
    composed: bool = False
    # What the model was told of the ticket: a drafted reply states no fact from elsewhere.
    sources: tuple[str, ...] = ()


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
        strategy: Strategy = "free",
    ) -> None:
        if max_attempts < 1:
            raise InputError(f"max_attempts must be at least 1, not {max_attempts}")
        self.client = client
        self.strategy = strategy
        self.retry_temperature = retry_temperature
        if isinstance(policy, CompiledPolicy):
            self.compiled = policy
        else:
            self.compiled = compile_policy(policy) if policy else guards.default_compiled()
        self.policy = self.compiled.policy
        self.max_attempts = max_attempts
        self.prompts = Prompts(self.policy)
        self.understand = UnderstandPrompt(self.policy)
        self._products = product_patterns(self.policy)
        self.fact_reader = FactReader(self.policy, customer_facing(self.policy))

    def draft(self, ticket: Ticket) -> Draft:
        """A checked reply to a ticket."""
        return _last_draft(self._draft_events(ticket, stream=False))

    def stream_draft(self, ticket: Ticket) -> Iterator[StreamEvent]:
        """The reply text as it streams (per attempt), each checked attempt, then the Draft."""
        return self._draft_events(ticket, stream=True)

    def _draft_events(self, ticket: Ticket, *, stream: bool) -> Iterator[StreamEvent]:
        if self.strategy == "compose":
            return self._compose(ticket, stream=stream)
        return self._run(self._draft_job(ticket), stream=stream)

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
        if self.strategy == "compose":
            events = self._compose_rewrite(
                agent_text, customer, tone, channel, scenario, address_as, stream=False
            )
            return _last_draft(events)
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
        if self.strategy == "compose":
            return self._compose_rewrite(
                agent_text, customer, tone, channel, scenario, address_as, stream=True
            )
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
        # The one place the model-output checks are chosen (the guard engine's registry comes later).
        # A composed draft holds no text of the worked example: its clauses are not checked for.
        example = self.prompts.example_clauses if job.kind == "rewrite" or not job.composed else ()
        draft = DraftInputs(
            example_clauses=tuple(example),
            instruction_clauses=tuple(self.prompts.instruction_clauses),
            original=job.original,
        )
        demands = unauthorised(job.demands, self.policy)
        job_guards: list[Guard] = [DemandGrantGuard(demands)] if demands else []
        if job.kind == "draft" and not job.composed:
            job_guards.append(InventedFactsGuard(self.fact_reader, job.sources))
        return ReplyChecker(self.compiled, job.channel, job.customer, draft, tuple(job_guards))

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
            demands=detect(ticket, self.compiled).demands,
            sources=_ticket_texts(ticket),
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
        demands = detect(Ticket(message=customer), self.compiled).demands if customer else ()
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
            demands=demands,
        )

    def _compose(self, ticket: Ticket, *, stream: bool) -> Iterator[StreamEvent]:
        """Detect, understand (one small JSON request), compose from the phrase bank, check."""
        started = time.perf_counter()
        given = None if ticket.scenario == "auto" else ticket.scenario
        detection = detect(ticket, self.compiled)
        plan = Plan(
            scenario=given or FALLBACK_SCENARIO,
            channel=ticket.channel,
            language=detection.language,
            script=detection.script,
            address_as=ticket.address_as,
            problem="",
            missing=(),
            action="",
            upset=False,
            seed=seed_of(ticket.message),
        )
        greeting = self._greeting(plan)
        if stream and greeting:
            yield TextDelta(1, greeting)
        request = self.understand.request(ticket.message, ticket.history, given)
        completion = self.client.complete(request)
        understood = cross_check(
            parse_understanding(completion.content), [*ticket.facts.values(), *ticket.customer_texts()]
        )
        # This message's keywords first: earlier turns may be about something else.
        likely = keyword_scenario([ticket.message], self.compiled)
        job = _Job(
            kind="draft",
            user_message=request.messages[-1].content,
            customer=customer_context(ticket, detection.order_ids),
            channel=ticket.channel,
            given=given,
            likely=likely,
            escalation=detection.escalation,
            demands=detection.demands,
            composed=True,
        )
        scenario, _ = self._scenario(job, understood.scenario)
        plan = self._plan(plan, scenario, understood, job, detection.demands != ())
        yield from self._compose_attempts(job, plan, completion.usage, understood, started, greeting, stream)

    def _compose_attempts(
        self,
        job: _Job,
        plan: Plan,
        usage: Usage,
        understood: Understanding,
        started: float,
        greeting: str,
        stream: bool,
    ) -> Iterator[StreamEvent]:
        """Compose, check, and compose again (other variants, no customer words) while blocked."""
        scenario = plan.scenario
        checker = self._checker(job)
        attempts: list[Attempt] = []
        checked: list[str] = []
        for number in range(1, self.max_attempts + 1):
            attempt_started = time.perf_counter()
            composition = compose(self.policy, plan)
            report = checker.check(composition.checked.text, scenario)
            attempt = Attempt(
                number=number,
                reply=composition.reply,
                violations=list(report.violations),
                usage=usage if number == 1 else Usage(),
                latency_s=time.perf_counter() - (started if number == 1 else attempt_started),
                model_scenario=understood.scenario,
            )
            attempts.append(attempt)
            checked.append(composition.checked.text)
            if stream:
                text = composition.reply.text
                shown = greeting if number == 1 and greeting and text.startswith(greeting) else ""
                yield TextDelta(number, text[len(shown) :])
            yield AttemptFinished(attempt)
            if attempt.passed:
                break
            # Another composition: other variants, the next action, the problem in general words.
            plan = replace(plan.without_problem(), seed=plan.seed + 1, action=self._next_action(plan))
        draft = self._draft(job, attempts, time.perf_counter() - started)
        final = next(c for a, c in zip(attempts, checked, strict=True) if a.reply.text == draft.text)
        if final != draft.reply.text:
            report = guards.GuardReport(final, tuple(draft.report.violations), draft.scenario, draft.channel)
            draft = draft.model_copy(update={"checked_text": final, "report": report})
        yield DraftFinished(draft.model_copy(update={"strategy": "compose"}))

    def _compose_rewrite(
        self,
        agent_text: str,
        customer: str | None,
        tone_name: str,
        channel: Channel | None,
        scenario: ScenarioChoice,
        address_as: str | None,
        *,
        stream: bool,
    ) -> Iterator[StreamEvent]:
        """Understand the ticket, keep the agent's own clauses that pass the guards, compose around them."""
        started = time.perf_counter()
        job = replace(
            self._rewrite_job(agent_text, customer, tone_name, channel, scenario, address_as), composed=True
        )
        tone = get_tone(tone_name)
        reading = customer or agent_text
        detection = detect(Ticket(message=reading), self.compiled)
        request = self.understand.request(reading, [], job.given)
        completion = self.client.complete(request)
        understood = cross_check(parse_understanding(completion.content), [reading])
        chosen, _ = self._scenario(job, understood.scenario)
        plan = Plan(
            scenario=chosen,
            channel=job.channel,
            language=detection.language,
            script=detection.script,
            address_as=address_as or tone.address_as or "您",
            problem="",
            missing=(),
            action="",
            upset=False,
            seed=seed_of(agent_text),
            own_solution=self._own_clauses(agent_text, job.channel, detection.language),
        )
        plan = replace(self._plan(plan, chosen, understood, job, detection.demands != ()), problem="")
        greeting = self._greeting(plan)
        yield from self._compose_attempts(job, plan, completion.usage, understood, started, greeting, stream)

    def _next_action(self, plan: Plan) -> str:
        actions = self.understand.actions.get(plan.scenario, [])
        if plan.action not in actions:
            return plan.action
        return actions[(actions.index(plan.action) + 1) % len(actions)]

    def _own_clauses(self, agent_text: str, channel: Channel, language: Language) -> str:
        """The agent's clauses the guards find nothing in, as one sentence, and the facts of the others.

        A clause the guards block is dropped, but not its facts: they are carried, without the
        clause's wording, in the policy data's fact sentence (the facts-kept guard checks them).
        """
        kept: list[str] = []
        dropped: list[str] = []
        for clause in own_clauses(agent_text):
            report = guards.check(clause, scenario=None, channel=channel, policy=self.compiled)
            if all(v.category == "missing_structure" for v in report.violations):
                kept.append(polite(clause))
            else:
                dropped.append(clause)
        sentence = "，".join(kept)
        facts = carried_facts(dropped, sentence, self._products)
        if not facts:
            return sentence
        carrier = fact_sentence(facts, language)
        return f"{sentence}，{carrier}" if sentence else carrier

    def _greeting(self, plan: Plan) -> str:
        """The greeting every composition of this ticket starts with (shown before the model answers)."""
        return greeting(self.policy, plan)

    def _plan(
        self, plan: Plan, scenario: Scenario, understood: Understanding, job: _Job, demanded: bool
    ) -> Plan:
        actions = self.understand.actions.get(scenario, [])
        action = understood.action if understood.action in actions else (actions[0] if actions else "")
        return replace(
            plan,
            scenario=scenario,
            problem=understood.problem,
            missing=missing_details(job.customer or "", scenario, self.policy),
            action=action,
            upset=understood.emotion != "calm" or job.escalation.flag or demanded,
        )

    def _run(self, job: _Job, *, stream: bool) -> Iterator[StreamEvent]:
        started = time.perf_counter()
        messages = [Message("system", self.prompts.system), Message("user", job.user_message)]
        schema = reply_schema([job.given] if job.given else SCENARIOS)
        checker = self._checker(job)
        attempts: list[Attempt] = []
        for number in range(1, self.max_attempts + 1):
            attempt_started = time.perf_counter()
            request = self._attempt_request(tuple(messages), schema, number)
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

    def _attempt_request(
        self, messages: tuple[Message, ...], schema: dict[str, Any], number: int
    ) -> ChatRequest:
        """Attempt `number`'s request: a re-ask samples differently (temperature, seed, penalties)."""
        if number == 1:
            return ChatRequest(messages, schema)
        return ChatRequest(
            messages,
            schema,
            temperature=self.retry_temperature,
            seed=number,
            presence_penalty=RETRY_PRESENCE_PENALTY,
            frequency_penalty=RETRY_FREQUENCY_PENALTY,
        )

    def _ask(self, request: ChatRequest, number: int, stream: bool) -> Generator[StreamEvent, None, _Answer]:
        """One parsed answer; an unparseable one is re-asked once with the parse error."""
        completion = yield from self._complete(request, number, stream)
        try:
            return _Answer(parse_reply(completion.content), completion.content, completion.usage)
        except ReplyParseError as first_error:
            retry = replace(
                request,
                messages=(
                    *request.messages,
                    Message("assistant", completion.content),
                    Message("user", self.prompts.parse_retry(str(first_error))),
                ),
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
        # Composing, the customer's own keywords come first: the small model's scenario is a fallback.
        if job.composed and job.likely:
            return job.likely, "keywords"
        if job.composed and job.escalation.flag:
            return _COMPLAINT, "keywords"
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


def _ticket_texts(ticket: Ticket) -> tuple[str, ...]:
    """Everything the draft prompt tells of the ticket: order facts, every turn, the message."""
    facts = [f"{key}：{value}" for key, value in ticket.facts.items()]
    return (*facts, ticket.address_as, *(t.text for t in ticket.history), ticket.message)


def _checked_text(text: str, what: str) -> str:
    """`text` if it is usable input, else a clear InputError."""
    if not text or not text.strip():
        raise InputError(f"{what} is empty")
    if len(text) > MAX_MESSAGE_CHARS:
        raise InputError(f"{what} is {len(text)} characters long; the limit is {MAX_MESSAGE_CHARS}")
    return text
