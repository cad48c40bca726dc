"""Prompts are rendered from the policy: static system prompt first, the ticket last."""

from __future__ import annotations

import jinja2
import pytest

import guards
from drafting import Ticket
from drafting.prompting import (
    MAX_FEEDBACK_FINDINGS,
    Prompts,
    phrase_advice,
    render,
    reply_schema,
)
from drafting.tones import get_tone, tone_names

POLICY = guards.default_policy()


def test_the_advice_comes_from_the_policy() -> None:
    changed = [
        rule.model_copy(update={"suggestion": "我来帮您核实一下"}) if rule.id == "fp.dont_know" else rule
        for rule in POLICY.forbidden_phrase
    ]
    policy = POLICY.model_copy(update={"forbidden_phrase": changed})
    system = Prompts(policy).system
    assert "用“我来帮您核实一下”代替“不知道”" in system
    assert "用“我为您查询一下”代替“不知道”" in Prompts(POLICY).system


def test_every_blocking_forbidden_phrase_with_a_fix_is_advised() -> None:
    system = Prompts(POLICY).system
    for rule in POLICY.forbidden_phrase:
        if rule.severity == "block" and rule.suggestion:
            assert f"用“{rule.suggestion}”代替" in system, rule.id


def test_no_rule_text_the_model_could_copy_is_in_the_prompt() -> None:
    system = Prompts(POLICY).system
    for word in ("不得", "禁止", "严禁"):
        assert word not in system
    for rule in POLICY.forbidden_phrase:
        assert rule.message not in system


def test_the_commitment_phrase_comes_from_the_policy() -> None:
    prompts = Prompts(POLICY)
    message = prompts.draft(Ticket(message="投诉", scenario="complaint"))
    phrase = next(
        c.phrase for c in POLICY.unkeepable_promise.commitments if c.id == "up.deadline.complaint_followup"
    )
    assert f"时限说法：{phrase}" in message
    assert "我们将在24小时内由专员为您详细解答" in prompts.draft(Ticket(message="你好", channel="email"))
    assert prompts.example.reply.commitment == phrase


def test_the_ticket_comes_last_and_only_in_the_user_message() -> None:
    prompts = Prompts(POLICY)
    ticket = Ticket(message="订单XK-778899没到", address_as="李女士", facts={"商品": "电饭煲"})
    message = prompts.draft(ticket)
    assert message.endswith("客户消息：\n订单XK-778899没到")
    assert "李女士" in message and "电饭煲" in message
    assert "XK-778899" not in prompts.system and "李女士" not in prompts.system


def test_the_worked_example_passes_every_guard() -> None:
    example = Prompts(POLICY).example
    report = guards.check(
        example.reply.text,
        scenario=example.scenario,
        customer=example.customer,
        draft=guards.DraftInputs(),
    )
    assert report.violations == ()


def test_templates_refuse_missing_values() -> None:
    with pytest.raises(jinja2.UndefinedError):
        render("draft.j2", channel_label="在线")


def test_feedback_names_span_message_and_fix() -> None:
    report = guards.check("这个我不知道。", scenario="consult")
    feedback = Prompts(POLICY).feedback(report.violations)
    assert "“不知道”" in feedback and "我为您查询一下" in feedback
    assert all(v.message in feedback for v in report.blocking)


def test_feedback_lists_each_finding_once_and_caps_the_list() -> None:
    repeated = guards.check("我不知道。我不知道。我不知道。", scenario="consult").blocking
    assert len(repeated) == 3
    assert Prompts(POLICY).feedback(repeated).count("“不知道”") == 1

    many = "".join(f"第{n}件我不知道。" for n in range(MAX_FEEDBACK_FINDINGS + 3))
    found = guards.check(many, scenario="consult").blocking
    distinct = [v._replace(match=f"{v.match}{n}") for n, v in enumerate(found)]
    feedback = Prompts(POLICY).feedback(distinct)
    assert feedback.count("- “不知道") == MAX_FEEDBACK_FINDINGS
    assert "另有3处同类问题" in feedback


def test_every_advice_phrase_is_flagged_by_the_rule_it_comes_from() -> None:
    for advice in phrase_advice(POLICY):
        for phrase in advice.instead_of:
            assert not guards.check(phrase).ok, phrase


def test_advice_is_grouped_by_suggestion() -> None:
    uses = [a.use for a in phrase_advice(POLICY)]
    assert len(uses) == len(set(uses))


def test_the_schema_asks_for_the_scenario_first_and_every_section() -> None:
    schema = reply_schema(["complaint"])
    assert list(schema["properties"]) == [
        "scenario",
        "greeting",
        "soothe",
        "apology",
        "details_request",
        "solution",
        "commitment",
        "closing",
    ]
    assert schema["required"] == list(schema["properties"]) and schema["additionalProperties"] is False
    assert schema["properties"]["soothe"]["description"].startswith("安抚")


def test_tones() -> None:
    assert tone_names() == ["标准", "正式", "亲切", "电商", "简洁", "邮件"]
    assert get_tone("ecommerce").address_as == "亲" and get_tone("邮件").channel == "email"
