"""The page's free-text inputs turned into ticket fields: order facts and earlier turns."""

from __future__ import annotations

import json
from typing import Literal

from drafting.errors import InputError
from drafting.models import Turn

# Language mechanics: the speaker prefixes an agent types for earlier turns.
Role = Literal["customer", "agent"]
_SPEAKERS: dict[str, Role] = {
    "客户": "customer",
    "顾客": "customer",
    "customer": "customer",
    "客服": "agent",
    "agent": "agent",
}
_SEPARATORS = ("：", ":")


def parse_facts(text: str) -> dict[str, str]:
    """Order facts: a JSON object, or one `名称：值` per line."""
    text = text.strip()
    if not text:
        return {}
    if text.startswith("{"):
        return _json_facts(text)
    facts: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        name, value = _split(line)
        if not name or not value:
            raise InputError(f"订单信息第 {number} 行应写成“名称：值”，例如“订单号：202411230001”")
        facts[name] = value
    return facts


def parse_history(text: str) -> list[Turn]:
    """Earlier turns, one per line: `客户：…` or `客服：…` (a line without a prefix continues the last)."""
    turns: list[Turn] = []
    for number, line in enumerate(text.strip().splitlines(), 1):
        if not line.strip():
            continue
        speaker, said = _split(line)
        role = _SPEAKERS.get(speaker.lower())
        if role is not None and said:
            turns.append(Turn(role=role, text=said))
        elif turns:
            turns[-1] = Turn(role=turns[-1].role, text=f"{turns[-1].text}\n{line.strip()}")
        else:
            raise InputError(f"之前的对话第 {number} 行应以“客户：”或“客服：”开头")
    return turns


def _split(line: str) -> tuple[str, str]:
    positions = [line.find(s) for s in _SEPARATORS if s in line]
    if not positions:
        return "", ""
    at = min(positions)
    return line[:at].strip(), line[at + 1 :].strip()


def _json_facts(text: str) -> dict[str, str]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"订单信息不是有效的 JSON：{exc.msg}（第 {exc.lineno} 行）") from None
    if not isinstance(data, dict) or not all(isinstance(v, str | int | float) for v in data.values()):
        raise InputError('订单信息的 JSON 应是一个对象，例如 {"订单号": "202411230001"}')
    return {str(k): str(v) for k, v in data.items()}
