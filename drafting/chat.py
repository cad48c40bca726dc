"""What the engine sends a model and gets back, and the protocol every chat client follows.

Kept free of the `openai` SDK, so the engine, the fake client and the CLI load fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from drafting.errors import RefusalError, TruncatedOutputError
from drafting.models import Usage

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class Message:
    """One chat message."""

    role: Role
    content: str


@dataclass(frozen=True)
class ChatRequest:
    """What the engine asks: the messages and the JSON schema the answer must follow."""

    messages: tuple[Message, ...]
    schema: dict[str, Any] | None = None
    schema_name: str = "reply"
    max_tokens: int | None = None
    temperature: float | None = None
    # Sampling of a re-ask (None: the endpoint's default, and the field is not sent).
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None

    def sampling(self) -> dict[str, Any]:
        """The optional sampling fields that are set, as an OpenAI chat request names them."""
        fields = {
            "seed": self.seed,
            "presence_penalty": self.presence_penalty,
            "frequency_penalty": self.frequency_penalty,
        }
        return {name: value for name, value in fields.items() if value is not None}


@dataclass(frozen=True)
class Completion:
    """The model's complete answer."""

    content: str
    finish_reason: str | None = "stop"
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    refusal: str | None = None


@dataclass(frozen=True)
class ContentDelta:
    """A piece of the answer as it streams in."""

    text: str


StreamItem = ContentDelta | Completion


class ChatClient(Protocol):
    """What the drafting engine needs from a model: one answer, or one answer streamed."""

    @property
    def model(self) -> str:
        """The model name (as recorded in drafts)."""
        ...

    def complete(self, request: ChatRequest) -> Completion:
        """The model's whole answer to `request`."""
        ...

    def stream(self, request: ChatRequest) -> Iterator[StreamItem]:
        """Pieces of the answer as they arrive, then the complete answer (a `Completion`) last."""
        ...


def check_completion(completion: Completion, max_tokens: int | None) -> Completion:
    """The completion, or a typed error for truncation and refusals."""
    if completion.refusal or completion.finish_reason == "content_filter":
        reason = completion.refusal or "the endpoint's content filter stopped the answer"
        raise RefusalError(
            f"the model refused to draft this reply: {reason}", hint="rephrase or draft by hand"
        )
    if completion.finish_reason == "length":
        limit = f" ({max_tokens} tokens)" if max_tokens else ""
        raise TruncatedOutputError(
            f"the model's answer was cut off at the token limit{limit}",
            hint="raise HUASHU_MAX_TOKENS, shorten the message, or use a model with a larger context",
        )
    return completion
