"""Replies written to slip past the guards are still judged (issue 18, item 6)."""

from __future__ import annotations

import pytest

import guards


@pytest.mark.parametrize(
    ("text", "rule_id", "match"),
    [
        ("保 证 今 天 到 账", "up.absolute_guarantee", "保 证 今 天 到 账"),
        ("这个我 不 知 道。", "fp.dont_know", "不 知 道"),
        ("保\u3000证今天到账", "up.absolute_guarantee", "保\u3000证今天到账"),
        ("您的手机一三八一二三四五六七八已登记。", "pv.mobile", "一三八一二三四五六七八"),
        ("号码幺三九零零零零一二三四。", "pv.mobile", "幺三九零零零零一二三四"),
        ("货款会原路全额退回。", "up.compensation", "全额退回"),
    ],
)
def test_spacing_numerals_and_other_words_do_not_hide_a_finding(text: str, rule_id: str, match: str) -> None:
    found = [(v.rule_id, v.match) for v in guards.check(text).violations]
    assert (rule_id, match) in found, found


@pytest.mark.parametrize(
    "text",
    [
        "一两天内给您回复。",  # a short run of numerals is a word, not a number
        "您好 请问有什么可以帮您",  # a space between two words changes no finding
        "iPhone 15 Pro Max 有现货。",
    ],
)
def test_normal_text_is_not_flagged_by_the_normalisation(text: str) -> None:
    assert [v for v in guards.check(text).violations if v.category != "tone"] == []


def test_spans_of_spaced_text_index_the_original() -> None:
    text = "亲，保 证 今 天 到 账哦"
    for violation in guards.check(text).violations:
        assert text[violation.start : violation.end] == violation.match


def test_explain_reports_the_matches_that_are_no_finding_and_why() -> None:
    report = guards.check("这个颜色不一定能补到货。您说“不知道”是什么意思", explain=True)
    assert report.violations == ()
    reasons = {s.rule_id: s.reason for s in report.suppressed}
    # The context layer names the fact and the words that show it (issue 15, item 7).
    assert reasons["up.absolute_guarantee"] == "否定：“不一定” — 不算承诺"
    assert "引用" in reasons["fp.dont_know"]
    assert guards.check("这个颜色不一定能补到货。").suppressed == ()
