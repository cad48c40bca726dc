"""guards.text: normalisation keeps one character per character, spans map back, quotes are found."""

from __future__ import annotations

import pytest

import guards
from guards.clauses import quoted_spans
from guards.text import Document, fold, normalize_pattern, to_simplified


def norm_span(doc: Document, phrase: str) -> tuple[int, int]:
    """The span of `phrase` in the document's normalised text."""
    start = doc.norm.index(phrase)
    return start, start + len(phrase)


@pytest.mark.parametrize(
    ("traditional", "simplified"),
    [
        ("這是規定", "这是规定"),
        ("我們也沒有辦法", "我们也没有办法"),
        ("後來的頭髮", "后来的头发"),
        ("瞭解您的需求", "了解您的需求"),  # a phrase-level conversion (瞭 alone stays 瞭)
        ("乾淨", "干净"),
        ("為您查詢一下", "为您查询一下"),
    ],
)
def test_traditional_is_converted_one_to_one(traditional: str, simplified: str) -> None:
    assert to_simplified(traditional) == simplified
    assert len(fold(traditional)) == len(traditional)


def test_simplified_and_non_chinese_text_is_unchanged() -> None:
    for text in ["我为您查询一下", "ABC 123 !?", "", "emoji 😀 混合 text"]:
        assert to_simplified(text) == text


def test_a_lone_surrogate_does_not_stop_the_conversion() -> None:
    # JSON can carry half a surrogate pair ("\\ud800"); OpenCC cannot read it.
    assert to_simplified("這是規定\ud800後來") == "这是规定\ud800后来"
    assert guards.check("這是規定\ud800").violations[0].rule_id == "fp.its_the_rule"


def test_conversion_that_would_change_length_falls_back_per_character(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = guards.text._converter()

    class PhraseLengthChangingConverter:
        """Like OpenCC, but a (pretend) phrase rule turns 再說 into three characters."""

        def convert(self, text: str) -> str:
            return str(real.convert(text)).replace("再说", "再说了")

    monkeypatch.setattr(guards.text, "_converter", PhraseLengthChangingConverter)
    guards.text._single_char_table.cache_clear()
    try:
        assert to_simplified("以後再說，這個") == "以后再说，这个"
    finally:
        guards.text._single_char_table.cache_clear()


def test_full_width_letters_digits_and_number_symbols_are_folded() -> None:
    assert fold("ＡＢＣ１２３ｘｙｚ＠＋－．＿％＃\u3000") == "ABC123xyz@+-._%# "


def test_sentence_punctuation_is_not_folded() -> None:
    assert fold("您好，请问？谢谢！：；") == "您好，请问？谢谢！：；"


def test_folded_symbols_stay_literal_in_patterns() -> None:
    import re

    pattern = normalize_pattern("ａ＋ｂ．ｃ")
    assert re.fullmatch(pattern, "a+b.c")
    assert not re.fullmatch(pattern, "aaabxc")
    assert normalize_pattern("這是規定") == "这是规定"


@pytest.mark.parametrize(
    ("text", "phrase", "original"),
    [
        ("亲，这个我也不\u200b知\u200d道。", "不知道", "不\u200b知\u200d道"),
        ("\ufeff\u200b不知道", "不知道", "不知道"),
        ("我們也沒\u2060有辦法", "我们也没有办法", "我們也沒\u2060有辦法"),
        ("手機１３８\u200b１２３４５６７８", "13812345678", "１３８\u200b１２３４５６７８"),
        ("這是規定", "这是规定", "這是規定"),
        ("ＡＢＣ不知道", "ABC不知道", "ＡＢＣ不知道"),
        ("不\ufe00知道", "不知道", "不\ufe00知道"),
    ],
)
def test_spans_map_back_to_the_original(text: str, phrase: str, original: str) -> None:
    doc = Document.of(text)
    start, end = doc.original_span(*norm_span(doc, phrase))
    assert text[start:end] == original


def test_offsets_only_kept_when_needed() -> None:
    assert Document.of("這是規定").offsets is None
    assert Document.of("不\u200b知道").offsets == [0, 2, 3]


def test_span_past_the_end_maps_to_the_end() -> None:
    doc = Document.of("ab\u200b")
    assert doc.original_span(2, 2) == (3, 3)


def test_guard_match_is_the_original_text_for_hidden_phrases() -> None:
    text = "這個我也不\u200b知道，您自己看說明吧"
    report = guards.check(text)
    assert any(v.rule_id == "fp.dont_know" for v in report.violations)
    for v in report.violations:
        assert text[v.start : v.end] == v.match


def quoted_texts(text: str, customer: str | None = None) -> list[str]:
    """The normalised text of every quoted span."""
    doc = Document.of(text, customer)
    return [doc.norm[s:e] for s, e in doc.quoted]


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("您说的“没办法”是指哪一步？", "“没办法”"),
        ("客服回复「不知道」让您不满", "「不知道」"),
        ("他说『这是规定』", "『这是规定』"),
        ('您说"不知道"是什么意思', '"不知道"'),
        ("您说：我不知道怎么操作，我们马上为您查询", "您说：我不知道怎么操作"),
        ("您提到物流没办法送达，我们马上核实", "您提到物流没办法送达"),
        ("客户反映快递员说没办法送货上门，我们联系快递", "客户反映快递员说没办法送货上门"),
        ("之前的客服说过没办法退款，非常抱歉", "之前的客服说过没办法退款"),
        ("您刚才问能不能加急，我们可以安排", "您刚才问能不能加急"),
    ],
)
def test_quoted_and_reported_speech(text: str, quoted: str) -> None:
    assert quoted in quoted_texts(text)


@pytest.mark.parametrize(
    "text",
    [
        "您反映的问题我们没办法处理",
        "您说过的问题我们没办法处理",
        "您说得对，我们没办法",
        "您问的问题我们不知道",
        "“没有闭合的引号 我们没办法",
        "我们没办法处理",
        "请问您还有什么问题",
    ],
)
def test_not_quoted(text: str) -> None:
    doc = Document.of(text)
    if "没办法" in doc.norm:
        assert not doc.is_quoted(*norm_span(doc, "没办法"))
    if "不知道" in doc.norm:
        assert not doc.is_quoted(*norm_span(doc, "不知道"))
    assert quoted_texts(text) == []


def test_agent_phrase_after_customer_noun_phrase_is_a_violation() -> None:
    report = guards.check("您反映的问题我们没办法处理。")
    assert "fp.no_way" in [v.rule_id for v in report.violations]


def test_quote_does_not_cross_a_line_break() -> None:
    assert quoted_spans("“没办法\n我们”") == []


def test_echo_of_the_customer_message() -> None:
    customer = "你们客服说没办法退款，太过分了"
    doc = Document.of("关于您说的客服说没办法退款这件事，我们马上为您核实", customer)
    assert doc.is_quoted(*norm_span(doc, "没办法"))
    own = Document.of("这个我们没办法退款", customer)
    assert not own.is_quoted(*norm_span(own, "没办法"))  # match alone is not an echo
    no_customer = Document.of("客服说没办法退款这件事")
    assert not no_customer.is_quoted(*norm_span(no_customer, "没办法"))


def test_echo_sees_through_traditional_and_zero_width_in_the_customer_message() -> None:
    doc = Document.of("您说的客服说没办法退款", "客服說沒\u200b辦法退款")
    assert doc.customer == "客服说没办法退款"
    assert doc.is_quoted(*norm_span(doc, "没办法"))


def test_echo_at_the_start_of_the_reply_needs_only_the_context_that_exists() -> None:
    doc = Document.of("没办法退款的事我们马上核实", "客服说没办法退款")
    assert doc.is_quoted(*norm_span(doc, "没办法"))
