"""huashu drafting engine: ticket in → model → reply → guards → draft out.

    from drafting import Ticket, build_drafter
    drafter = build_drafter()                       # HUASHU_BASE_URL … or the local model
    draft = drafter.draft(Ticket(message="订单一直没发货，怎么回事？"))
    draft.passed, draft.text, draft.violations, draft.attempts

Tests and tools use `drafting.fake.FakeChatClient` in place of a model. The OpenAI client and
the builders load the `openai` SDK, so they are imported on first use (the CLI stays quick).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from drafting.chat import ChatClient, ChatRequest, Completion, ContentDelta, Message
from drafting.engine import AttemptFinished, Drafter, DraftFinished, ReplyChecker, StreamEvent, TextDelta
from drafting.models import MAX_MESSAGE_CHARS, Attempt, Draft, Reply, Ticket, Turn, Usage
from drafting.settings import Settings, load_settings
from drafting.tones import get_tone, tone_names

if TYPE_CHECKING:
    from drafting.api import build_client, build_drafter, resolve_settings
    from drafting.client import OpenAIChatClient

_LAZY = {
    "OpenAIChatClient": "drafting.client",
    "build_client": "drafting.api",
    "build_drafter": "drafting.api",
    "resolve_settings": "drafting.api",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'drafting' has no attribute {name!r}")


__all__ = [
    "MAX_MESSAGE_CHARS",
    "Attempt",
    "AttemptFinished",
    "ChatClient",
    "ChatRequest",
    "Completion",
    "ContentDelta",
    "Draft",
    "DraftFinished",
    "Drafter",
    "Message",
    "OpenAIChatClient",
    "Reply",
    "ReplyChecker",
    "Settings",
    "StreamEvent",
    "TextDelta",
    "Ticket",
    "Turn",
    "Usage",
    "build_client",
    "build_drafter",
    "get_tone",
    "load_settings",
    "resolve_settings",
    "tone_names",
]
