"""missing_structure: soothe, apology, a request for missing details, a solution with a deadline."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest

import guards
from guards.policy import Channel, Policy, Scenario

CATEGORY = "missing_structure"

# Model sentences of the documents.
COMPLAINT_003 = "非常给您带来不便,我们会重视您反馈的问题,并尽快为您核实处理。"
COMMITMENT_003 = "我们将在2个工作日内联系您反馈处理进展,请您放心。"
ASK_003 = "为了更好地帮您解决问题,能否提供一下您的订单号或联系方式?"
SOOTHE_003 = "非常理解您的感受,请您别着急,我们一定会帮您妥善处理。"
INSPECTION_003 = "关于您的退换货需求,我们会为您安排质检,预计1-3个工作日内完成,通过后会短信通知您。"
AFTER_SALES_003 = "关于您的退换货需求,我们会为您核实处理,预计24小时内给您明确答复,请放心。"
URGENT_003 = "您的问题我们已标记为紧急,工程师将在30分钟内与您联系,请您保持电话畅通。"
# The same commitment without "已标记为紧急": marking the case shows the agent has it, which 003's
# template says; without it the details are still owed.
URGENT_CONTACT_003 = "工程师将在30分钟内与您联系,请您保持电话畅通。"
COMPLAINT_000 = (
    "非常抱歉给您带来了不好的体验,让您着急了,我非常理解您的心情。为了能尽快帮您解决问题,"
    "麻烦您和我说一下具体在什么情况下会出现闪退呢?比如是进行到哪个操作步骤,当时网络环境怎么样?"
)
CUSTOMER_000 = "你们这个软件怎么回事啊?老是闪退,根本没法用!我要投诉!"
PHOTO_002 = "如果方便的话还请您拍1-2张照片给我,我这边好为您争取一个最好的解决方案呢。"
APOLOGY_002 = "非常抱歉,请您谅解。"
# Customer messages that already give the details the scenario needs.
CUSTOMER_WITH_ORDER = "我的订单号是2024051812345，昨天收到货打开就是坏的，你们客服也不回复！"
CUSTOMER_WITH_ORDER_AND_PHOTO = "订单号 20240518123456 的杯子收到就裂了，照片发您了"
CUSTOMER_URGENT = "系统从早上开始就打不开，一直报错500，急！我电话13812345678"


class Case(NamedTuple):
    """A reply, its context, and the (rule_id, matched original text) findings expected."""

    text: str
    expected: tuple[tuple[str, str], ...] = ()
    scenario: Scenario | None = "complaint"
    customer: str | None = None
    channel: Channel = "online"


def findings(case: Case, policy: Policy | None = None) -> list[tuple[str, str, int]]:
    """This category's findings as (rule_id, match, start), checking spans index the original."""
    report = guards.check(
        case.text,
        scenario=case.scenario,
        channel=case.channel,
        customer=case.customer,
        policy=guards.compile_policy(policy) if policy else None,
    )
    found = [v for v in report.violations if v.category == CATEGORY]
    for violation in found:
        assert case.text[violation.start : violation.end] == violation.match
    return [(v.rule_id, v.match, v.start) for v in found]


def expected_findings(case: Case) -> list[tuple[str, str, int]]:
    """The expected findings with their positions: at the match, or an empty span at the end."""
    result = []
    for rule_id, match in case.expected:
        start = case.text.index(match) if match else len(case.text)
        result.append((rule_id, match, start))
    return sorted(result, key=lambda f: (f[2], f[0]))


COMPLETE = [
    pytest.param(Case(SOOTHE_003 + COMPLAINT_003 + ASK_003 + COMMITMENT_003), id="003-templates-assembled"),
    pytest.param(
        Case(COMPLAINT_003 + COMMITMENT_003, customer=CUSTOMER_WITH_ORDER), id="003-details-already-given"
    ),
    pytest.param(Case(COMPLAINT_000 + COMMITMENT_003, customer=CUSTOMER_000), id="000-template-commitment"),
    pytest.param(Case(COMPLAINT_000 + COMMITMENT_003), id="000-template-no-customer"),
    pytest.param(
        Case(APOLOGY_002 + SOOTHE_003 + ASK_003 + COMMITMENT_003, channel="phone"), id="002-apology-phone"
    ),
    pytest.param(
        Case(
            "非常抱歉，理解您的心情，麻烦您提供一下订单号，我们将在2个工作日内联系您。",
            customer="昨天收到货打开就坏了",
        ),
        id="asks-for-the-missing-order",
    ),
    pytest.param(
        Case("非常抱歉給您帶來不便，理解您的心情，麻煩您提供一下訂單號，我們將在2個工作日內聯繫您。"),
        id="traditional-complete",
    ),
    pytest.param(
        Case(
            "非常抱歉给您带来不便，请您放心。" + PHOTO_002 + INSPECTION_003,
            scenario="after_sales",
            customer="订单号 20240518123456 的杯子收到就裂了",
        ),
        id="after-sales-asks-for-photo",
    ),
    pytest.param(
        Case(
            "非常抱歉给您带来不便，请您放心。" + AFTER_SALES_003,
            scenario="after_sales",
            customer=CUSTOMER_WITH_ORDER_AND_PHOTO,
        ),
        id="after-sales-all-given",
    ),
    pytest.param(
        Case(
            "非常抱歉给您带来不便，我们非常理解您的着急。麻烦您提供一下联系电话和具体的故障现象。"
            + URGENT_003,
            scenario="urgent",
        ),
        id="urgent-asks",
    ),
    pytest.param(
        Case(
            "非常抱歉给您带来不便，我们非常理解您的着急。" + URGENT_003,
            scenario="urgent",
            customer=CUSTOMER_URGENT,
        ),
        id="urgent-all-given",
    ),
    # Requests, records, feelings and times said in other words.
    pytest.param(
        Case("您好，您肯定很焦心，真的很抱歉。您告诉我一下车牌号和加装的日期，我们2个工作日内联系您。"),
        id="request-you-tell-me-and-worried",
    ),
    pytest.param(
        Case(
            "您好，给您带来困扰，理解您的心情，很抱歉。想请您告知当时咨询的大致日期，结果将在2个工作日内回复您。"
        ),
        id="request-please-inform",
    ),
    pytest.param(
        Case(
            "里程迟迟未入账，确实让人心里不踏实，我们很抱歉。我们已将您的会员号和航班信息转交补登团队核查，"
            "结果将在3个工作日内通过邮件告知您。",
            scenario="after_sales",
        ),
        id="record-passed-on-already",
    ),
    pytest.param(
        Case(
            "理解您现在很着急，非常抱歉影响您的业务。您的宕机情况我已经标记为最高优先级，工程师30分钟内给您回电话。",
            scenario="urgent",
        ),
        id="record-marked-urgent-already",
    ),
    pytest.param(
        Case("白跑一趟确实让人恼火，非常抱歉。请提供一下您的票号，改签确认后当场给您出新的行程单。"),
        id="solution-on-the-spot",
    ),
    pytest.param(Case("您好，这款产品支持7天无理由退货。", scenario=None), id="no-scenario-no-structure"),
    pytest.param(Case("您好，这款产品支持7天无理由退货。", scenario="consult"), id="consult-no-structure"),
    pytest.param(Case("亲,一般24小时发货,最迟48小时发货", scenario="shipping"), id="shipping-no-structure"),
]


@pytest.mark.parametrize("case", COMPLETE)
def test_complete_replies_have_no_findings(case: Case) -> None:
    assert findings(case) == []


INCOMPLETE = [
    pytest.param(
        Case("", (("ms.apology", ""), ("ms.details_request", ""), ("ms.solution", ""), ("ms.soothe", ""))),
        id="empty-reply",
    ),
    pytest.param(
        Case(COMPLAINT_003 + COMMITMENT_003, (("ms.details_request", ""),)), id="003-line-no-customer"
    ),
    pytest.param(
        Case(COMPLAINT_000, (("ms.solution", "尽快"),), customer=CUSTOMER_000), id="000-no-deadline-jinkuai"
    ),
    pytest.param(
        Case(
            "非常抱歉，理解您的心情，我们会及时跟进。",
            (("ms.solution", "及时"),),
            customer=CUSTOMER_WITH_ORDER,
        ),
        id="jishi-is-no-deadline",
    ),
    pytest.param(
        Case(
            "非常抱歉，理解您的心情，稍后给您回复。", (("ms.solution", "稍后"),), customer=CUSTOMER_WITH_ORDER
        ),
        id="shaohou-is-no-deadline",
    ),
    pytest.param(
        Case(
            "非常抱歉，理解您的心情，我们几个工作日内给您答复。",
            (("ms.solution", "几个工作日"),),
            customer=CUSTOMER_WITH_ORDER,
        ),
        id="jige-gongzuori-is-no-deadline",
    ),
    pytest.param(
        Case(
            "非常抱歉，理解您的心情，我们会为您处理。", (("ms.solution", ""),), customer=CUSTOMER_WITH_ORDER
        ),
        id="no-deadline-no-vague-word",
    ),
    pytest.param(
        Case(
            "非常抱歉，理解您的心情，我马上为您处理。", (("ms.solution", ""),), customer=CUSTOMER_WITH_ORDER
        ),
        id="mashang-is-no-deadline",
    ),
    pytest.param(
        Case(
            "非常抱歉，理解您的心情，我们不能保证今天解决。",
            (("ms.solution", ""),),
            customer=CUSTOMER_WITH_ORDER,
        ),
        id="negated-deadline-is-no-deadline",
    ),
    pytest.param(
        Case(
            "您已经等了3天，非常抱歉，理解您的心情，我们会为您处理。",
            (("ms.solution", ""),),
            customer=CUSTOMER_WITH_ORDER,
        ),
        id="past-wait-is-no-deadline",
    ),
    pytest.param(
        Case("非常抱歉。麻烦您提供一下订单号，我们将在2个工作日内联系您。", (("ms.soothe", ""),)),
        id="no-soothe",
    ),
    pytest.param(
        Case("非常理解您的心情，请您放心。麻烦您提供一下订单号，" + COMMITMENT_003, (("ms.apology", ""),)),
        id="no-apology",
    ),
    pytest.param(
        Case(
            "您说我们连句抱歉都没有。理解您的心情，麻烦您提供一下订单号，" + COMMITMENT_003,
            (("ms.apology", ""),),
        ),
        id="reported-apology-is-not-ours",
    ),
    pytest.param(
        Case("非常理解您的心情。" + COMMITMENT_003, (("ms.apology", ""), ("ms.details_request", ""))),
        id="no-apology-no-request",
    ),
    pytest.param(
        Case(
            "非常抱歉，理解您的心情。您反馈的情况我们会认真核实，"
            + COMMITMENT_003
            + "请问还有其他可以帮到您的吗？",
            (("ms.details_request", ""),),
        ),
        id="closing-question-is-no-request",
    ),
    pytest.param(
        Case(
            "非常抱歉，理解您的心情，麻烦您提供一下订单号，我们将在2个工作日内联系您。",
            (("ms.details_request", ""),),
            customer="订单2024051812345，东西坏了",
        ),
        id="asks-for-what-was-given",
    ),
    pytest.param(
        Case(
            "非常抱歉给您带来不便，请您放心。" + INSPECTION_003,
            (("ms.details_request", ""),),
            scenario="after_sales",
        ),
        id="003-after-sales-no-request",
    ),
    pytest.param(
        Case(
            "非常抱歉给您带来不便，我们非常理解您的着急。" + URGENT_CONTACT_003,
            (("ms.details_request", ""),),
            scenario="urgent",
        ),
        id="003-urgent-no-customer",
    ),
    pytest.param(
        Case(
            URGENT_CONTACT_003,
            (("ms.apology", ""), ("ms.details_request", ""), ("ms.soothe", "")),
            scenario="urgent",
            customer="系统从早上开始就打不开",
        ),
        id="003-urgent-line-phone-not-given",
    ),
    pytest.param(
        Case(
            "非常抱歉，理解您的心情，我們會盡快為您處理。",
            (("ms.solution", "盡快"),),
            customer=CUSTOMER_WITH_ORDER,
        ),
        id="traditional-vague-word",
    ),
]


@pytest.mark.parametrize("case", INCOMPLETE)
def test_missing_elements_are_flagged(case: Case) -> None:
    assert findings(case) == expected_findings(case)


def test_missing_details_are_named_in_the_message() -> None:
    report = guards.check(
        "非常抱歉，理解您的心情。" + COMMITMENT_003,
        scenario="complaint",
        customer="订单2024051812345，东西坏了",
    )
    (finding,) = [v for v in report.violations if v.category == CATEGORY]
    assert finding.rule_id == "ms.details_request"
    assert "具体情况" in finding.message and "订单号" not in finding.message.split("尚缺")[1]


def test_missing_structure_blocks_the_reply() -> None:
    report = guards.check("我们会尽快为您处理。", scenario="complaint")
    assert not report.ok
    assert {v.rule_id for v in report.blocking} >= {
        "ms.soothe",
        "ms.apology",
        "ms.details_request",
        "ms.solution",
    }


COMPANY_POLICY = """
[meta]
name = "acme"
version = "1"

[missing_structure]
vague_deadlines = ['回头']

[[missing_structure.scenarios]]
scenario = "complaint"
elements = ["apology", "solution"]
"""


def test_company_policy_changes_the_required_structure(tmp_path: Path) -> None:
    path = tmp_path / "acme.toml"
    path.write_text(COMPANY_POLICY, encoding="utf-8")
    policy = guards.load_policy(path)
    assert findings(Case("非常抱歉，我们会为您处理。"), policy) == [("ms.solution", "", 13)]
    assert findings(Case("非常抱歉，我们回头为您处理。"), policy) == [("ms.solution", "回头", 7)]
    assert findings(Case("非常抱歉，" + COMMITMENT_003), policy) == []


def test_a_concrete_deadline_marks_the_solution_and_a_company_may_also_ask_for_an_action_word() -> None:
    reply = "非常抱歉，理解您的心情，您的订单我这边已经查到了。结果2个工作日内给到您。"
    assert findings(Case(reply)) == []
    assert [rule for rule, *_ in findings(Case("非常抱歉，理解您的心情，您的订单我这边已经查到了。"))] == [
        "ms.solution"
    ]
    default = guards.default_policy()
    section = default.missing_structure
    elements = [
        e.model_copy(update={"cues": ["联系"]}) if e.element == "solution" else e for e in section.elements
    ]
    structure = section.model_copy(update={"elements": elements})
    strict = default.model_copy(update={"missing_structure": structure})
    compiled = guards.compile_policy(strict)
    assert [v.rule_id for v in guards.check(reply, scenario="complaint", policy=compiled).violations] == [
        "ms.solution"
    ]
    with_action = reply.replace("给到您", "联系您")
    assert guards.check(with_action, scenario="complaint", policy=compiled).violations == ()


@pytest.mark.parametrize(
    ("earlier_agent_turn", "owes"),
    [
        ("So sorry to hear that. Is it affecting all users in your organisation?", False),
        ("Hello, thank you for contacting us. How can I help you today?", True),
        ("非常抱歉，请问是所有同事都登录不了吗？", False),
        ("您好，请问有什么可以帮您？", True),
    ],
)
def test_an_earlier_substantive_turn_in_either_language_means_the_structure_was_begun(
    earlier_agent_turn: str, owes: bool
) -> None:
    history = [("customer", "We cannot log in to the dashboard."), ("agent", earlier_agent_turn)]
    report = guards.check("An engineer will call you within 30 minutes.", scenario="urgent", history=history)
    assert any(v.category == "missing_structure" for v in report.violations) is owes
