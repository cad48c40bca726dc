"""Render the prompts (package `prompts/`, jinja2, StrictUndefined) from a policy.

The system prompt holds only static text rendered from the policy (phrase advice, the
commitment phrase of each scenario, one worked example), so an endpoint's prefix cache can
reuse it for every ticket; ticket-specific text goes into the user message that follows.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jinja2

from drafting.models import SECTION_MAX_CHARS, SECTION_ORDER, ModelReply, Reply, Ticket
from drafting.tones import Tone
from guards import CHANNELS, SCENARIOS, Channel, Policy, Scenario, Violation
from guards.draft_artifacts import clauses
from guards.policy import Commitment, DraftCheckRule, PhraseRule
from guards.text import fold

# Phrase advice in the system prompt: the blocking forbidden phrases and unkeepable promises
# with a suggestion, one of each rule's examples (every token of the system prompt costs time
# on a small local model).
_ADVICE_PHRASES_PER_RULE = 1
_SPEAKERS = {"customer": "客户", "agent": "客服"}
MAX_FEEDBACK_FINDINGS = 8
"""At most this many distinct findings are listed in a re-ask."""


@functools.cache
def labels() -> dict[str, dict[str, str]]:
    """Display names of scenarios, channels and sections (prompts/labels.toml)."""
    text = resources.files("prompts").joinpath("labels.toml").read_text(encoding="utf-8")
    return {key: dict(value) for key, value in tomllib.loads(text).items()}


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("prompts", "."),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
        autoescape=False,
    )


def render(template: str, **values: Any) -> str:
    """Render one template of `prompts/` (StrictUndefined: a missing value is an error)."""
    return _environment().get_template(template).render(**values).strip()


@dataclass(frozen=True)
class Advice:
    """'Use X instead of Y, Z' for the system prompt."""

    use: str
    instead_of: tuple[str, ...]


def phrase_advice(policy: Policy) -> list[Advice]:
    """Blocking phrase rules with a suggestion, grouped by suggestion, with their first example."""
    rules: list[PhraseRule] = [*policy.forbidden_phrase, *policy.unkeepable_promise.phrases]
    grouped: dict[str, list[str]] = {}
    for rule in rules:
        if rule.severity != "block" or not rule.suggestion:
            continue
        phrases = grouped.setdefault(rule.suggestion, [])
        phrases.extend(s for s in rule.examples[:_ADVICE_PHRASES_PER_RULE] if s not in phrases)
    return [Advice(use, tuple(phrases)) for use, phrases in grouped.items() if phrases]


@dataclass(frozen=True)
class ScenarioLine:
    """A scenario as the prompt shows it: key, label and its commitment phrase."""

    key: Scenario
    label: str
    phrase: str


def scenario_line(policy: Policy, scenario: Scenario, channel: Channel | None = None) -> ScenarioLine:
    """The scenario with its default commitment phrase (for a channel, when given)."""
    phrase = next(
        (c.phrase for c in _defaults(policy, scenario) if channel is None or channel in c.channels), ""
    )
    return ScenarioLine(scenario, labels()["scenarios"].get(scenario, scenario), phrase)


def _defaults(policy: Policy, scenario: Scenario) -> list[Commitment]:
    return [
        c for c in policy.unkeepable_promise.commitments if c.scenario == scenario and c.default_for_scenario
    ]


def channel_phrases(policy: Policy, channel: Channel) -> list[str]:
    """Commitment phrases that apply to one channel only (e.g. the e-mail answer deadline)."""
    return [
        c.phrase
        for c in policy.unkeepable_promise.commitments
        if c.scenario is None and len(c.channels) < len(CHANNELS) and channel in c.channels
    ]


@dataclass(frozen=True)
class WorkedExample:
    """The example in the system prompt: another customer's message and its reply."""

    scenario: Scenario
    customer: str
    reply: Reply
    specific: tuple[str, ...] = ()

    @property
    def json(self) -> str:
        """The reply as the model should answer: compact JSON with the scenario first."""
        data = {"scenario": self.scenario, **{n: getattr(self.reply, n) for n in SECTION_ORDER}}
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def worked_example(policy: Policy) -> WorkedExample:
    """prompts/example.toml, with the scenario's commitment phrase from the policy."""
    data = tomllib.loads(resources.files("prompts").joinpath("example.toml").read_text(encoding="utf-8"))
    scenario: Scenario = data["scenario"]
    reply = Reply(**data["reply"], commitment=scenario_line(policy, scenario).phrase)
    return WorkedExample(scenario, data["customer"], reply, tuple(data.get("specific", ())))


class Prompts:
    """Every prompt for one policy; the system prompt is rendered once."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.example = worked_example(policy)

    @functools.cached_property
    def system(self) -> str:
        """The static system prompt."""
        return render(
            "system.j2",
            phrase_advice=phrase_advice(self.policy),
            scenarios=[scenario_line(self.policy, s) for s in SCENARIOS],
            example=self.example,
        )

    @functools.cached_property
    def example_clauses(self) -> list[str]:
        """Clauses of the example about its own case (they name one of its `specific` words)."""
        text = fold(self.example.reply.text)
        own = [text[c.start : c.end] for c in clauses(text)]
        return [c for c in own if any(fold(word) in c for word in self.example.specific)]

    @functools.cached_property
    def instruction_clauses(self) -> list[str]:
        """Clauses of text meant for the model only: a reply that contains one leaked it.

        The instruction lines of the templates (not the advice, the scenario list or the example,
        whose phrases a reply may use) and the messages and draft-check suggestions of findings.
        """
        dummy = "⟨⟩"
        texts = [
            self.system.split("推荐说法")[0],
            render("feedback.j2", findings=[], more=0),
            render("parse_retry.j2", error=""),
        ]
        rewrite = render(
            "rewrite.j2",
            tone={"instruction": dummy},
            channel_label=dummy,
            address_as=dummy,
            scenario=None,
            commitment_phrases=[],
            customer=None,
            original=dummy,
        )
        texts += [line for line in rewrite.splitlines() if dummy not in line]
        texts += _finding_texts(self.policy)
        folded = [fold(t) for t in texts]
        stock = fold("\n".join([*customer_facing(self.policy), self.example.reply.text]))
        own = (t[c.start : c.end] for t in folded for c in clauses(t))
        return [c for c in dict.fromkeys(own) if c not in stock]

    def commitment_phrases(self, scenario: Scenario | None, channel: Channel) -> list[str]:
        """The commitment phrases to offer: the scenario's default, then the channel's own."""
        own = scenario_line(self.policy, scenario, channel).phrase if scenario else ""
        return [p for p in (own, *channel_phrases(self.policy, channel)) if p]

    def draft(self, ticket: Ticket, *, likely: Scenario | None = None) -> str:
        """The user message for a ticket; `likely` picks the commitment phrase when scenario is auto."""
        given = None if ticket.scenario == "auto" else ticket.scenario
        return render(
            "draft.j2",
            channel_label=labels()["channels"][ticket.channel],
            address_as=ticket.address_as,
            scenario=scenario_line(self.policy, given, ticket.channel) if given else None,
            commitment_phrases=self.commitment_phrases(given or likely, ticket.channel),
            facts=ticket.facts,
            history=[{"speaker": _SPEAKERS[t.role], "text": t.text} for t in ticket.history],
            message=ticket.message,
        )

    def rewrite(
        self,
        original: str,
        *,
        tone: Tone,
        channel: Channel,
        address_as: str,
        customer: str | None,
        scenario: Scenario | None,
        likely: Scenario | None = None,
    ) -> str:
        """The user message for a rewrite of the agent's `original` reply."""
        return render(
            "rewrite.j2",
            tone=tone,
            channel_label=labels()["channels"][channel],
            address_as=address_as,
            scenario=scenario_line(self.policy, scenario, channel) if scenario else None,
            commitment_phrases=self.commitment_phrases(scenario or likely, channel),
            customer=customer,
            original=original,
        )

    def feedback(self, violations: Sequence[Violation]) -> str:
        """The re-ask after a draft with blocking findings: each finding with its fix."""
        unique = list({(v.rule_id, v.match): v for v in violations if v.blocking}.values())
        # a small model repeating itself yields dozens of findings; the first few fit its context
        shown = unique[:MAX_FEEDBACK_FINDINGS]
        return render("feedback.j2", findings=shown, more=len(unique) - len(shown))

    def parse_retry(self, error: str) -> str:
        """The re-ask after an answer that was not the JSON asked for."""
        return render("parse_retry.j2", error=error)


def customer_facing(policy: Policy) -> list[str]:
    """Texts written for customers: the fixes of phrase findings, model and commitment phrases."""
    rules = [
        *policy.forbidden_phrase,
        *policy.blame_or_argue,
        *policy.tone.phrases,
        *policy.unkeepable_promise.phrases,
    ]
    texts = [r.suggestion for r in rules] + [e.suggestion for e in policy.missing_structure.elements]
    texts += [p.text for p in policy.model_phrases] + [
        c.phrase for c in policy.unkeepable_promise.commitments
    ]
    return texts


def _finding_texts(policy: Policy) -> list[str]:
    """The fixed parts of every finding message, and the draft checks' suggestions."""
    messages = [r.message for r in (*policy.forbidden_phrase, *policy.blame_or_argue, *policy.tone.phrases)]
    messages += [r.message for r in policy.unkeepable_promise.phrases]
    messages += [e.message for e in policy.missing_structure.elements]
    deadlines = policy.unkeepable_promise.deadlines
    messages += [deadlines.too_fast_message, deadlines.too_slow_message]
    checks = policy.draft_checks
    if checks is not None:
        rules = [getattr(checks, name) for name in type(checks).model_fields]
        drafts = [r for r in rules if isinstance(r, DraftCheckRule)]
        messages += [r.message for r in drafts] + [r.suggestion for r in drafts]
    return [part for message in messages for part in re.split(r"\{\w+\}|“[^”]*”", message)]


def reply_schema(scenarios: Sequence[Scenario] = SCENARIOS) -> dict[str, Any]:
    """The JSON schema of the model's answer: scenario first, then every section (all required)."""
    fields = ModelReply.model_fields
    properties: dict[str, Any] = {
        "scenario": {"type": "string", "enum": list(scenarios), "description": fields["scenario"].description}
    }
    for name in SECTION_ORDER:
        properties[name] = {
            "type": "string",
            "maxLength": SECTION_MAX_CHARS,
            "description": fields[name].description,
        }
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def prompt_fingerprint(prompts: Prompts) -> str:
    """A sha256 of the prompts as sent: every template and tone file, the system prompt, the schema."""
    digest = hashlib.sha256()
    for entry in sorted(resources.files("prompts").iterdir(), key=lambda e: e.name):
        if entry.name.endswith((".j2", ".toml")):
            digest.update(entry.name.encode() + b"\0" + entry.read_bytes() + b"\0")
    digest.update(prompts.system.encode())
    digest.update(json.dumps(reply_schema(), sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()
