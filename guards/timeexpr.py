"""Find time commitments in normalised reply text: 30分钟内, 两个工作日, 1-3天, 今天, 马上…

Language mechanics only: numerals, units, and the grammar that makes a time expression a
commitment (在…内, 预计…, …给您回复) rather than a mention of the past (您已经等了3天, 3天前),
a period of a policy (7天无理由退货), a date (5月3日), a condition (如果3天内没有收到) or a
negated promise (不能保证今天…). Which deadline a commitment is held to is policy data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal, NamedTuple

from guards.clauses import Span

TimeKind = Literal["duration", "relative_day", "immediate"]

_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "俩": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_NUM = "零〇一二两俩三四五六七八九十百"
# A numeral; parse_number rejects what is not a number (3.). Possessive (*+): no unit or range
# mark starts with a numeral character, so giving digits back can never make a match.
_NUM = rf"[0-9{_CN_NUM}][0-9.{_CN_NUM}]*+"
_UNIT_HOURS = {
    "分钟": 1 / 60,
    "min": 1 / 60,
    "mins": 1 / 60,
    "minutes": 1 / 60,
    "刻钟": 0.25,
    "个刻钟": 0.25,
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
    "工作天": 24.0,  # Taiwan's word for a working day
    "个工作天": 24.0,
    "营业日": 24.0,
    "个营业日": 24.0,
    "交易日": 24.0,
    "个交易日": 24.0,
    "working days": 24.0,
    "days": 24.0,
    "周": 168.0,
    "星期": 168.0,
    "个星期": 168.0,
    "礼拜": 168.0,
    "个礼拜": 168.0,
    "月": 720.0,
    "个月": 720.0,
    "季度": 2160.0,
    "个季度": 2160.0,
}
_UNITS = "|".join(sorted((re.escape(u) for u in _UNIT_HOURS), key=len, reverse=True))
_WITHIN = ("内", "之内", "以内")
_AGO = ("前", "之前", "以前")
_DURATION = (
    # A number starts a duration only at its first digit (a later start has the same tail).
    # The lookbehind comes after the first numeral so that the pattern starts with a character
    # class, which lets `re` skip ahead to the next possible start (the speed floor).
    rf"(?P<lo>[0-9{_CN_NUM}](?<![0-9{_CN_NUM}][0-9{_CN_NUM}])[0-9.{_CN_NUM}]*+|半[0-9.{_CN_NUM}]*+)"
    rf"(?:\s*(?:-|~|～|—|–|至|到)\s*(?P<hi>{_NUM}))?"
    rf"\s*(?P<half>个半)?\s*(?P<unit>(?i:{_UNITS}))(?P<half2>半)?\s*(?P<suffix>之内|以内|内|之前|以前|前|之后|以后|后)?"
)
_RELATIVE_HOURS = {
    "今天": 24.0,
    "今日": 24.0,
    "当天": 24.0,
    "当日": 24.0,
    "今晚": 12.0,
    "明天": 48.0,
    "明日": 48.0,
    "后天": 72.0,
    "本周": 168.0,
    "这周": 168.0,
    "下周": 336.0,
}
# A weekday of this or next week (本周六, 下周一) is at most the end of that week.
_RELATIVE_HOURS.update(
    {
        f"{week}{day}": hours
        for week, hours in (("本周", 168.0), ("这周", 168.0), ("下周", 336.0))
        for day in "一二三四五六日天"
    }
)
_RELATIVE = (
    "(?P<day>" + "|".join(sorted(_RELATIVE_HOURS, key=len, reverse=True)) + ")"
    r"(?:上午|下午|中午|晚上|早上|傍晚|白天|下班)?(?:\s*\d{1,2}\s*[点:：]\s*(?:\d{1,2}\s*分?|半)?)?"
    r"\s*(?P<day_suffix>之内|以内|内|之前|以前|前)?"
)
_IMMEDIATE = r"马上|立即|立刻|即刻|立马|现在就|当场|当即"
# A time named for something to happen, without a duration: a weekday, a clock time, a date, a
# part of a day, in English after by/on/before. The structure's solution accepts them (本周六上午
# 9点的检测, 20点50那班, by Friday); whether they are promises is not judged. Separate patterns,
# each starting with literals or a character class, so that `re` skips ahead by first character.
_SCHEDULED = (
    re.compile(r"(?:这周|本周|下周|周|星期|礼拜)[一二三四五六日天]"),
    re.compile(r"[0-9一二三四五六七八九十两]{1,3}[点:：](?:[0-9]{1,2}分?|半)?"),
    re.compile(r"[0-9]{1,2}月[0-9]{1,2}[日号]"),
    re.compile(r"(?:中午|下午|晚上|傍晚|上午)(?:前|之前)"),
    re.compile(
        r"(?i:(?:by|on|before|until) "
        r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|tonight|today|noon|end of))"
    ),
)
# What 马上/立即 must come before to be a time for a solution: an action that resolves something
# (马上为您退款), not one that only looks into it (马上为您查询).
_RESOLVING_ACTION = re.compile(
    r"(?:就)?(?:为|给|帮)?(?:您|你)?"
    r"(?:退|补发|补寄|安排|改签|冻结|挂失|停机|修|换|寄|发货|发出|取消|修改|开通|恢复|上门|赔|返还|重新|"
    r"到账|到货|送达|送到|办好|处理好|出)"
)
# One scan per kind, in the order a tie is decided: each pattern starts with a character class
# or literals, so `re` skips ahead by first character; one alternation of the three would not.
_SCANS: tuple[tuple[TimeKind, re.Pattern[str]], ...] = (
    ("duration", re.compile(_DURATION)),
    ("relative_day", re.compile(_RELATIVE)),
    ("immediate", re.compile(_IMMEDIATE)),
)

# How far before a time expression its lead-in, past marker or negation is looked for.
_LOOKBEHIND = 12
_LOOKAHEAD = 12
# Everything up to the last clause boundary of a window (greedy, so one match attempt).
_UP_TO_CLAUSE_MARK = re.compile(r".*[，。,.!?！？；;:：\n]", re.DOTALL)
# In the clause before: `block` is the past, a threshold or a date right before (等了3天,
# 超过48小时, 5月3日), a condition (如果3天内…) or a negated promise (我们不能保证今天…);
# `relative` ties the time to another event (送货前一天); `lead` makes it a commitment (在3天内,
# 预计明天, 最迟48小时). Leads only match at the end, so a block anywhere in the clause is found first.
_BEFORE = re.compile(
    r"(?P<block>((已经|已)(在|于)?|之前|此前|刚才|刚刚|上次|等了|等待了|等待|稍等|请等|等|过去|最近|近|超过|超出|逾期|逾|"
    r"满|足足|整整|都|月|可用|可以用|能用|续航|待机|使用|时长|寿命|保温|保冷|保修|质保|价保|保质期|有效期|延误|迟到|晚了|超时|耽误)"
    r"\s*(约|大约|大概|可达|长达|达|最长|最多)?\s*\Z|"
    r"(快递|物流|配送|航空公司|银行)[^，。]{0,6}(显示|预计|说|承诺)[^，。]{0,4}\Z|"
    r"如果|假如|假设|倘若|若是|要是|万一|(?<![例比])[如若](?![期实此何])[^，。]{0,4}\Z|"
    r"(不能|无法|没法|没办法|不敢|不可能|难以|并不|不)(百分之百|完全)?(保证|确保|承诺|担保)|"
    r"不一定|未必|不确定|说不准|不好说|(不能|无法|没法|没办法|不会|不可能|来不及)(在|于)?\s*\Z)|"
    # Relative to another event or compared (送货前一天, 提前一天, 早一天寄回就早一天到账): it names when
    # something happens but is no deadline to judge.
    r"(?P<relative>((?<![目之此以提])前|提前|(?<!最)早|(?<!最)晚|推迟|延后|延迟)\s*(约|大约|大概)?\s*\Z)|"
    r"(?P<lead>(在|(?<![由关对至等属基鉴])于|预计|预估|一般|通常|正常|最迟|最晚|最快|大概|(?<!预)约|争取|保证|"
    r"确保|承诺|一定|肯定|会|将|(?<!可)能|可以|就|(?i:within|in|by))\s*\Z)"
)
# Right after: `block` is the past, a policy period or something that will not happen (3天了,
# 7天无理由, 7天内可以申请, 3天内没有收到); `action` is what the time is promised for (24小时发货,
# 今天就给您回复).
_AFTER = re.compile(
    r"\s*(?:(?P<block>了|无理由|还没|还未|仍未|都没|也没|没有?|未|不能|无法|没法|来不及|不一定|不会|"
    r"(的)?(续航|待机|保修|质保|价保|保价|有效期|保质期|试用)|期(内|间)|"
    r"可能(无法|不能|来不及|没)|(您)?(可以|可|能)?(申请|享受|有效))|(左右)?\s*(?P<action>就|会|将|能|可以|一定|肯定|保证|必定|即可|便|"
    r"(给|为|帮|与|和|跟)(您|你)|由|安排|发货|发出|寄出|寄回|出库|补发|到账|到货|送达|送到|回复|答复|联系|处理|"
    r"完成|上门|解决|修好|修复|退款|反馈|回访|解答|核实|办理|跟进|通知|给出|审核))"
)


class TimeExpression(NamedTuple):
    """A time expression in `norm`: its span, the promised bound in hours, and its kind."""

    start: int
    end: int
    hours: float
    kind: TimeKind
    text: str
    working_days: bool = False  # counted in working days (2个工作日): holidays do not count


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
    """The upper bound of a duration in hours: a range promises its high end."""
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
    return amount * _UNIT_HOURS[unit]


def _clause_before(norm: str, start: int) -> str:
    """Up to _LOOKBEHIND characters before `start`, cut at the last clause boundary."""
    window = norm[max(0, start - _LOOKBEHIND) : start]
    marks = _UP_TO_CLAUSE_MARK.match(window)
    return window[marks.end() :] if marks else window


class _Surroundings(NamedTuple):
    """What the clause says right before and right after a time expression (see _BEFORE, _AFTER)."""

    before: re.Match[str] | None
    after: re.Match[str] | None

    @property
    def blocked(self) -> bool:
        """True when the time is the past, a condition, a negation or a policy period."""
        return any(found is not None and found.group("block") is not None for found in self)

    @property
    def relative(self) -> bool:
        """True when the time is counted from another event (送货前一天): when, but no deadline."""
        return self.before is not None and self.before.group("relative") is not None


def _surroundings(norm: str, start: int, end: int) -> _Surroundings:
    """The lead-in or block before [start, end) in its clause, and the action or block after it."""
    return _Surroundings(
        _BEFORE.search(_clause_before(norm, start)), _AFTER.match(norm, end, end + _LOOKAHEAD)
    )


def _is_commitment(norm: str, start: int, end: int, suffix: str, *, ago_is_past: bool) -> bool:
    """True when the time at [start, end) is promised, not past, conditional, negated or relative to
    another event."""
    around = _surroundings(norm, start, end)
    if around.blocked or around.relative:
        return False
    if suffix in _AGO:
        return not ago_is_past  # "3天前" is the past; "明天中午前" is a deadline
    return suffix in _WITHIN or around.before is not None or around.after is not None


def _judged(norm: str, kind: TimeKind, match: re.Match[str]) -> TimeExpression | None:
    """The time expression of one match when it is a commitment (马上/立即 always are)."""
    start, end = match.span()
    if kind == "duration":
        hours = _duration_hours(match)
        if not hours or not _is_commitment(norm, start, end, match.group("suffix") or "", ago_is_past=True):
            return None
        unit = match.group("unit").lower()
        working = any(word in unit for word in ("工作日", "工作天", "营业日", "交易日", "working"))
        return TimeExpression(start, end, hours, "duration", norm[start:end], working)
    if kind == "relative_day":
        if not _is_commitment(norm, start, end, match.group("day_suffix") or "", ago_is_past=False):
            return None
        hours = _RELATIVE_HOURS[match.group("day")]
        return TimeExpression(start, end, hours, "relative_day", norm[start:end])
    return TimeExpression(start, end, 0.0, "immediate", norm[start:end])


class TimeMention(NamedTuple):
    """A time expression found in the text before it is judged: its kind and its match."""

    kind: TimeKind
    match: re.Match[str]


def time_mentions(norm: str) -> list[TimeMention]:
    """Every duration, day and immediate word from left to right, without overlaps: at the same
    start a duration wins over a day, a day over an immediate word, as one alternation would
    decide. Find them once and pass them to `find_time_expressions` and `named_times`."""
    found = sorted(
        (TimeMention(kind, match) for kind, pattern in _SCANS for match in pattern.finditer(norm)),
        key=lambda mention: mention.match.start(),  # stable: the order of the scans breaks ties
    )
    kept: list[TimeMention] = []
    for mention in found:
        if not kept or mention.match.start() >= kept[-1].match.end():
            kept.append(mention)
    return kept


def find_time_expressions(
    norm: str, *, immediate: bool = True, mentions: list[TimeMention] | None = None
) -> list[TimeExpression]:
    """Every time commitment in `norm`, in order; past, conditional and negated ones are left out.

    Immediate words (马上, 立即 …) are always reported unless `immediate` is false: whether what
    follows them is in the agent's control is for the phrase rules to judge. (No immediate word
    shares a character with a duration or a day, so leaving them out changes no other match.)
    """
    found = time_mentions(norm) if mentions is None else mentions
    judged = (_judged(norm, m.kind, m.match) for m in found if immediate or m.kind != "immediate")
    return [expr for expr in judged if expr is not None]


def named_times(norm: str, mentions: list[TimeMention] | None = None) -> Iterator[Span]:
    """Where `norm` names when something will happen, lazily: a duration or day that is not past,
    conditional, negated or a policy period (需要两三分钟, 明天), 马上/立即 right before an action
    that resolves something (马上为您退款, not 马上为您查询), a weekday, a clock time or a date
    (本周六上午9点) — a concrete time, which 尽快 is not."""
    for kind, match in time_mentions(norm) if mentions is None else mentions:
        if kind == "immediate":
            if _RESOLVING_ACTION.match(norm, match.end()):
                yield Span(*match.span())
        elif not _blocked(norm, match):
            yield Span(*match.span())
    for pattern in _SCHEDULED:
        for match in pattern.finditer(norm):
            yield Span(*match.span())


def _blocked(norm: str, match: re.Match[str]) -> bool:
    """True when the time of `match` is the past, a condition, a negation or a policy period."""
    suffix = match.groupdict().get("suffix") or ""
    return _surroundings(norm, match.start(), match.end()).blocked or suffix in _AGO
