"""unkeepable_promise: the documents' commitments pass, guarantees and too-short deadlines do not."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest

import guards
from guards.policy import Channel, Policy, Scenario

CATEGORY = "unkeepable_promise"

# Model sentences of the documents, used to assemble replies.
COMPLAINT_003 = "非常给您带来不便,我们会重视您反馈的问题,并尽快为您核实处理。"
COMMITMENT_003 = "我们将在2个工作日内联系您反馈处理进展,请您放心。"
INSPECTION_003 = "关于您的退换货需求,我们会为您安排质检,预计1-3个工作日内完成,通过后会短信通知您。"
AFTER_SALES_003 = "关于您的退换货需求,我们会为您核实处理,预计24小时内给您明确答复,请放心。"
URGENT_003 = "您的问题我们已标记为紧急,工程师将在30分钟内与您联系,请您保持电话畅通。"
EMAIL_003 = "尊敬的客户,您好!您的邮件已收悉,我们将在24小时内由专员为您详细解答,感谢您的耐心等待。"
NEW_PLAN_003 = "非常未能达到您的期望,我们会重新为您评估方案,预计1小时内给您答复。"
FEEDBACK_003 = (
    "尊敬的客户,您之前反映的问题已处理完成,具体结果是已为您安排换货,预计明天发货,请问您对处理结果是否满意?"
)
SOOTHE_003 = "非常理解您的感受,请您别着急,我们一定会帮您妥善处理。"
COMPLAINT_000 = (
    "非常抱歉给您带来了不好的体验,让您着急了,我非常理解您的心情。为了能尽快帮您解决问题,"
    "麻烦您和我说一下具体在什么情况下会出现闪退呢?比如是进行到哪个操作步骤,当时网络环境怎么样?"
)
SHIPPING_002 = "亲,一般24小时发货,最迟48小时发货"
FOLLOW_UP_002 = (
    "那请您别着急,我会尽力帮您解决好,现在我已经将您的情况记录下来,"
    "将派专人跟进,并在三天内给您回复,您看这样好吗?"
)
SPECIALIST_002 = (
    "如您同意,我们可将您的相关信息转交工作人员处理,一般会在24小时内安排专人与您电话联系回复,"
    "您是否同意我们为您记录转交呢?"
)
REFUND_FAQ_002 = "我们的客服人员会尽快处理您的请求,并在3个工作日内答复您的退款申请。"


class Case(NamedTuple):
    """A reply, its context, and the (rule_id, severity, matched original text) findings expected."""

    text: str
    expected: tuple[tuple[str, str, str], ...] = ()
    scenario: Scenario | None = None
    channel: Channel = "online"
    customer: str | None = None


def findings(case: Case, policy: Policy | None = None) -> list[tuple[str, str, str]]:
    """This category's findings for `case`, checking that every span indexes the original."""
    report = guards.check(
        case.text,
        scenario=case.scenario,
        channel=case.channel,
        customer=case.customer,
        policy=guards.compile_policy(policy) if policy else None,
    )
    # Too-slow deadlines are their own category (a deviation, not an unkeepable promise).
    found = [v for v in report.violations if v.category in (CATEGORY, "slow_deadline")]
    for violation in found:
        assert case.text[violation.start : violation.end] == violation.match
    return [(v.rule_id, v.severity, v.match) for v in found]


CLEAN = [
    pytest.param(Case("审核通过后，我们会马上为您退款。", scenario="after_sales"), id="refund-after-review"),
    pytest.param(Case("我马上为您查询退款进度。", scenario="after_sales"), id="refund-progress-query"),
    pytest.param(Case(COMPLAINT_003 + COMMITMENT_003, scenario="complaint"), id="003-complaint"),
    pytest.param(Case(INSPECTION_003, scenario="after_sales"), id="003-after-sales-inspection"),
    pytest.param(Case(AFTER_SALES_003, scenario="after_sales"), id="003-after-sales-answer"),
    pytest.param(Case(URGENT_003, scenario="urgent"), id="003-urgent"),
    pytest.param(Case(URGENT_003, scenario="urgent", channel="phone"), id="003-urgent-phone"),
    pytest.param(Case(EMAIL_003, channel="email"), id="003-email"),
    pytest.param(Case(EMAIL_003, scenario="complaint", channel="email"), id="003-email-complaint"),
    pytest.param(Case(NEW_PLAN_003, scenario="complaint"), id="003-new-plan-1h"),
    pytest.param(Case(FEEDBACK_003, scenario="after_sales"), id="003-feedback-dispatch-tomorrow"),
    pytest.param(Case(SOOTHE_003, scenario="complaint"), id="003-soothe-agent-action"),
    pytest.param(
        Case("我们会在处理完成后24小时内为您进行满意度回访。", scenario="care"), id="003-care-callback"
    ),
    pytest.param(Case(COMPLAINT_000 + COMMITMENT_003, scenario="complaint"), id="000-template-commitment"),
    pytest.param(Case(SHIPPING_002, scenario="shipping"), id="002-shipping-usually-at-latest"),
    pytest.param(Case("预计24小时内发货。", scenario="shipping"), id="hedged-24h-dispatch"),
    # The documents' own usual time may be promised without a hedge; a hedged estimate is no promise.
    pytest.param(Case("我们24小时内发货。", scenario="shipping"), id="usual-24h-dispatch-unhedged"),
    pytest.param(Case("一般12小时发货。", scenario="shipping"), id="hedged-estimate-shorter-than-usual"),
    # The context layer's hedges count for deadlines too, and the policy's own (最快) beside them.
    pytest.param(Case("您的包裹估计1小时内到。", scenario="complaint"), id="context-hedge-estimate"),
    pytest.param(Case("能否1小时内修好要看具体故障。", scenario="urgent"), id="context-hedge-whether"),
    pytest.param(Case("最快今天下午给您回复。", scenario="complaint"), id="policy-hedge-earliest"),
    pytest.param(Case("我们今天给您回复。", scenario="consult"), id="consult-today-as-fast-as-the-callback"),
    pytest.param(Case("补发件已于今天上午寄出。", scenario="after_sales"), id="past-fact-yiyu"),
    pytest.param(
        Case("值班专员会在30分钟内给您回电。", scenario="urgent", channel="phone"),
        id="urgent-specialist-30min-keeps-the-urgent-commitment",
    ),
    pytest.param(Case(FOLLOW_UP_002, scenario="consult"), id="002-three-days-consult"),
    pytest.param(Case(SPECIALIST_002, scenario="complaint", channel="phone"), id="002-specialist-24h"),
    pytest.param(Case("我马上为您查询一下。", scenario="complaint"), id="immediate-query"),
    pytest.param(
        Case("我理解您的心情,您别急,我马上帮您处理,好吗", scenario="complaint"), id="002-mashang-chuli"
    ),
    pytest.param(
        Case("好的,我现在马上为您记录,并立即转交专人。", scenario="complaint"), id="immediate-record"
    ),
    pytest.param(
        Case("我们不能保证今天解决，但会尽力为您跟进。", scenario="complaint"), id="negated-guarantee"
    ),
    pytest.param(Case("我們無法保證今天解決。", scenario="complaint"), id="negated-traditional"),
    pytest.param(
        Case("您已经等了3天，非常抱歉，" + COMMITMENT_003, scenario="complaint"), id="past-wait-not-promise"
    ),
    pytest.param(Case("我们店铺还是支持7天无理由退货的哦。", scenario="after_sales"), id="002-7-days-policy"),
    pytest.param(
        Case("您说“保证今天解决”，" + COMMITMENT_003, scenario="complaint"), id="quoted-customer-words"
    ),
    pytest.param(
        Case("我们会为您办理退款，款项会原路退回。", scenario="after_sales"), id="refund-not-compensation"
    ),
    pytest.param(Case("很抱歉，我们无法提供赔偿。", scenario="after_sales"), id="no-compensation-negated"),
    pytest.param(Case("亲,我们一般24小时发货哦。"), id="no-scenario-no-deadline-check"),
    pytest.param(
        Case("真抱歉,希望您理解,如果可以,我们肯定为您在线解决让您满意。", scenario="consult"),
        id="002-conditional-not-guarantee",
    ),
    pytest.param(
        Case("您放心,我一定尽心帮您解决好的,我们将在2个工作日内联系您。", scenario="complaint"),
        id="002-effort-not-guarantee",
    ),
    pytest.param(
        Case("若無法立即解決問題,我們會說明處理時限。", scenario="complaint"), id="001-cannot-immediately"
    ),
    pytest.param(
        Case("您收到的短信说“24小时内联系您”，" + COMMITMENT_003, scenario="complaint"), id="quoted-deadline"
    ),
    pytest.param(Case("是否当天能修好要看零件库存。", scenario="after_sales"), id="whether-is-no-promise"),
    pytest.param(Case("早一天寄回就早一天退款。", scenario="after_sales"), id="sooner-you-send"),
    pytest.param(Case("标准发放的餐食已经送到。", scenario="after_sales"), id="zhun-inside-a-word"),
    pytest.param(Case("这么久的等待一定让您很疲惫。", scenario="after_sales"), id="empathy-yi-ding"),
    pytest.param(Case("明早还有会却上不了飞机，您一定急坏了。"), id="empathy-worried-sick"),
    pytest.param(Case("商家出餐时是密封打包好的。"), id="packed-is-no-pledge"),
    pytest.param(Case("想必给团队带来了不少困扰。"), id="presumably-is-no-must"),
    pytest.param(Case("请您务必在本周五前把材料补齐。"), id="a-demand-on-the-customer"),
    pytest.param(Case("按照课程协议，开课超过7天后不再支持全额退款。"), id="no-longer-a-full-refund"),
    pytest.param(Case("按照食品类过期商品的售后规则，给您全额退款。"), id="refund-by-a-long-named-rule"),
    pytest.param(
        Case("本次扣费系计费系统同步异常所致，我们将为您退还差额2000元。"), id="overcharge-returned"
    ),
    pytest.param(Case("开课前7天申请可以全额退。"), id="policy-period-before"),
    pytest.param(Case("我们一定会好好处理。", scenario="after_sales"), id="we-will-handle-it-well"),
    pytest.param(Case("跨行转账哪有当天就到账的？", scenario="complaint"), id="a-deadline-in-a-question"),
    pytest.param(Case("退款预计几分钟就到账。", scenario="after_sales"), id="minutes-hedged"),
    pytest.param(Case("当前卡池有90抽保底机制。", scenario="consult"), id="a-pity-timer-is-a-rule"),
    pytest.param(
        Case("车辆不方便开的话我们安排救援，工程师会在30分钟内跟您联系。", scenario="complaint"),
        id="engineer-call-in-a-complaint",
    ),
    pytest.param(
        Case("我会把您的诉求重新提交给主管，1小时内给您新的答复。", scenario="complaint"),
        id="new-answer-in-an-hour",
    ),
]


@pytest.mark.parametrize("case", CLEAN)
def test_clean_replies_have_no_findings(case: Case) -> None:
    assert findings(case) == []


FLAGGED = [
    pytest.param(
        Case("好的，马上给您退款。", (("up.unconditional_refund", "block", "马上给您退款"),), "after_sales"),
        id="immediate-refund",
    ),
    pytest.param(
        Case("月底前放款稳稳的，您放心。", (("up.absolute_guarantee", "block", "稳稳的"),), "consult"),
        id="steady-as-a-pledge",
    ),
    pytest.param(
        Case("我们直接退款给您。", (("up.unconditional_refund", "block", "直接退款给您"),), "after_sales"),
        id="direct-refund",
    ),
    pytest.param(
        Case(
            "好的，马上到账。",
            (("up.immediate_outcome", "block", "马上到账"),),
            customer="我不管，你们必须马上到账，听到没有",
        ),
        id="promise-echoed-from-customer-is-the-agents",
    ),
    # Absolute guarantees and outcomes the agent does not control.
    pytest.param(
        Case("我们保证今天解决。", (("up.absolute_guarantee", "block", "保证今天解决"),), "complaint"),
        id="guarantee-today",
    ),
    pytest.param(
        Case(
            "我們承諾保證今天解決。", (("up.absolute_guarantee", "block", "承諾保證今天解決"),), "complaint"
        ),
        id="traditional-guarantee",
    ),
    pytest.param(
        Case("请您放心，保证质量是没有问题的哦", (("up.absolute_guarantee", "block", "保证质量是没有问题"),)),
        id="002-quality-guarantee",
    ),
    pytest.param(
        Case(
            "我今天一定会帮助您解决这个问题的。",
            (("up.immediate_outcome", "block", "今天一定会帮助您解决"),),
            "complaint",
        ),
        id="002-today-solve",
    ),
    pytest.param(
        Case("退款马上到账。", (("up.immediate_outcome", "block", "马上到账"),), "after_sales"),
        id="mashang-daozhang",
    ),
    pytest.param(
        Case("今天一定送到。", (("up.immediate_outcome", "block", "今天一定送到"),), "shipping"),
        id="today-delivered",
    ),
    pytest.param(
        Case("工程师立刻修好。", (("up.immediate_outcome", "block", "立刻修好"),), "urgent"), id="like-xiuhao"
    ),
    pytest.param(
        Case("我马上为您解决。", (("up.immediate_outcome", "block", "马上为您解决"),), "complaint"),
        id="mashang-jiejue",
    ),
    pytest.param(
        Case("明天一定送到。", (("up.immediate_outcome", "block", "明天一定送到"),), "shipping"),
        id="tomorrow-guaranteed",
    ),
    pytest.param(
        Case(
            "我们不能保证今天解决，但保证明天一定到账。",
            (("up.absolute_guarantee", "block", "保证明天一定到账"),),
            "after_sales",
        ),
        id="negation-covers-its-clause-only",
    ),
    # Compensation the policy does not authorise.
    pytest.param(
        Case("我们会为您全额赔偿。", (("up.compensation", "block", "为您全额赔偿"),), "after_sales"),
        id="full-compensation",
    ),
    pytest.param(
        Case("双倍赔偿给您。", (("up.compensation", "block", "双倍赔偿"),), "after_sales"),
        id="double-compensation",
    ),
    pytest.param(
        Case(
            "我们会为您安排退款和赔偿流程。",
            (("up.compensation", "block", "为您安排退款和赔偿"),),
            "after_sales",
        ),
        id="refund-and-compensation-process",
    ),
    pytest.param(
        Case("我們會為您全額賠償。", (("up.compensation", "block", "為您全額賠償"),), "after_sales"),
        id="traditional-compensation",
    ),
    # Deadlines shorter than the policy's (block) or longer than a cued commitment (warn).
    pytest.param(
        Case(
            "我们将在24小时内联系您反馈处理进展。",
            (("up.deadline.complaint_followup", "block", "24小时内"),),
            "complaint",
        ),
        id="complaint-24h-too-fast",
    ),
    pytest.param(
        Case(
            "我們將在24小時內聯繫您。",
            (("up.deadline.complaint_followup", "block", "24小時內"),),
            "complaint",
        ),
        id="complaint-traditional-too-fast",
    ),
    pytest.param(
        Case(
            "我们半小时内给您回复。", (("up.deadline.complaint_followup", "block", "半小时内"),), "complaint"
        ),
        id="complaint-half-hour",
    ),
    pytest.param(
        Case("我们1小时内给您回复。", (("up.deadline.consult_reply", "block", "1小时内"),), "consult"),
        id="consult-one-hour",
    ),
    pytest.param(
        Case("我们12小时内发货。", (("up.deadline.shipping", "block", "12小时内"),), "shipping"),
        id="shipping-12h",
    ),
    pytest.param(
        Case("我们今晚给您发货。", (("up.deadline.shipping", "block", "今晚"),), "shipping"),
        id="shipping-tonight",
    ),
    pytest.param(
        Case(
            "换货商品我们会在12小时内寄出。", (("up.deadline.dispatch", "block", "12小时内"),), "after_sales"
        ),
        id="after-sales-dispatch-12h",
    ),
    pytest.param(
        Case(
            "我们会为您安排质检，半天内完成。",
            (("up.deadline.after_sales_inspection", "block", "半天内"),),
            "after_sales",
        ),
        id="inspection-half-day",
    ),
    pytest.param(
        Case(
            "我们将在2小时内由专员为您详细解答。",
            (("up.deadline.email_answer", "block", "2小时内"),),
            None,
            "email",
        ),
        id="email-2h",
    ),
    pytest.param(
        Case(
            "工程师将在1个小时内与您联系。", (("up.deadline.urgent_engineer", "warn", "1个小时内"),), "urgent"
        ),
        id="urgent-1h-too-slow",
    ),
    pytest.param(
        Case(
            "我们会在3个工作日内给您回复。",
            (("up.deadline.complaint_followup", "warn", "3个工作日内"),),
            "complaint",
        ),
        id="complaint-3wd-too-slow",
    ),
    pytest.param(
        Case(REFUND_FAQ_002, (("up.deadline.after_sales_answer", "warn", "3个工作日内"),), "after_sales"),
        id="002-refund-3wd-vs-003-24h",
    ),
    pytest.param(
        Case(FOLLOW_UP_002, (("up.deadline.complaint_followup", "warn", "三天内"),), "complaint"),
        id="002-three-days-in-complaint",
    ),
    # Spans point into the original text: full-width digits, an invisible character inside.
    pytest.param(
        Case(
            "我们将在２４小时内联系您。",
            (("up.deadline.complaint_followup", "block", "２４小时内"),),
            "complaint",
        ),
        id="full-width-digits-span",
    ),
    pytest.param(
        Case(
            "我们将在24小\u200b时内联系您。",
            (("up.deadline.complaint_followup", "block", "24小\u200b时内"),),
            "complaint",
        ),
        id="zero-width-inside-span",
    ),
    pytest.param(
        Case(
            "这款电池百分之一百不会鼓包。", (("up.absolute_guarantee", "block", "百分之一百不会"),), "price"
        ),
        id="one-hundred-percent",
    ),
    pytest.param(
        Case("放心，明天一准给您送到。", (("up.absolute_guarantee", "block", "一准给您送到"),), "price"),
        id="yi-zhun",
    ),
    pytest.param(
        Case("换了新主板啥毛病都不会有。", (("up.absolute_guarantee", "block", "啥毛病都不会有"),), "price"),
        id="nothing-can-go-wrong",
    ),
    pytest.param(
        Case("这单我给您再让两百块。", (("up.compensation", "block", "给您再让两百块"),), "price"),
        id="a-discount-they-grant",
    ),
    pytest.param(
        Case("运费我自掏腰包给您补上。", (("up.compensation", "block", "运费我自掏腰包给您补"),), "price"),
        id="out-of-pocket",
    ),
    pytest.param(
        Case("检测和更换全都给您免费。", (("up.compensation", "block", "全都给您免费"),), "price"),
        id="all-free",
    ),
    pytest.param(
        Case("一分钱都不用您出。", (("up.compensation", "block", "一分钱都不用您出"),), "price"),
        id="not-a-cent",
    ),
    pytest.param(
        Case("差价我直接退给您。", (("up.compensation", "block", "差价我直接退给您"),), "price"),
        id="price-difference",
    ),
    pytest.param(
        Case(
            "停电是线路检修，过两天就恢复了。",
            (("up.immediate_outcome", "block", "过两天就恢复了"),),
            "price",
        ),
        id="back-in-two-days",
    ),
    pytest.param(
        Case(
            "已经退了亲，钱马上就到您卡上。",
            (("up.immediate_outcome", "block", "马上就到您卡上"),),
            "after_sales",
        ),
        id="money-on-the-card-at-once",
    ),
    pytest.param(
        Case(
            "退款提交了，几分钟的事儿。", (("up.immediate_outcome", "block", "几分钟的事儿"),), "after_sales"
        ),
        id="a-matter-of-minutes",
    ),
    pytest.param(
        Case("您放心，这周五之前包您收到。", (("up.absolute_guarantee", "block", "包您收到"),), "shipping"),
        id="pledged-receipt",
    ),
    pytest.param(
        Case("今天定下来，我包您月底前提车。", (("up.absolute_guarantee", "block", "包您月底前"),), "price"),
        id="pledged-by-a-date",
    ),
    pytest.param(
        Case("这笔退款是秒到的。", (("up.immediate_outcome", "block", "秒到的"),), "after_sales"),
        id="refund-in-a-second",
    ),
    pytest.param(
        Case(
            "下个版本上线后这个 bug 一定 fixed。",
            (("up.absolute_guarantee", "block", "一定 fixed"),),
            "consult",
        ),
        id="code-mixed-outcome",
    ),
]


@pytest.mark.parametrize("case", FLAGGED)
def test_unkeepable_promises_are_flagged(case: Case) -> None:
    assert findings(case) == list(case.expected)


def test_a_deadline_inside_a_guarantee_is_reported_once() -> None:
    report = guards.check("保证今天解决。", scenario="complaint")
    assert [v.rule_id for v in report.violations if v.category == CATEGORY] == ["up.absolute_guarantee"]


def test_too_fast_message_names_both_deadlines() -> None:
    report = guards.check("我们将在24小时内联系您。", scenario="complaint")
    (finding,) = [v for v in report.violations if v.category == CATEGORY]
    assert "24小时内" in finding.message and "2个工作日" in finding.message
    assert finding.suggestion == "我们将在2个工作日内联系您反馈处理进展"
    assert finding.source.startswith("003_51b790690fd19781.txt")


def test_a_deadline_shorter_than_the_usual_time_names_it() -> None:
    report = guards.check("我们12小时内发货。", scenario="shipping")
    (finding,) = [v for v in report.violations if v.category == CATEGORY]
    assert (finding.rule_id, finding.match) == ("up.deadline.shipping", "12小时内")
    assert "24小时" in finding.message


COMPANY_POLICY = """
[meta]
name = "acme"
version = "1"

[unkeepable_promise]
authorized_compensation = ['全额赔偿', '运费险']

[[unkeepable_promise.commitments]]
id = "up.deadline.complaint_followup"
within = "1wd"
phrase = "我们将在1个工作日内联系您反馈处理进展"
"""


@pytest.fixture
def company_policy(tmp_path: Path) -> Policy:
    """A company policy that authorises some compensation and answers complaints in 1 working day."""
    path = tmp_path / "acme.toml"
    path.write_text(COMPANY_POLICY, encoding="utf-8")
    return guards.load_policy(path)


COMPANY_CASES = [
    pytest.param(Case("我们会为您全额赔偿。", (), "after_sales"), id="authorized-full-compensation"),
    pytest.param(Case("我們會為您全額賠償。", (), "after_sales"), id="authorized-traditional"),
    pytest.param(
        Case(
            "我们为您申请运费险和双倍赔偿。",
            (("up.compensation", "block", "为您申请运费险和双倍赔偿"),),
            "after_sales",
        ),
        id="authorized-part-does-not-cover-rest",
    ),
    pytest.param(
        Case("我们会为您全额退款。", (("up.compensation", "block", "全额退款"),), "after_sales"),
        id="other-compensation-still-flagged",
    ),
    pytest.param(Case("我们将在24小时内联系您反馈处理进展。", (), "complaint"), id="company-1wd-24h-fine"),
    pytest.param(
        Case(
            "我们将在2个工作日内联系您。",
            (("up.deadline.complaint_followup", "warn", "2个工作日内"),),
            "complaint",
        ),
        id="company-1wd-2wd-too-slow",
    ),
    pytest.param(
        Case(
            "我们半小时内给您回复。", (("up.deadline.complaint_followup", "block", "半小时内"),), "complaint"
        ),
        id="company-1wd-half-hour-too-fast",
    ),
]


@pytest.mark.parametrize("case", COMPANY_CASES)
def test_company_policy_changes_what_is_a_promise(company_policy: Policy, case: Case) -> None:
    assert findings(case, company_policy) == list(case.expected)


def test_default_policy_still_flags_what_the_company_authorized(company_policy: Policy) -> None:
    case = Case("我们会为您全额赔偿。", scenario="after_sales")
    assert findings(case, company_policy) == []
    assert findings(case) == [("up.compensation", "block", "为您全额赔偿")]


def test_a_deadline_longer_than_the_standard_is_a_deviation_not_an_unkeepable_promise() -> None:
    report = guards.check("我们会在3个工作日内给您回复。", scenario="complaint")
    assert [(v.category, v.severity) for v in report.violations if "deadline" in v.rule_id] == [
        ("slow_deadline", "warn")
    ]
