"""Property tests: spans always index the original text, and no text crashes a guard."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import guards
from guards.text import Document, fold

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


UNFILTERED = guards.compile_policy(guards.default_policy(), prefilter=False)


@EXAMPLES
@given(text=replies, scenario=scenarios, channel=channels, customer=customers)
def test_the_prefilter_changes_no_finding(
    text: str, scenario: guards.Scenario | None, channel: guards.Channel, customer: str | None
) -> None:
    """The Hyperscan prefilter only skips rules that cannot match: every rule searched finds the same."""
    prefiltered = guards.check(text, scenario=scenario, channel=channel, customer=customer)
    every_rule = guards.check(text, scenario=scenario, channel=channel, customer=customer, policy=UNFILTERED)
    assert prefiltered.violations == every_rule.violations


def test_one_compiled_policy_checks_replies_in_many_threads_at_once() -> None:
    """The prefilter's scratch space is per thread (batch and the agent page check in parallel)."""
    from concurrent.futures import ThreadPoolExecutor

    texts = [f"这个我也不知道，您自己看说明吧，保证今天解决，第{i}号" for i in range(400)]
    alone = [guards.check(t, scenario="complaint").violations for t in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        together = list(pool.map(lambda t: guards.check(t, scenario="complaint").violations, texts))
    assert together == alone
