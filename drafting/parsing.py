"""Turn the model's answer into a ModelReply, and stream the reply text out of partial JSON."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import ValidationError

from drafting.models import SECTION_ORDER, ModelReply, Reply, needs_space
from guards import SCENARIOS

_FENCE = re.compile(r"^```[a-zA-Z]*\s*|\s*```$")


class ReplyParseError(ValueError):
    """The answer is not the JSON reply asked for; the message says what is wrong (for a re-ask)."""


def parse_reply(content: str) -> ModelReply:
    """The reply in a model answer (code fences and text around the JSON object are tolerated)."""
    data = _json_object(content)
    if isinstance(data.get("scenario"), str) and data["scenario"] not in SCENARIOS:
        data["scenario"] = None  # an unknown scenario falls back to keyword detection
    try:
        reply = ModelReply.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the object"
        raise ReplyParseError(f"{where}: {first['msg']}") from None
    if not reply.to_reply().sections():
        raise ReplyParseError("every section is empty")
    return reply


def _json_object(content: str) -> dict[str, Any]:
    text = _FENCE.sub("", content.strip())
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        raise ReplyParseError("no JSON object in the answer")
    try:
        # strict=False: small models put raw newlines/tabs inside strings; the meaning is clear
        data = json.loads(text[start : end + 1], strict=False)
    except json.JSONDecodeError as exc:
        raise ReplyParseError(f"invalid JSON: {exc.msg} at character {exc.pos}") from None
    if not isinstance(data, dict):
        raise ReplyParseError("the JSON is not an object")
    return data


_KEY = re.compile(r'"(' + "|".join(SECTION_ORDER) + r')"\s*:\s*"')


class ReplyTextStream:
    """Feed the raw JSON as it streams; get back the new reply text the customer would read.

    Only the reply sections are shown (in the order they arrive), each finished with its
    punctuation once the next key starts, so the visible text only ever grows.
    """

    def __init__(self) -> None:
        self._raw = ""
        self._shown = ""

    def feed(self, chunk: str) -> str:
        """The reply text that became visible with `chunk` ('' when none)."""
        self._raw += chunk
        visible = _visible_text(self._raw)
        if not visible.startswith(self._shown):
            return ""  # never take text back: the final Reply.text is authoritative
        delta = visible[len(self._shown) :]
        self._shown = visible
        return delta


def _visible_text(raw: str) -> str:
    """The reply text of the sections complete so far, then the one still arriving."""
    closed: dict[str, str] = {}
    partial = ""
    for match in _KEY.finditer(raw):
        value, done = _string_prefix(raw, match.end())
        if not done:
            partial = value.lstrip()
            break
        closed[match.group(1)] = value
    text = Reply(**closed).text
    if partial and text:
        return text + (" " if needs_space(text, partial) else "") + partial
    return text + partial


_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _string_prefix(raw: str, start: int) -> tuple[str, bool]:
    """The decoded JSON string starting at `start` as far as it is complete, and whether it closed."""
    out: list[str] = []
    i = start
    while i < len(raw):
        ch = raw[i]
        if ch == '"':
            return "".join(out), True
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        if i + 1 >= len(raw):
            break
        code = raw[i + 1]
        if code == "u":
            if i + 6 > len(raw):
                break
            out.append(chr(int(raw[i + 2 : i + 6], 16)))
            i += 6
        else:
            out.append(_ESCAPES.get(code, code))
            i += 2
    return "".join(out), False
