"""Which columns hold what, and each input row as work (a WorkRow) or a reported BadRow.

A bad row (empty or over-long text, undecodable bytes, missing columns, a duplicate id,
an unknown scenario, channel or turn, a malformed history) gets a one-line reason; the run
goes on without it. A bad file (no text column, an explicitly named column that does not
exist) stops at once.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from drafting.conversation import HistoryError, history_from_value, turn_position
from drafting.errors import InputError
from drafting.models import MAX_MESSAGE_CHARS
from drafting.prompting import labels
from drafting.tones import Tone
from guards import CHANNELS, SCENARIOS, Channel, Scenario, Turn, TurnPosition

# Header names recognised without a --*-column option (compared case-insensitively, trimmed).
TEXT_HEADERS = (
    "text", "reply", "content", "template", "message", "话术", "话术内容", "标准话术", "回复",
    "回复内容", "客服回复", "内容", "模板", "文本", "答案",
)  # fmt: skip
ID_HEADERS = ("id", "template_id", "编号", "话术编号", "序号", "模板编号", "id号")
SCENARIO_HEADERS = ("scenario", "场景", "话术场景", "业务场景")
CHANNEL_HEADERS = ("channel", "渠道", "服务渠道")
HISTORY_HEADERS = ("history", "conversation", "对话历史", "历史对话", "对话记录", "上文")
TURN_HEADERS = ("turn", "轮次", "回复轮次")
# Output columns huashu adds start with this; such columns in the input are replaced.
ADDED_PREFIX = "huashu_"
# Unpaired surrogates stand for bytes that did not decode (errors="surrogateescape").
_UNDECODED = re.compile("[\udc80-\udcff]")


@dataclass(frozen=True)
class SourceRow:
    """One record as read: its number as the user sees it, its values, or why it is unreadable."""

    number: int
    values: dict[str, Any]
    problem: str | None = None


@dataclass(frozen=True)
class ColumnChoice:
    """The columns holding the text, and optionally the id, scenario, channel, history and turn."""

    text: str
    id: str | None = None
    scenario: str | None = None
    channel: str | None = None
    history: str | None = None
    turn: str | None = None

    def required(self) -> list[str]:
        """The columns a row must have (a row without a history or turn cell has none)."""
        return [c for c in (self.text, self.id, self.scenario, self.channel) if c is not None]


@dataclass(frozen=True)
class ColumnOptions:
    """Column names given on the command line (None: detect from the header)."""

    text: str | None = None
    id: str | None = None
    scenario: str | None = None
    channel: str | None = None
    history: str | None = None
    turn: str | None = None


@dataclass(frozen=True)
class Defaults:
    """Scenario and channel for rows whose columns give none."""

    scenario: Scenario | None = None
    channel: Channel | None = None


@dataclass(frozen=True)
class WorkRow:
    """A usable row: its id, text and context, with every input value kept.

    `history`: the earlier turns of the conversation, oldest first; `turn`: first, follow_up or
    None (told from the history). They decide whether the row owes the required structure.
    """

    number: int
    id: str
    text: str
    scenario: Scenario | None
    channel: Channel | None
    values: dict[str, Any]
    history: tuple[Turn, ...] = ()
    turn: TurnPosition | None = None

    def work_hash(self, channel: Channel) -> str:
        """A hash of what is rewritten: text, scenario and channel (identical templates share it)."""
        data = f"{self.text}\x1f{self.scenario or ''}\x1f{channel}"
        return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()[:32]


@dataclass(frozen=True)
class BadRow:
    """A row that cannot be used, and why (one line)."""

    number: int
    id: str | None
    reason: str
    values: dict[str, Any]


def channel_for(row: WorkRow, tone: Tone) -> Channel:
    """The channel a row is written for: its own, else the tone's (邮件: email), else online."""
    return row.channel or tone.channel or "online"


def choose_columns(columns: Sequence[str], options: ColumnOptions, source: str) -> ColumnChoice:
    """The columns to use: the named ones (which must exist), else recognised headers."""
    text = _named(columns, options.text, "--text-column", source) or _detect(columns, TEXT_HEADERS)
    if text is None:
        shown = ", ".join(repr(c) for c in columns[:12]) or "none"
        raise InputError(
            f"{source}: no column looks like the reply text (columns: {shown})",
            hint="name it with --text-column, e.g. --text-column 话术",
        )
    return ColumnChoice(
        text=text,
        id=_named(columns, options.id, "--id-column", source) or _detect(columns, ID_HEADERS),
        scenario=_named(columns, options.scenario, "--scenario-column", source)
        or _detect(columns, SCENARIO_HEADERS),
        channel=_named(columns, options.channel, "--channel-column", source)
        or _detect(columns, CHANNEL_HEADERS),
        history=_named(columns, options.history, "--history-column", source)
        or _detect(columns, HISTORY_HEADERS),
        turn=_named(columns, options.turn, "--turn-column", source) or _detect(columns, TURN_HEADERS),
    )


def _named(columns: Sequence[str], name: str | None, option: str, source: str) -> str | None:
    if name is None:
        return None
    if name in columns:
        return name
    folded = {c.strip().lower(): c for c in columns}
    if name.strip().lower() in folded:
        return folded[name.strip().lower()]
    shown = ", ".join(repr(c) for c in columns[:12])
    raise InputError(f"{source} has no column {name!r} ({option}); its columns are: {shown}")


def _detect(columns: Sequence[str], candidates: Iterable[str]) -> str | None:
    folded = {c.strip().lower(): c for c in reversed(columns)}  # the first of equal names wins
    return next((folded[name] for name in candidates if name in folded), None)


def input_columns(columns: Sequence[str]) -> list[str]:
    """The input's columns without the ones an earlier huashu run added (they are replaced)."""
    return [c for c in columns if not c.startswith(ADDED_PREFIX)]


class RowReader:
    """Turns source rows into work rows or bad rows (remembering ids to catch duplicates)."""

    def __init__(self, choice: ColumnChoice, defaults: Defaults, max_chars: int = MAX_MESSAGE_CHARS) -> None:
        self.choice = choice
        self.defaults = defaults
        self.max_chars = max_chars
        self._first_row_of_id: dict[int, int] = {}
        self._scenarios = _value_names(SCENARIOS, labels()["scenarios"])
        self._channels = _value_names(CHANNELS, labels()["channels"])

    def rows(self, source: Iterable[SourceRow]) -> Iterator[WorkRow | BadRow]:
        """Every source row as a WorkRow or a BadRow, in order."""
        for row in source:
            yield self.read(row)

    def read(self, row: SourceRow) -> WorkRow | BadRow:
        """One source row as a WorkRow, or a BadRow with the reason."""
        row_id = self._id(row)
        if row.problem:
            return BadRow(row.number, row_id, row.problem, row.values)
        missing = [c for c in self.choice.required() if c not in row.values]
        if missing:
            return BadRow(row.number, row_id, f"missing column {', '.join(missing)}", row.values)
        undecoded = next((c for c, v in row.values.items() if _has_undecoded(v)), None)
        if undecoded is not None:
            return BadRow(row.number, row_id, f"undecodable bytes in column {undecoded}", row.values)
        problem = self._text_problem(row.values[self.choice.text])
        if problem:
            return BadRow(row.number, row_id, problem, row.values)
        scenario = self._pick(row, self.choice.scenario, self._scenarios, self.defaults.scenario)
        channel = self._pick(row, self.choice.channel, self._channels, self.defaults.channel)
        conversation = self._conversation(row)
        if (
            isinstance(scenario, _Unknown)
            or isinstance(channel, _Unknown)
            or isinstance(conversation, _Unknown)
        ):
            reason = next(str(v) for v in (scenario, channel, conversation) if isinstance(v, _Unknown))
            return BadRow(row.number, row_id, reason, row.values)
        duplicate = self._duplicate(row_id, row.number)
        if duplicate:
            return BadRow(row.number, row_id, duplicate, row.values)
        text = cell_text(row.values[self.choice.text])
        return WorkRow(
            row.number,
            row_id,
            text,
            cast(Scenario | None, scenario),
            cast(Channel | None, channel),
            row.values,
            *conversation,
        )

    def _conversation(self, row: SourceRow) -> tuple[tuple[Turn, ...], TurnPosition | None] | _Unknown:
        """The row's history and turn from their columns, or why they cannot be used."""
        history_column, turn_column = self.choice.history, self.choice.turn
        try:
            history = (
                history_from_value(_blank_as_none(row.values.get(history_column))) if history_column else ()
            )
        except HistoryError as exc:
            return _Unknown(f"{history_column}: {exc}")
        try:
            turn = turn_position(cell_text(row.values.get(turn_column))) if turn_column else None
        except HistoryError as exc:
            return _Unknown(f"{turn_column}: {exc}")
        return history, turn

    def _id(self, row: SourceRow) -> str:
        if self.choice.id is None:
            return str(row.number)
        value = cell_text(row.values.get(self.choice.id)).strip()
        return value or str(row.number)

    def _text_problem(self, value: Any) -> str | None:
        text = cell_text(value)
        if not text.strip():
            return "empty text"
        if len(text) > self.max_chars:
            return f"text is {len(text)} characters long; the limit is {self.max_chars}"
        return None

    def _pick(
        self, row: SourceRow, column: str | None, names: Mapping[str, str], default: str | None
    ) -> str | _Unknown | None:
        raw = cell_text(row.values.get(column)).strip() if column else ""
        if not raw:
            return default
        key = names.get(raw.lower()) or _by_prefix(raw, names)
        if key is None:
            choices = ", ".join(dict.fromkeys(names.values()))
            return _Unknown(f"unknown {column} {raw!r}; use one of: {choices} (or their Chinese names)")
        return key

    def _duplicate(self, row_id: str, number: int) -> str | None:
        if self.choice.id is None:
            return None
        digest = int.from_bytes(hashlib.blake2b(row_id.encode("utf-8", "replace"), digest_size=8).digest())
        first = self._first_row_of_id.setdefault(digest, number)
        return f"duplicate id {row_id!r} (first in row {first})" if first != number else None


@dataclass(frozen=True)
class _Unknown:
    """A scenario or channel value that names none."""

    reason: str

    def __str__(self) -> str:
        return self.reason


def _blank_as_none(value: Any) -> Any:
    """An empty cell (None, or only whitespace) as None: a row with no history."""
    return None if value is None or (isinstance(value, str) and not value.strip()) else value


def _value_names(keys: Sequence[str], display: Mapping[str, str]) -> dict[str, str]:
    """Lower-cased keys and display names → key."""
    names = {key.lower(): key for key in keys}
    names.update({label: key for key, label in display.items() if key in keys})
    return names


def _by_prefix(raw: str, names: Mapping[str, str]) -> str | None:
    """The key whose display name starts with `raw` (e.g. 售后 for 售后退换), if exactly one."""
    if len(raw) < 2:
        return None
    keys = {key for name, key in names.items() if name.startswith(raw)}
    return keys.pop() if len(keys) == 1 else None


def unique_names(raw: Sequence[Any]) -> list[str]:
    """Header cells as unique, non-empty column names."""
    names: list[str] = []
    for index, cell in enumerate(raw, start=1):
        name = cell_text(cell).strip() or f"column_{index}"
        base, copy = name, 2
        while name in names:
            name, copy = f"{base}.{copy}", copy + 1
        names.append(name)
    return names


def cell_text(value: Any) -> str:
    """A cell as text: None is empty, whole floats lose their '.0', dates are ISO."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _has_undecoded(value: Any) -> bool:
    return isinstance(value, str) and _UNDECODED.search(value) is not None
