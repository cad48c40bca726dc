"""The invented-facts check of model drafts: facts of the reply come from the ticket or the policy."""

from __future__ import annotations

import pytest
from draft_helpers import good_reply

from drafting import Drafter, Ticket, Turn
from drafting.fake import FakeChatClient
from drafting.invented import InventedFactsGuard

TICKET = Ticket(
    message="订单A20241123001的手机屏幕碎了，运费我付了12元，怎么处理？",
    history=[Turn(role="agent", text="麻烦您周二前把照片发给我们")],
    facts={"商品": "华为Mate60"},
)


def invented(text: str, ticket: Ticket = TICKET) -> list[str]:
    checker = Drafter(FakeChatClient([good_reply()])).draft_checker(ticket)
    return [
        v.match for v in checker.check(text, "after_sales").violations if v.rule_id == "da.invented_facts"
    ]


@pytest.mark.parametrize(
    "text",
    [
        "您好，订单A20241123001的手机屏幕碎了，我们会核实12元运费。",  # the message's own facts
        "您好，您的华为Mate60我们周二会跟进。",  # order facts and the conversation
        "您好，我们会在24小时内给您一个答复。",  # the policy's deadline, ordinary counting words
    ],
)
def test_facts_the_ticket_or_the_policy_gave_are_not_invented(text: str) -> None:
    assert invented(text) == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("您好，您的耳机左耳没声音，我们会处理。", ["耳机"]),  # another customer's product
        ("您好，订单B7654321已登记。", ["B7654321"]),
        ("您好，我们退您50元，明天处理。", ["50", "明天"]),
        ("您好，您的【商品】出了问题，我们会核实。", ["【商品】"]),  # the example's placeholder
    ],
)
def test_facts_nobody_gave_are_found_where_they_are(text: str, found: list[str]) -> None:
    assert invented(text) == found


def test_latin_names_count_for_chinese_customers_only() -> None:
    english = Ticket(message="My order has not arrived yet, where is it?")
    assert invented("Hello, we are sorry your parcel is late and will check it.", english) == []
    assert invented("您好，您的AirPods我们会核实。") == ["AirPods"]


def test_a_draft_naming_an_invented_product_is_asked_again_with_the_finding() -> None:
    copied = good_reply(soothe="耳机坏了一定很着急")
    client = FakeChatClient([copied, good_reply()])
    draft = Drafter(client).draft(Ticket(message="我的订单一直没发货，你们怎么回事？"))
    assert [a.passed for a in draft.attempts] == [False, True]
    assert "“耳机”" in client.requests[1].messages[-1].content


def test_composed_replies_and_rewrites_are_not_checked_for_invented_facts() -> None:
    drafter = Drafter(FakeChatClient([good_reply()]))
    checker = drafter.rewrite_checker("您的订单已发货", customer="耳机什么时候到？")
    assert not any(isinstance(g, InventedFactsGuard) for g in checker.job_guards)
    assert any(isinstance(g, InventedFactsGuard) for g in drafter.draft_checker(TICKET).job_guards)
