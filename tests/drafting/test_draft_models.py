"""Ticket, Reply and Draft: the reply reads naturally and its sections map onto its text."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from drafting import Reply, Ticket, Turn
from drafting.fake import reply_json
from drafting.models import MAX_MESSAGE_CHARS, ModelReply, finish_section
from drafting.parsing import ReplyParseError, ReplyTextStream, parse_reply


def test_sections_join_into_sentences() -> None:
    reply = Reply(
        greeting="张先生，您好",
        soothe="非常理解您的感受",
        apology="非常抱歉。",
        closing="请问还有其他可以帮到您的吗？",
    )
    assert reply.text == "张先生，您好，非常理解您的感受。非常抱歉。请问还有其他可以帮到您的吗？"


def test_a_trailing_comma_becomes_a_full_stop() -> None:
    assert finish_section("我们会尽快处理，") == "我们会尽快处理。"
    assert finish_section("您好", greeting=True) == "您好，"
    assert finish_section("Hello", greeting=True) == "Hello,"


def test_english_sections_are_separated_by_spaces() -> None:
    reply = Reply(greeting="Hello", soothe="I understand how you feel", apology="Sorry for the trouble.")
    assert reply.text == "Hello, I understand how you feel. Sorry for the trouble."


def test_section_spans_cover_each_section_in_the_text() -> None:
    reply = Reply(greeting="您好", soothe="理解您的心情", solution="我马上为您查询")
    text = reply.text
    spans = reply.section_spans()
    assert list(spans) == ["greeting", "soothe", "solution"]
    assert text[spans["soothe"].start : spans["soothe"].end] == "理解您的心情。"
    assert text[spans["greeting"].start : spans["greeting"].end] == "您好，"


def test_empty_sections_are_left_out() -> None:
    assert Reply(soothe="  ", apology="抱歉").text == "抱歉。"
    assert Reply().text == ""


@pytest.mark.parametrize("message", ["", "   \n"])
def test_a_blank_message_is_not_a_ticket(message: str) -> None:
    with pytest.raises(ValidationError):
        Ticket(message=message)


def test_an_overlong_message_is_not_a_ticket() -> None:
    with pytest.raises(ValidationError):
        Ticket(message="啊" * (MAX_MESSAGE_CHARS + 1))


def test_customer_texts_are_history_then_message() -> None:
    ticket = Ticket(
        message="还没好", history=[Turn(role="customer", text="坏了"), Turn(role="agent", text="抱歉")]
    )
    assert ticket.customer_texts() == ["坏了", "还没好"]


def test_parse_reply_tolerates_fences_and_unknown_scenarios() -> None:
    reply = parse_reply("```json\n" + reply_json("投诉", soothe="理解您") + "\n```")
    assert reply.scenario is None and reply.soothe == "理解您"
    assert isinstance(parse_reply(reply_json("complaint", soothe="x")), ModelReply)


def test_parse_reply_accepts_raw_newlines_inside_strings() -> None:
    # seen from the local model: a literal line break inside a section string
    reply = parse_reply('{"scenario": "complaint", "soothe": "理解您\n的心情", "closing": "再见"}')
    assert reply.soothe == "理解您\n的心情"


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ("我不知道", "no JSON object"),
        ('{"soothe": ', "no JSON object"),
        ('{"soothe": 1,}', "invalid JSON"),
        ("[1, 2]", "no JSON object"),
        (reply_json(None), "every section is empty"),
        ('{"soothe": ["a"]}', "soothe"),
    ],
)
def test_parse_reply_explains_what_is_wrong(content: str, error: str) -> None:
    with pytest.raises(ReplyParseError, match=error):
        parse_reply(content)


def test_streamed_text_grows_into_the_final_text() -> None:
    content = reply_json("complaint", greeting="您好", soothe='理解\\u60a8的"心情"', closing="再见")
    stream = ReplyTextStream()
    shown = "".join(stream.feed(content[i : i + 3]) for i in range(0, len(content), 3))
    assert shown == parse_reply(content).text == '您好，理解\\u60a8的"心情"。再见。'
