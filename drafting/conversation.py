"""The conversation so far, as users give it to `huashu check` and `huashu batch`.

A history is the earlier turns, oldest first, in one of three forms: a JSON list of
{"speaker": "customer"|"agent", "text": "…"} objects ("role" may stand for "speaker", and a
[speaker, text] pair for an object); JSONL, one such object per line; or plain lines that start
with who speaks, 客户：… / 客服：… (a line without a speaker continues the turn before it).
Anything else is a HistoryError with a one-line message: a history is never guessed at.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from guards import Turn, TurnPosition
from guards.context import Speaker

# What `--turn` and the `turn` field/column accept; "auto" (or nothing) tells from the history.
TURN_CHOICES = ("auto", "first", "follow_up")
_TURN_NAMES: Mapping[str, TurnPosition | None] = {
    "auto": None,
    "first": "first",
    "follow_up": "follow_up",
    "follow-up": "follow_up",
    "首次": "first",
    "首次回复": "first",
    "跟进": "follow_up",
    "后续": "follow_up",
}
# Who speaks, as a history names them (compared lower-cased).
_SPEAKERS: Mapping[str, Speaker] = {
    "customer": "customer",
    "agent": "agent",
    "客户": "customer",
    "顾客": "customer",
    "买家": "customer",
    "用户": "customer",
    "客服": "agent",
    "坐席": "agent",
    "卖家": "agent",
    "商家": "agent",
}
_SPEAKER_LINE = re.compile(r"^\s*(?P<speaker>[^\s:：]{1,12})\s*[:：]\s*(?P<text>.*)$")


class HistoryError(ValueError):
    """A history or turn value that cannot be used; the message is one line for the user."""


def turn_position(value: object) -> TurnPosition | None:
    """The turn named by `value` (first, follow_up, auto/empty/None → None); HistoryError otherwise."""
    if value is None:
        return None
    name = str(value).strip().lower() if isinstance(value, str) else None
    if name == "":
        return None
    if name is None or name not in _TURN_NAMES:
        raise HistoryError(f"turn must be one of {', '.join(TURN_CHOICES)}, not {value!r}")
    return _TURN_NAMES[name]


def history_from_value(value: object) -> tuple[Turn, ...]:
    """A history given as data: a list of turns, or a string in any of the text forms."""
    if value is None:
        return ()
    if isinstance(value, str):
        return history_from_text(value)
    if not isinstance(value, list):
        raise HistoryError(f"history must be a list of turns, not {type(value).__name__}")
    return tuple(_turn(item, number) for number, item in enumerate(value, start=1))


def history_from_text(text: str) -> tuple[Turn, ...]:
    """A history written as a JSON list, as JSONL, or as 客户：…/客服：… lines (empty text: none)."""
    body = text.removeprefix("\ufeff").strip()
    if not body:
        return ()
    if body.startswith("["):
        return history_from_value(_json(body, "history"))
    if body.startswith("{"):
        lines = [line for line in body.splitlines() if line.strip()]
        return tuple(_turn(_json(line, f"history line {n}"), n) for n, line in enumerate(lines, start=1))
    return _speaker_lines(body)


def _json(text: str, where: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise HistoryError(f"{where}: invalid JSON: {exc.msg} (column {exc.colno})") from None


def _turn(item: object, number: int) -> Turn:
    """One turn from a {"speaker"|"role", "text"} object or a [speaker, text] pair."""
    if isinstance(item, dict):
        speaker, text = item.get("speaker", item.get("role")), item.get("text")
    elif isinstance(item, list) and len(item) == 2:
        speaker, text = item
    else:
        raise HistoryError(
            f'history turn {number}: expected {{"speaker": "customer"|"agent", "text": "…"}}, '
            f"got {json.dumps(item, ensure_ascii=False)[:60]}"
        )
    who = _SPEAKERS.get(speaker.strip().lower()) if isinstance(speaker, str) else None
    if who is None:
        raise HistoryError(f"history turn {number}: speaker must be customer or agent, not {speaker!r}")
    if not isinstance(text, str):
        raise HistoryError(f"history turn {number}: text must be a string")
    return Turn(who, text)


def _speaker_lines(body: str) -> tuple[Turn, ...]:
    """Turns from lines that start with 客户： or 客服： (other lines continue the turn before)."""
    turns: list[Turn] = []
    for number, line in enumerate(body.splitlines(), start=1):
        match = _SPEAKER_LINE.match(line)
        who = _SPEAKERS.get(match["speaker"].lower()) if match else None
        if match and who is not None:
            turns.append(Turn(who, match["text"].strip()))
        elif turns:
            if line.strip():
                turns[-1] = Turn(turns[-1].speaker, f"{turns[-1].text}\n{line.strip()}")
        else:
            raise HistoryError(f"history line {number}: start each turn with 客户： or 客服：")
    return tuple(turns)
