"""Read the replies `huashu check` is given: one text (argument, file, stdin) or a JSONL file.

Decisions, documented in README "Checking replies":
- Input is decoded as UTF-8 (a BOM is dropped) unless --encoding says otherwise; bytes that do
  not decode are a one-line error naming the file, the byte offset and the fix. Nothing is
  guessed: GB18030 decodes most byte soups, so a guess would check mojibake.
- A single reply that is empty or only whitespace is an error (exit 2).
- In a JSONL file every non-blank line is one reply. A line that cannot be used (bad bytes,
  invalid JSON, not an object, no text, empty text, unknown scenario/channel/turn, a malformed
  history) becomes an error record named by its line number; the other lines are still checked.
- A history (`--history FILE`, a JSONL line's `history`) is read by drafting.conversation.
"""

from __future__ import annotations

import codecs
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import BaseModel, ConfigDict, ValidationError

from drafting.conversation import HistoryError, history_from_text, history_from_value, turn_position
from drafting.errors import InputError, json_error_text
from guards import Channel, Scenario, Turn, TurnPosition
from guards.text import lone_surrogate

STDIN = "-"
ReplyId = str | int | None


@dataclass(frozen=True)
class ReplyInput:
    """One reply to check, with the context it is checked in."""

    id: ReplyId
    text: str
    scenario: Scenario | None
    channel: Channel
    customer: str | None = None
    line: int | None = None
    history: tuple[Turn, ...] = ()
    turn: TurnPosition | None = None


@dataclass(frozen=True)
class InputProblem:
    """An input line that could not be checked, and why (a one-line message)."""

    id: ReplyId
    line: int
    error: str


@dataclass(frozen=True)
class Defaults:
    """Scenario, channel and turn from the command line, used where a JSONL line gives none."""

    scenario: Scenario | None
    channel: Channel
    turn: TurnPosition | None = None


class _Record(BaseModel):
    """One JSONL line; fields not listed here are ignored."""

    model_config = ConfigDict(extra="ignore", strict=True)

    text: str | None = None
    reply: str | None = None
    scenario: Scenario | None = None
    channel: Channel | None = None
    customer: str | None = None
    history: Any = None
    turn: Any = None


def check_encoding(name: str) -> str:
    """The codec name if Python knows it; raise InputError otherwise."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise InputError(f"unknown encoding {name!r}", hint="try utf-8, gb18030 or big5") from None


def single_reply(
    text: str | None,
    file: str | None,
    defaults: Defaults,
    customer: str | None,
    encoding: str,
    history: tuple[Turn, ...] = (),
) -> ReplyInput:
    """The one reply given as TEXT, as `-` (stdin) or with -f FILE, after `history`."""
    source = file if file is not None else text if text == STDIN else None
    if source is None:
        reply_id, where, body = "text", "the TEXT argument", text or ""
    else:
        reply_id = where = display_name(source)
        # Files and `echo` end with a newline that is not part of the reply.
        body = _decode(_read_bytes(source), where, encoding).rstrip("\r\n")
    if not body.strip():
        raise InputError(f"the reply in {where} is empty", hint="give the reply text to check")
    return ReplyInput(
        reply_id, body, defaults.scenario, defaults.channel, customer, history=history, turn=defaults.turn
    )


def history_file(path: str, encoding: str) -> tuple[Turn, ...]:
    """The earlier turns in `path` (JSON list, JSONL or 客户：/客服： lines); InputError if unusable."""
    name = display_name(path)
    try:
        return history_from_text(_decode(_read_bytes(path), name, encoding))
    except HistoryError as exc:
        raise InputError(
            f"{name}: {exc}",
            hint='give a JSON list of {"speaker": "customer"|"agent", "text": "…"} or lines 客户：…/客服：…',
        ) from None


def jsonl_replies(path: str, defaults: Defaults, encoding: str) -> Iterator[ReplyInput | InputProblem]:
    """Every non-blank line of a JSONL file, as a reply or as the problem that line has."""
    name = display_name(path)
    stream = _open_binary(path)
    try:
        found = False
        for number, raw in enumerate(stream, start=1):
            if not raw.strip():
                continue
            found = True
            yield _parse_line(raw, number, defaults, encoding)
        if not found:
            raise InputError(f"{name} has no replies", hint="write one JSON object per line")
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def _parse_line(raw: bytes, number: int, defaults: Defaults, encoding: str) -> ReplyInput | InputProblem:
    try:
        line = raw.decode(encoding).removeprefix("\ufeff").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        return InputProblem(None, number, f"line {number}: not valid {encoding} ({_bad_byte(exc)})")
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return InputProblem(None, number, f"line {number}: invalid JSON: {json_error_text(exc)}")
    if not isinstance(data, dict):
        kind = type(data).__name__
        return InputProblem(None, number, f"line {number}: expected a JSON object, got {kind}")
    return _record(data, number, defaults)


def _record(data: dict[str, object], number: int, defaults: Defaults) -> ReplyInput | InputProblem:
    raw_id = data.get("id")
    if raw_id is not None and (isinstance(raw_id, bool) or not isinstance(raw_id, str | int)):
        return InputProblem(None, number, f"line {number}: id must be a string or an integer")
    reply_id: ReplyId = raw_id
    try:
        record = _Record.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"])
        return InputProblem(reply_id, number, f"line {number}: {field}: {error['msg']}")
    text = record.text if record.text is not None else record.reply
    if text is None:
        return InputProblem(reply_id, number, f"line {number}: no `text` (or `reply`) field")
    for name, value in (("id", raw_id), ("text", text), ("customer", record.customer)):
        if isinstance(value, str) and (code := lone_surrogate(value)):
            problem = f"line {number}: {name} has a lone surrogate ({code}), which is not text"
            return InputProblem(None if name == "id" else reply_id, number, problem)
    if not text.strip():
        return InputProblem(reply_id, number, f"line {number}: the reply text is empty")
    try:
        history, turn = _conversation(record, defaults)
    except HistoryError as exc:
        return InputProblem(reply_id, number, f"line {number}: {exc}")
    return ReplyInput(
        id=reply_id if reply_id is not None else number,
        text=text,
        scenario=record.scenario if record.scenario is not None else defaults.scenario,
        channel=record.channel or defaults.channel,
        customer=record.customer,
        line=number,
        history=history,
        turn=turn,
    )


def _conversation(record: _Record, defaults: Defaults) -> tuple[tuple[Turn, ...], TurnPosition | None]:
    """A line's history and turn (the command line's turn when it gives none); HistoryError if unusable."""
    history = history_from_value(record.history)
    for number, earlier in enumerate(history, start=1):
        if code := lone_surrogate(earlier.text):
            raise HistoryError(f"history turn {number} has a lone surrogate ({code}), which is not text")
    return history, turn_position(record.turn) if record.turn is not None else defaults.turn


def _open_binary(path: str) -> BinaryIO:
    if path == STDIN:
        return sys.stdin.buffer
    try:
        return Path(path).open("rb")
    except OSError as exc:
        raise _unreadable(path, exc) from None


def _read_bytes(path: str) -> bytes:
    if path == STDIN:
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise _unreadable(path, exc) from None


def _unreadable(path: str, exc: OSError) -> InputError:
    reason = (exc.strerror or str(exc)).lower()
    return InputError(f"cannot read {path}: {reason}", hint="check the path")


def _decode(data: bytes, name: str, encoding: str) -> str:
    codec = "utf-8-sig" if encoding == "utf-8" else encoding
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{name} is not valid {encoding} text ({_bad_byte(exc)})",
            hint=f"convert it to UTF-8, e.g. `iconv -f GB18030 -t UTF-8 {name}`, "
            "or give its encoding with --encoding gb18030",
        ) from None


def _bad_byte(exc: UnicodeDecodeError) -> str:
    return f"byte 0x{exc.object[exc.start]:02x} at offset {exc.start}"


def display_name(path: str) -> str:
    """How messages name a path: 'stdin' for '-'."""
    return "stdin" if path == STDIN else path
