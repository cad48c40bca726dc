"""Data models of the drafting engine: Ticket in, Reply from the model, Draft out."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from guards import Channel, GuardReport, Scenario, Violation
from guards.text import Span

ScenarioChoice = Scenario | Literal["auto"]
ScenarioSource = Literal["given", "model", "keywords", "default"]
DraftKind = Literal["draft", "rewrite"]
# How a reply is written: composed from the policy's phrase bank after a small understand step,
# or written freely by the model; `auto` picks compose for the embedded model, free otherwise.
Strategy = Literal["compose", "free"]
StrategyChoice = Strategy | Literal["auto"]
STRATEGY_CHOICES: tuple[StrategyChoice, ...] = ("auto", "compose", "free")
SECTION_ORDER = ("greeting", "soothe", "apology", "details_request", "solution", "commitment", "closing")
# Longest text a section may hold (keeps a weak model from rambling into the token limit).
SECTION_MAX_CHARS = 120
# A customer message (or agent text to rewrite) longer than this is refused.
MAX_MESSAGE_CHARS = 4000

_SENTENCE_END = "。！？!?.…~～"
_CLOSERS = ")）」』”’\"'"
_CLAUSE_END = "，,、；;：:"


class Turn(BaseModel):
    """One earlier message in the conversation."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["customer", "agent"]
    text: str


class Ticket(BaseModel):
    """What the agent is answering: the customer's message and its context."""

    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)
    scenario: ScenarioChoice = "auto"
    channel: Channel = "online"
    address_as: str = Field(default="您", description="How to address the customer, e.g. 张先生, 女士, 亲")
    facts: dict[str, str] = Field(default_factory=dict, description="Order facts: order id, product, dates…")
    history: list[Turn] = Field(default_factory=list)

    @field_validator("message")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the customer's message is empty")
        return value

    def customer_texts(self) -> list[str]:
        """Everything the customer wrote: earlier turns first, this message last."""
        return [t.text for t in self.history if t.role == "customer"] + [self.message]


class Reply(BaseModel):
    """A reply in the sections the standards require; `text` is what the customer reads."""

    model_config = ConfigDict(extra="forbid")

    greeting: str = Field(default="", description="问候与称呼，如“张先生，您好”")
    soothe: str = Field(default="", description="安抚：一句话，理解客户的感受")
    apology: str = Field(default="", description="道歉：一句话，为客户的不愉快体验致歉")
    details_request: str = Field(default="", description="收集信息：请客户补充还没提供的信息；已齐全时留空")
    solution: str = Field(default="", description="方案：客服接下来为客户做什么")
    commitment: str = Field(default="", description="时限：多久内做什么，用规范的时限说法")
    closing: str = Field(default="", description="结束语，如“请问还有其他可以帮到您的吗？”")

    @property
    def text(self) -> str:
        """The sections joined as the customer reads them, each ending in proper punctuation."""
        return "".join(part for _, part in self._parts())

    def section_spans(self) -> dict[str, Span]:
        """Where each non-empty section lies in `text` (for labelling sections in the UI)."""
        spans: dict[str, Span] = {}
        offset = 0
        for name, part in self._parts():
            spans[name] = Span(offset, offset + len(part.rstrip()))
            offset += len(part)
        return spans

    def sections(self) -> dict[str, str]:
        """The non-empty sections by name, in reading order."""
        return {name: getattr(self, name).strip() for name in SECTION_ORDER if getattr(self, name).strip()}

    def _parts(self) -> list[tuple[str, str]]:
        sections = self.sections()
        names = list(sections)
        texts = [finish_section(sections[n], greeting=n == "greeting") for n in names]
        parts = []
        for i, (name, text) in enumerate(zip(names, texts, strict=True)):
            following = texts[i + 1] if i + 1 < len(texts) else ""
            parts.append((name, text + (" " if needs_space(text, following) else "")))
        return parts


def finish_section(text: str, *, greeting: bool = False) -> str:
    """A section as it ends in the reply: a sentence mark (a comma after a short greeting)."""
    text = text.strip()
    core = text.rstrip(_CLOSERS)
    if not text or (core and core[-1] in _SENTENCE_END):
        return text
    latin = core[-1:].isascii() and core[-1:].isalnum()
    if text[-1] in _CLAUSE_END:
        text = text[:-1]
    if greeting:
        return text + ("," if latin else "，")
    return text + ("." if latin else "。")


def needs_space(text: str, following: str) -> bool:
    """Latin-script sentences are separated by a space; Chinese ones are not."""
    return bool(following) and text[-1].isascii() and following[0].isascii() and following[0].isalnum()


class ModelReply(Reply):
    """What the model returns: the reply sections plus the scenario it recognised."""

    model_config = ConfigDict(extra="ignore")

    scenario: Scenario | None = Field(default=None, description="这条消息的场景")

    def to_reply(self) -> Reply:
        """The reply sections alone."""
        return Reply(**{name: getattr(self, name) for name in SECTION_ORDER})


class Usage(BaseModel):
    """Token counts of model calls (zero when the endpoint does not report them)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
        )


class Attempt(BaseModel):
    """One round of the feedback loop: the model's reply and what the guards found in it."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    number: int
    reply: Reply
    violations: list[Violation]
    usage: Usage = Field(default_factory=Usage)
    latency_s: float = 0.0
    model_scenario: Scenario | None = None

    @property
    def passed(self) -> bool:
        """True when no violation blocks."""
        return not any(v.blocking for v in self.violations)

    @property
    def blocking(self) -> list[Violation]:
        """The violations that block."""
        return [v for v in self.violations if v.blocking]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the attempt."""
        return {
            "number": self.number,
            "passed": self.passed,
            "text": self.reply.text,
            "sections": self.reply.sections(),
            "violations": [v.to_dict() for v in self.violations],
            "usage": self.usage.model_dump(),
            "latency_s": round(self.latency_s, 3),
        }


class Draft(BaseModel):
    """The outcome: the final reply, every attempt, and whether it passed the guards."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    kind: DraftKind = "draft"
    reply: Reply
    report: GuardReport
    attempts: list[Attempt]
    passed: bool
    scenario: Scenario
    scenario_source: ScenarioSource = "given"
    channel: Channel = "online"
    escalate: bool = False
    escalation_reasons: list[str] = Field(default_factory=list)
    tone: str | None = None
    model: str
    usage: Usage = Field(default_factory=Usage)
    latency_s: float = 0.0
    strategy: Strategy = "free"
    checked_text: str | None = Field(
        default=None,
        description="The Chinese text the guards read when the reply is its English rendering",
    )

    @property
    def text(self) -> str:
        """The final reply text."""
        return self.reply.text

    @property
    def violations(self) -> list[Violation]:
        """The violations of the final reply."""
        return list(self.report.violations)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the reply, its sections and findings, and every attempt."""
        return {
            "kind": self.kind,
            "passed": self.passed,
            "text": self.text,
            "sections": self.reply.sections(),
            "scenario": self.scenario,
            "scenario_source": self.scenario_source,
            "channel": self.channel,
            "tone": self.tone,
            "escalate": self.escalate,
            "escalation_reasons": list(self.escalation_reasons),
            "violations": [v.to_dict() for v in self.violations],
            "attempts": [a.to_dict() for a in self.attempts],
            "model": self.model,
            "strategy": self.strategy,
            **({"checked_text": self.checked_text} if self.checked_text is not None else {}),
            "usage": self.usage.model_dump(),
            "latency_s": round(self.latency_s, 3),
        }
