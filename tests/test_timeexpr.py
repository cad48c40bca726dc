"""Time expressions: numerals, units, ranges and relative days; past mentions are no commitments."""

from __future__ import annotations

from typing import NamedTuple

import pytest

from guards.text import fold
from guards.timeexpr import TimeKind, find_time_expressions, parse_number


class Found(NamedTuple):
    """One expected time expression: its text, the promised bound in hours, and its kind."""

    text: str
    hours: float
    kind: TimeKind = "duration"


def found_in(text: str) -> list[Found]:
    """The time expressions found in `text` (normalised as the guards see it)."""
    norm = fold(text)
    result = []
    for expr in find_time_expressions(norm):
        assert norm[expr.start : expr.end] == expr.text
        result.append(Found(expr.text, round(expr.hours, 4), expr.kind))
    return result


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24", 24.0),
        ("3.5", 3.5),
        ("三", 3.0),
        ("两", 2.0),
        ("十", 10.0),
        ("十五", 15.0),
        ("二十", 20.0),
        ("二十四", 24.0),
        ("四十八", 48.0),
        ("一百二十", 120.0),
        ("零", 0.0),
        ("", None),
        ("三x", None),
    ],
)
def test_parse_number(text: str, expected: float | None) -> None:
    assert parse_number(text) == expected


COMMITMENTS = [
    # Arabic and Chinese numerals, every unit of the documents.
    pytest.param("我们将在2个工作日内联系您反馈处理进展", [Found("2个工作日内", 48)], id="003-2wd"),
    pytest.param("我们将在两个工作日内联系您", [Found("两个工作日内", 48)], id="liang-ge-gongzuori"),
    pytest.param("工程师将在30分钟内与您联系", [Found("30分钟内", 0.5)], id="003-30min"),
    pytest.param("我们会在半小时内给您回复", [Found("半小时内", 0.5)], id="ban-xiaoshi"),
    pytest.param("半个小时内联系您", [Found("半个小时内", 0.5)], id="ban-ge-xiaoshi"),
    pytest.param("一个半小时内联系您", [Found("一个半小时内", 1.5)], id="yi-ge-ban-xiaoshi"),
    pytest.param("两天半内给您答复", [Found("两天半内", 60)], id="liang-tian-ban"),
    pytest.param("将派专人跟进,并在三天内给您回复", [Found("三天内", 72)], id="002-san-tian"),
    pytest.param("我们二十四小时内给您答复", [Found("二十四小时内", 24)], id="ershisi-xiaoshi"),
    pytest.param("预计24小时内给您明确答复", [Found("24小时内", 24)], id="003-24h"),
    pytest.param("预计1小时内给您答复", [Found("1小时内", 1)], id="003-1h"),
    pytest.param("十分钟内给您回电", [Found("十分钟内", round(10 / 60, 4))], id="shi-fenzhong"),
    pytest.param("48h内发货", [Found("48h内", 48)], id="ascii-h"),
    pytest.param("３天内给您回复", [Found("3天内", 72)], id="full-width-digit"),
    pytest.param("我們將在兩個工作日內聯繫您", [Found("两个工作日内", 48)], id="traditional"),
    pytest.param("一个月内给您答复", [Found("一个月内", 720)], id="yi-ge-yue"),
    # Ranges promise their upper bound.
    pytest.param("预计1-3个工作日内完成", [Found("1-3个工作日内", 72)], id="003-range"),
    pytest.param("1~2天内给您回复", [Found("1~2天内", 48)], id="range-tilde"),
    pytest.param("一至三个工作日内处理完成", [Found("一至三个工作日内", 72)], id="range-zhi"),
    pytest.param("一两天内给您回复", [Found("一两天内", 48)], id="yi-liang-tian"),
    pytest.param("两三天内给您答复", [Found("两三天内", 72)], id="liang-san-tian"),
    # Commitments without 内: a lead-in (一般, 最迟, 预计) or an action right after.
    pytest.param(
        "亲,一般24小时发货,最迟48小时发货", [Found("24小时", 24), Found("48小时", 48)], id="002-shipping"
    ),
    pytest.param("3天后给您回复", [Found("3天后", 72)], id="hou"),
    pytest.param("我们一定在三天内给您答复", [Found("三天内", 72)], id="yiding-zai"),
    # Relative days, with a time of day or a deadline suffix.
    pytest.param("我们今天给您回复", [Found("今天", 24, "relative_day")], id="jintian"),
    pytest.param("當天發貨", [Found("当天", 24, "relative_day")], id="dangtian-traditional"),
    pytest.param("预计明天发货", [Found("明天", 48, "relative_day")], id="003-mingtian"),
    pytest.param(
        "明天上午10点前给您回复", [Found("明天上午10点前", 48, "relative_day")], id="mingtian-clock"
    ),
    pytest.param("今天之内给您答复", [Found("今天之内", 24, "relative_day")], id="jintian-zhinei"),
    pytest.param("保证今天解决", [Found("今天", 24, "relative_day")], id="baozheng-jintian"),
    # Immediate words are always reported (the phrase rules judge what follows).
    pytest.param("我马上为您查询", [Found("马上", 0, "immediate")], id="mashang"),
    pytest.param(
        "立即为您记录，立刻转交", [Found("立即", 0, "immediate"), Found("立刻", 0, "immediate")], id="liji"
    ),
]


@pytest.mark.parametrize(("text", "expected"), COMMITMENTS)
def test_commitments_are_found(text: str, expected: list[Found]) -> None:
    assert found_in(text) == expected


NOT_COMMITMENTS = [
    pytest.param("您已经等了3天", id="waited-3-days"),
    pytest.param("您已经等待了两个小时", id="waited-2-hours"),
    pytest.param("您3天前下的订单", id="3-days-ago"),
    pytest.param("这个问题两天了还没解决", id="two-days-already"),
    pytest.param("我们店铺支持7天无理由退货的哦", id="002-7-days-no-reason"),
    pytest.param("签收后7天内无理由退换", id="7-days-within-no-reason"),
    pytest.param("签收后7天内可以申请无理由退货", id="customer-window"),
    pytest.param("优惠券3天内有效", id="validity-period"),
    pytest.param("如果3天内没有收到，请联系我们", id="condition-ruguo"),
    pytest.param("如24小时内未收到短信，请再联系我们", id="condition-ru"),
    pytest.param("我们不能保证今天解决", id="negated-guarantee"),
    pytest.param("我们无法在今天内处理完", id="negated-cannot"),
    pytest.param("不一定明天能到", id="not-necessarily"),
    pytest.param("超过48小时未发货的订单", id="threshold"),
    pytest.param("5月3日给您回复", id="date-not-duration"),
    pytest.param("由于今天在线咨询的客户比较多", id="002-today-mention"),
    pytest.param("今天是优惠价的截止日,明天你就买不到这种折扣价了", id="002-today-tomorrow"),
    pytest.param("我们提供24小时在线服务", id="24h-service"),
    pytest.param("这两天有点忙", id="these-days"),
    pytest.param("我们会尽快为您处理", id="vague"),
    pytest.param("单次充满续航约8小时", id="battery-life-about"),
    pytest.param("平均提分在1分左右", id="fen-is-a-score-not-minutes"),
    pytest.param("十分抱歉给您添麻烦了", id="shi-fen-is-very"),
    pytest.param("送货前一天会有短信通知您", id="the-day-before-another-event"),
    pytest.param("早一天寄回就早一天退款", id="comparison"),
    pytest.param("", id="empty"),
]


@pytest.mark.parametrize("text", NOT_COMMITMENTS)
def test_mentions_are_not_commitments(text: str) -> None:
    assert [f for f in found_in(text) if f.kind != "immediate"] == []


def test_past_and_future_in_one_reply() -> None:
    text = "您已经等了3天，非常抱歉，我们将在1个工作日内联系您。"
    assert found_in(text) == [Found("1个工作日内", 24)]


def test_spans_index_the_normalised_text_with_offsets() -> None:
    text = "非常抱歉。预计1-3个工作日内完成，今天给您答复。"
    exprs = find_time_expressions(fold(text))
    assert [(e.start, e.end) for e in exprs] == [(7, 15), (18, 20)]


@pytest.mark.parametrize(
    "text",
    [
        "我马上为您查询，预计明天给您答复，立即为您记录，3个工作日内完成。",
        "现在就为您处理，两天内回复您；立马登记，今天发货。",
        "马上三天内为您处理",
    ],
)
def test_deadlines_only_are_the_same_expressions_without_the_immediate_words(text: str) -> None:
    norm = fold(text)
    everything = find_time_expressions(norm)
    assert any(e.kind == "immediate" for e in everything)
    assert find_time_expressions(norm, immediate=False) == [e for e in everything if e.kind != "immediate"]
