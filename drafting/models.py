"""Data models of the drafting engine: Ticket in, Reply from the model, Draft out."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from guards import Channel, GuardReport, Scenario, Violation
from guards.text import Span

ScenarioChoice = Scenario | Literal["auto"]
SECTION_ORDER = ("greeting", "soothe", "apology", "details_request", "solution", "commitment", "closing")


class Turn(BaseModel):
    """One earlier message in the conversation."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["customer", "agent"]
    text: str


class Ticket(BaseModel):
    """What the agent is answering: the customer's message and its context."""

    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1)
    scenario: ScenarioChoice = "auto"
    channel: Channel = "online"
    address_as: str = Field(default="您", description="How to address the customer, e.g. 张先生, 女士, 亲")
    facts: dict[str, str] = Field(default_factory=dict, description="Order facts: order id, product, dates…")
    history: list[Turn] = Field(default_factory=list)


class Reply(BaseModel):
    """A reply in the sections the standards require; `text` is what the customer reads."""

    model_config = ConfigDict(extra="forbid")

    greeting: str = Field(default="", description="问候语，如“您好”；可为空")
    soothe: str = Field(default="", description="安抚：接纳并理解客户的情绪，一句话")
    apology: str = Field(default="", description="道歉：为客户的不愉快体验致歉，一句话")
    details_request: str = Field(
        default="", description="收集信息：礼貌地请客户补充尚未提供的关键信息；信息已齐全时为空"
    )
    solution: str = Field(default="", description="方案：客服将为客户做什么，只写客服能控制的行动")
    commitment: str = Field(default="", description="时限：客户读到的具体时限，如“我们将在2个工作日内联系您”")
    closing: str = Field(default="", description="结束语，如“请问还有其他可以帮到您的吗？”")

    @property
    def text(self) -> str:
        """The sections joined as the customer sees them."""
        return "".join(
            part.strip() for part in (getattr(self, name) for name in SECTION_ORDER) if part.strip()
        )

    def section_spans(self) -> dict[str, Span]:
        """Where each non-empty section lies in `text` (for labelling sections in the UI)."""
        spans: dict[str, Span] = {}
        offset = 0
        for name in SECTION_ORDER:
            part = getattr(self, name).strip()
            if part:
                spans[name] = Span(offset, offset + len(part))
                offset += len(part)
        return spans


class Usage(BaseModel):
    """Token counts of one model call (zero when the endpoint does not report them)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens


class Attempt(BaseModel):
    """One model call of the feedback loop and what the guards found in its reply."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    number: int
    reply: Reply
    violations: list[Violation]
    usage: Usage = Field(default_factory=Usage)
    latency_s: float = 0.0

    @property
    def passed(self) -> bool:
        """True when no violation blocks."""
        return not any(v.blocking for v in self.violations)


class Draft(BaseModel):
    """The outcome: the final reply, every attempt, and whether it passed the guards."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    reply: Reply
    report: GuardReport
    attempts: list[Attempt]
    passed: bool
    scenario: Scenario
    escalate: bool = False
    escalation_reasons: list[str] = Field(default_factory=list)
    model: str
    usage: Usage = Field(default_factory=Usage)
    latency_s: float = 0.0

    @property
    def text(self) -> str:
        """The final reply text."""
        return self.reply.text

    @property
    def violations(self) -> list[Violation]:
        """The violations of the final reply."""
        return list(self.report.violations)
