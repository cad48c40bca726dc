"""The context layer on its own: clauses, whose words, and the facts that cancel a match."""

from __future__ import annotations

import pytest

from guards.clauses import (
    CONTEXT_FACTS,
    ContextDecision,
    ContextFact,
    clause_asks,
    clause_span,
    decide,
    question_kind,
    quoted_spans,
    sentence_span,
)


def _decide(text: str, match: str, facts: tuple[ContextFact, ...] = CONTEXT_FACTS) -> ContextDecision | None:
    start = text.index(match)
    return decide(text, start, start + len(match), facts)


def test_clause_and_sentence_spans_stop_at_their_marks() -> None:
    text = "您好，我们会处理。请您放心！"
    start = text.index("处理")
    assert text[slice(*clause_span(text, start, start + 2))] == "我们会处理"
    assert text[slice(*sentence_span(text, start, start + 2))] == "您好，我们会处理"


def test_quoted_and_reported_speech_are_not_the_agents_words() -> None:
    text = "您说“没办法退款”，您刚才说不知道订单号，您说的问题我们会处理"
    spans = [text[s:e] for s, e in quoted_spans(text)]
    assert "“没办法退款”" in spans
    assert "您刚才说不知道订单号" in spans
    assert not any("我们会处理" in span for span in spans)  # 您说的问题 is a noun phrase


def test_a_request_for_words_to_come_reports_none() -> None:
    text = "您告诉我一下车牌号和加装的日期，麻烦您说一下订单号，您问他们吧"
    assert quoted_spans(text) == []


def test_you_mean_reports_the_customers_words() -> None:
    text = "您是说顾问告诉您可以全额退，对吗？"
    assert [text[s:e] for s, e in quoted_spans(text)] == ["您是说顾问告诉您可以全额退"]


# (text, match, the fact that cancels it, the cue shown) — None: nothing in the context cancels it.
DECISIONS = [
    ("这个颜色不一定能补到货", "能补到货", "negated", "不一定"),
    ("我们无法向您保证明天送到", "保证明天送到", "negated", "无法向您保证"),
    ("We cannot guarantee delivery by Friday", "guarantee delivery", "negated", "cannot guarantee"),
    ("预计明天就能到账", "明天就能到账", "hedged", "预计"),
    ("我们可以为您全额退款，具体以审核结果为准", "全额退款", "hedged", "以审核结果为准"),
    ("能否当天修好要看具体故障", "当天修好", "hedged", "能否"),
    ("已为您办理全额退款", "全额退款", "past", "已"),
    ("昨天已经给您补偿过运费", "补偿", "past", "已经"),
    ("如果您不知道订单号也没关系", "不知道", "condition", "如果"),
    ("以免您操作错误导致损坏", "操作错误", "condition", "以免"),
    ("您需要咨询售后的话可以告诉我", "咨询售后", "condition", "的话"),
    ("麻烦您自己查看一下物流", "自己查看", "request", "麻烦"),
    # What is not cancelled: a new commitment after a past fact, a guarantee in its own clause.
    ("我已经跟仓库说了保证明天到", "保证明天到", None, None),
    ("我们会补偿您的运费", "补偿", None, None),
    ("不用担心，保证明天送到", "保证明天送到", None, None),
    ("拍之前看下尺码表，穿着肯定合身", "肯定合身", None, None),
    ("如果您有疑问，这是您自己的问题", "您自己的问题", None, None),  # the condition covers its own clause
]


@pytest.mark.parametrize(("text", "match", "fact", "cue"), DECISIONS)
def test_context_facts_before_a_match(text: str, match: str, fact: str | None, cue: str | None) -> None:
    decision = _decide(text, match, ("negated", "hedged", "past", "condition", "request"))
    found = (decision.fact, decision.cue) if decision is not None else (None, None)
    assert found == (fact, cue)


def test_only_the_facts_a_rule_names_are_decided() -> None:
    assert _decide("预计明天就能到账", "明天就能到账", ("negated", "past")) is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("请问您的订单号是多少？", "information"),
        ("您方便提供一下照片吗", "information"),
        ("说明书第3页不是写了吗？", "rhetorical"),
        ("难道我们会故意不发货？", "rhetorical"),
        ("哪有这么快就坏的？", "rhetorical"),
        ("我们会在2个工作日内回复您。", "statement"),
    ],
)
def test_question_kind_of_the_sentence(text: str, kind: str) -> None:
    assert question_kind(text, 0, 1) == kind


def test_a_decision_explains_itself_in_one_line() -> None:
    decision = _decide("这个不一定能改成功", "能改成功")
    assert decision is not None
    assert decision.reason("不算承诺") == "否定：“不一定” — 不算承诺"


@pytest.mark.parametrize(
    ("text", "target", "asks"),
    [
        ("明天上午方便吗？", "明天上午", True),
        ("哪有当天就到的?", "当天", True),
        ("三天内给您回复，您看这样好吗？", "三天内", False),
        ("三天内给您回复。", "三天内", False),
    ],
)
def test_clause_asks_only_when_its_own_clause_ends_with_a_question_mark(
    text: str, target: str, asks: bool
) -> None:
    start = text.index(target)
    assert clause_asks(text, start, start + len(target)) is asks
