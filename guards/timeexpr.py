"""Find time commitments in normalised reply text: 30分钟内, 两个工作日, 1-3天, 今天, 马上…"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

TimeKind = Literal["duration", "relative_day", "immediate"]

_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_NUM = "零〇一二两三四五六七八九十百"
_NUM = rf"(?:\d+(?:\.\d+)?|[{_CN_NUM}]+)"
_UNIT_HOURS = {
    "分钟": 1 / 60,
    "分": 1 / 60,
    "min": 1 / 60,
    "mins": 1 / 60,
    "minutes": 1 / 60,
    "小时": 1.0,
    "个小时": 1.0,
    "钟头": 1.0,
    "个钟头": 1.0,
    "h": 1.0,
    "hours": 1.0,
    "天": 24.0,
    "日": 24.0,
    "工作日": 24.0,
    "个工作日": 24.0,
    "working days": 24.0,
    "days": 24.0,
    "周": 168.0,
    "星期": 168.0,
    "个星期": 168.0,
    "礼拜": 168.0,
    "个礼拜": 168.0,
    "个月": 720.0,
}
_UNITS = "|".join(sorted((re.escape(u) for u in _UNIT_HOURS), key=len, reverse=True))
_DURATION = re.compile(
    rf"(?P<lo>{_NUM}|半)(?:\s*(?:-|~|～|—|至|到)\s*(?P<hi>{_NUM}))?\s*(?P<half>个半)?\s*(?P<unit>{_UNITS})"
    rf"(?P<half2>半)?\s*(?P<within>之内|以内|内|前|之前)?",
    re.IGNORECASE,
)
_RELATIVE_HOURS = {
    "今天": 24.0,
    "今日": 24.0,
    "当天": 24.0,
    "当日": 24.0,
    "今晚": 12.0,
    "今天晚上": 12.0,
    "明天": 48.0,
    "明日": 48.0,
    "后天": 72.0,
    "本周": 168.0,
    "这周": 168.0,
    "下周": 336.0,
}
_RELATIVE = re.compile("|".join(sorted(_RELATIVE_HOURS, key=len, reverse=True)))
_IMMEDIATE = re.compile(r"马上|立即|立刻|即刻|立马|现在就")
# Context that makes a time expression a commitment rather than a mention.
_LEAD_IN = re.compile(r"(在|将在|会在|于|预计|一般|通常|最迟|最晚|最快|大约|大概|争取)\s*$")
_ACTION_AFTER = re.compile(
    r"^\s*(左右|就|会|能|可以|给您|为您|帮您|由专员|内)?\s*"
    r"(发货|发出|寄出|出库|到账|送达|送到|回复|答复|联系|处理|完成|上门|解决|修好|退款|反馈|回访|解答|给您|为您|与您)"
)
_PAST_BEFORE = re.compile(r"(已经|已|之前|此前|刚才|上次|等了|等待了|稍等|请等|等)\s*$")
_PAST_AFTER = re.compile(r"^\s*(了|前|之前|以前|无理由)")


@dataclass(frozen=True, slots=True)
class TimeExpression:
    """A time expression in `norm`: its span, the promised bound in hours, and its kind."""

    start: int
    end: int
    hours: float
    kind: TimeKind
    text: str


def parse_number(text: str) -> float | None:
    """Arabic or Chinese numeral (十五, 二十四, 两, 3.5) as a number, or None."""
    if not text:
        return None
    if text[0].isdigit():
        try:
            return float(text)
        except ValueError:
            return None
    total, current = 0, 0
    for ch in text:
        if ch in _DIGITS:
            current = current * 10 + _DIGITS[ch] if current and ch not in "零〇" else _DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return float(total + current)


def _compact_range(text: str) -> tuple[float, float] | None:
    """一两 / 两三 / 三五 as a (low, high) range, else None."""
    if len(text) == 2 and text[0] in _DIGITS and text[1] in _DIGITS and _DIGITS[text[1]] > _DIGITS[text[0]]:
        return float(_DIGITS[text[0]]), float(_DIGITS[text[1]])
    return None


def _duration_hours(match: re.Match[str]) -> float | None:
    lo_text, hi_text = match.group("lo"), match.group("hi")
    unit = match.group("unit").lower()
    if lo_text == "半":
        amount: float | None = 0.5
    else:
        compact = _compact_range(lo_text) if hi_text is None else None
        amount = compact[1] if compact else parse_number(hi_text or lo_text)
    if amount is None:
        return None
    if match.group("half") or match.group("half2"):
        amount += 0.5
    return amount * _UNIT_HOURS.get(unit, _UNIT_HOURS.get(unit.strip(), 1.0))


def _is_commitment(norm: str, start: int, end: int, has_within: bool) -> bool:
    before, after = norm[max(0, start - 6) : start], norm[end : end + 10]
    if _PAST_BEFORE.search(before) or _PAST_AFTER.match(after):
        return False
    return has_within or bool(_LEAD_IN.search(before)) or bool(_ACTION_AFTER.match(after))


def find_time_expressions(norm: str) -> list[TimeExpression]:
    """Every time commitment in `norm`, in order; mentions of the past are left out."""
    found: list[TimeExpression] = []
    taken: list[tuple[int, int]] = []
    for match in _DURATION.finditer(norm):
        hours = _duration_hours(match)
        within = match.group("within")
        end = match.end() if within not in ("前", "之前") else match.start("within")
        if hours is None or not _is_commitment(norm, match.start(), end, bool(within) and within != "前"):
            continue
        found.append(TimeExpression(match.start(), match.end(), hours, "duration", match.group()))
        taken.append(match.span())
    for match in _RELATIVE.finditer(norm):
        if any(a <= match.start() < b for a, b in taken):
            continue
        if _PAST_BEFORE.search(norm[max(0, match.start() - 6) : match.start()]):
            continue
        hours = _RELATIVE_HOURS[match.group()]
        found.append(TimeExpression(match.start(), match.end(), hours, "relative_day", match.group()))
    for match in _IMMEDIATE.finditer(norm):
        found.append(TimeExpression(match.start(), match.end(), 0.0, "immediate", match.group()))
    found.sort(key=lambda t: t.start)
    return found
