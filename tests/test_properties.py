"""Property tests: spans always index the original text, and no text crashes a guard."""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

import guards
from guards.phrases import _UNLESS_WINDOW, _Unless
from guards.policy import PhraseRule
from guards.text import Document, fold, normalize_pattern

EXAMPLES = settings(max_examples=200, deadline=None)

# Pieces that make guards fire, in Simplified, Traditional and full-width forms.
TRIGGERS = [
    "不知道",
    "不清楚",
    "没办法",
    "這是規定",
    "我們也沒有辦法",
    "自己看說明",
    "稍等",
    "让您久等了",
    "保证今天解决",
    "马上到账",
    "全额赔偿",
    "两个工作日内",
    "半小时内",
    "24小时内",
    "是您自己操作不当",
    # Phrases whose matches start before the strings they are found by.
    "这个我们做不了",
    "您自己看说明吧",
    "给您全额赔偿",
    "我已经说过很多遍了",
    "很抱歉让您久等了",
    "我们直接退款给您",
    "我们系统没权限",
    "这不是我们的问题",
    "您赶紧把照片发过来",
    "呵呵",
    "！！",
    "？？",
    "!",
    "PLEASE WAIT NOW",
    "iPhone USB APP",
    "13812345678",
    "１３８１２３４５６７８",
    "138 1234 5678",
    "+86-138-1234-5678",
    "11010519491231002X",
    "6222021234567890128",
    "zhang@qq.com",
    "ｚｈａｎｇ＠ｑｑ．ｃｏｍ",
    "北京市朝阳区建国路88号",
    "订单号：",
    "您说：",
    "“",
    "”",
    "「",
    "」",
    '"',
    "，",
    "。",
    "\n",
]
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\ufe0f", "\u202e"]
HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
WIDE = st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E)
TRADITIONAL = st.sampled_from("這個們沒辦說規後來頭髮瞭解為查詢時間處理運單號碼發貨質檢愛與")

pieces = st.one_of(
    st.text(max_size=8),
    st.text(alphabet=st.one_of(HAN, WIDE, TRADITIONAL), max_size=8),
    st.sampled_from(TRIGGERS),
    st.sampled_from(INVISIBLE),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),  # half a pair, as JSON allows
)
replies = st.lists(pieces, max_size=14).map("".join)
scenarios = st.sampled_from([None, *guards.SCENARIOS])
channels = st.sampled_from(guards.CHANNELS)
customers = st.one_of(st.none(), replies)


def assert_spans_index_the_original(text: str, report: guards.GuardReport) -> None:
    for v in report.violations:
        assert 0 <= v.start <= v.end <= len(text), v
        assert text[v.start : v.end] == v.match, v
        assert v.category in guards.CATEGORIES
        assert v.severity in ("block", "warn")
    starts = [v.start for v in report.violations]
    assert starts == sorted(starts)
    assert report.ok == (not any(v.severity == "block" for v in report.violations))


@EXAMPLES
@given(text=st.text(), scenario=scenarios, channel=channels)
def test_arbitrary_unicode_never_crashes_and_spans_index_it(
    text: str, scenario: guards.Scenario | None, channel: guards.Channel
) -> None:
    report = guards.check(text, scenario=scenario, channel=channel)
    assert_spans_index_the_original(text, report)


@EXAMPLES
@given(text=replies, scenario=scenarios, channel=channels, customer=customers)
def test_spliced_replies_spans_index_the_original(
    text: str, scenario: guards.Scenario | None, channel: guards.Channel, customer: str | None
) -> None:
    report = guards.check(text, scenario=scenario, channel=channel, customer=customer)
    assert_spans_index_the_original(text, report)


@EXAMPLES
@given(text=replies)
def test_normalised_text_keeps_one_character_per_visible_character(text: str) -> None:
    doc = Document.of(text)
    visible = len(doc.offsets) if doc.offsets is not None else len(text)
    assert len(doc.norm) == visible
    assert len(fold(text)) == len(text)
    for start in range(len(doc.norm) + 1):
        span = doc.original_span(start, len(doc.norm))
        assert 0 <= span.start <= span.end <= len(text)


@EXAMPLES
@given(
    before=replies,
    after=replies,
    invisible=st.lists(st.sampled_from(INVISIBLE), min_size=1, max_size=3).map("".join),
)
def test_zero_width_characters_do_not_hide_a_phrase(before: str, after: str, invisible: str) -> None:
    # Line breaks keep the surrounding text from quoting or excusing the phrase.
    hidden = f"{before}。\n我们不{invisible}知道。\n{after}"
    found = [v for v in guards.check(hidden).violations if v.rule_id == "fp.dont_know"]
    assert any(v.match == f"不{invisible}知道" for v in found)


@EXAMPLES
@given(text=replies, scenario=scenarios, channel=channels)
def test_traditional_and_full_width_are_checked_like_simplified(
    text: str, scenario: guards.Scenario | None, channel: guards.Channel
) -> None:
    """Folding first gives the same findings (by rule and position) as folding inside the check."""
    folded = fold(text)
    original = guards.check(text, scenario=scenario, channel=channel)
    simplified = guards.check(folded, scenario=scenario, channel=channel)
    assert [(v.rule_id, v.start, v.end) for v in original.violations] == [
        (v.rule_id, v.start, v.end) for v in simplified.violations
    ]


@EXAMPLES
@given(text=replies, scenario=scenarios, channel=channels)
def test_skipping_to_required_strings_finds_what_trying_every_position_finds(
    text: str, scenario: guards.Scenario | None, channel: guards.Channel
) -> None:
    """Phrase matching jumps ahead to the required strings; it must not lose or add a finding."""
    skipping = guards.check(text, scenario=scenario, channel=channel)
    with _search_from_every_position():
        every_position = guards.check(text, scenario=scenario, channel=channel)
    assert skipping.violations == every_position.violations


def _search_from_every_position() -> AbstractContextManager[object]:
    """Phrase matching without the jump: each search resumes right where the last one ended."""
    return mock.patch("guards.phrases.search_start", lambda positions, reach, resume: resume)


POLITE = [
    "不知道您是否方便",
    "如果您暂时没办法提供",
    "我们不能保证",
    "一定会尽力",
    "无法全额赔偿",
    "看不清楚",
    "请稍等两分钟",
]
UNLESS_RULES = [
    rule
    for rule in (
        *guards.default_policy().forbidden_phrase,
        *guards.default_policy().unkeepable_promise.phrases,
    )
    if rule.unless
]


@EXAMPLES
@given(
    text=st.lists(st.one_of(pieces, st.sampled_from(POLITE)), max_size=10).map("".join),
    rule=st.sampled_from(UNLESS_RULES),
    data=st.data(),
)
def test_an_unless_list_cancels_exactly_what_finditer_over_its_window_finds(
    text: str, rule: PhraseRule, data: st.DataObject
) -> None:
    """The skip-ahead search (phrases._Unless) gives the answer of the plain regex's finditer."""
    norm = Document.of(text).norm
    start = data.draw(st.integers(0, len(norm)))
    end = data.draw(st.integers(start, len(norm)))
    unless = _Unless.of(rule.unless)
    assert unless is not None
    plain = re.compile("|".join(normalize_pattern(u) for u in rule.unless))
    left, right = max(0, start - _UNLESS_WINDOW), min(len(norm), end + _UNLESS_WINDOW)
    expected = any(m.start() < end and m.end() > start for m in plain.finditer(norm, left, right))
    assert unless.covers(norm, start, end) == expected
