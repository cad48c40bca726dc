"""blame_or_argue: blaming the customer or others and arguing are flagged; owning a problem is not."""

from __future__ import annotations

import pytest
from guard_cases import Case, category_findings

import guards

CATEGORY = "blame_or_argue"
ZWSP = "\u200b"


def findings(case: Case) -> list[tuple[str, str]]:
    """This category's findings for `case`."""
    return category_findings(case, CATEGORY)


FLAGGED = [
    pytest.param(
        Case(
            "这是快递公司的问题，与我们无关。",
            (("ba.blame_others", "与我们无关"), ("ba.blame_others", "这是快递公司的问题")),
        ),
        id="blame-courier",
    ),
    pytest.param(
        Case("是您操作不当造成的。", (("ba.blame_customer", "是您操作不当"),)), id="wrong-operation"
    ),
    pytest.param(
        Case("难道您没收到短信吗？", (("ba.rhetorical_question", "难道"),)), id="002-rhetorical-nandao"
    ),
    pytest.param(
        Case("您是不是没插电？", (("ba.rhetorical_question", "您是不是没插电？"),)), id="is-it-not-plugged-in"
    ),
    pytest.param(
        Case("这种漏液一般都是快递路上暴力运输压坏的。", (("ba.deflect", "一般都是快递路上暴力运输压坏"),)),
        id="third-party-times-fault",
    ),
    pytest.param(
        Case("您这单才280，当然用不了。", (("ba.customer_fault", "当然用不了"),)), id="of-course-not"
    ),
    pytest.param(Case("您问问别人吧。", (("ba.shift_to_customer", "您问问别人"),)), id="ask-someone-else"),
    pytest.param(
        Case("这是您自己的问题。", (("ba.blame_customer", "这是您自己的问题"),)), id="your-own-problem"
    ),
    pytest.param(
        Case("您自己没看清楚商品说明。", (("ba.blame_customer", "您自己没看清楚"),)), id="did-not-read"
    ),
    pytest.param(
        Case("您看错了，页面上写的是39元。", (("ba.blame_customer", "您看错了"),)), id="you-misread"
    ),
    pytest.param(
        Case("您填错了地址，所以才没收到。", (("ba.blame_customer", "您填错了"),)), id="you-filled-wrong"
    ),
    pytest.param(
        Case("怪您自己没有及时确认收货。", (("ba.blame_customer", "怪您自己"),)), id="blame-yourself"
    ),
    pytest.param(
        Case(
            "明明是您没有按照说明书操作。",
            (("ba.argue", "明明是"), ("ba.blame_customer", "您没有按照说明书")),
        ),
        id="did-not-follow-manual",
    ),
    pytest.param(
        Case("這是您自己操作失誤造成的。", (("ba.blame_customer", "是您自己操作失誤"),)),
        id="traditional-blame",
    ),
    pytest.param(
        Case("如果您有疑问可以随时咨询，这是您自己的问题。", (("ba.blame_customer", "这是您自己的问题"),)),
        id="condition-ends-at-comma",
    ),
    pytest.param(
        Case("您说的不对，我们从来没有这样承诺过。", (("ba.argue", "您说的不对"),)), id="you-are-wrong"
    ),
    pytest.param(
        Case("您误会了，我们没有错。", (("ba.argue", "我们没有错"), ("ba.argue", "您误会了"))),
        id="misunderstood-not-our-fault",
    ),
    pytest.param(Case("不可能的！", (("ba.argue", "不可能的"),)), id="impossible"),
    pytest.param(
        Case("事实就是这样，我们没有问题。", (("ba.argue", "事实就是这样"), ("ba.argue", "我们没有问题"))),
        id="facts-are-facts",
    ),
    pytest.param(Case("这不是我们的问题。", (("ba.no_apology", "这不是我们的问题"),)), id="not-our-problem"),
    pytest.param(
        Case(
            "责任不在我们，我们不需要道歉。",
            (("ba.no_apology", "我们不需要道歉"), ("ba.no_apology", "责任不在我们")),
        ),
        id="no-apology-needed",
    ),
    pytest.param(
        Case("虽然责任不在我们，但还是向您道歉。", (("ba.no_apology", "责任不在我们"),)),
        id="although-not-our-fault",
    ),
    pytest.param(Case("您去找快递吧。", (("ba.blame_others", "您去找快递吧"),)), id="go-ask-courier"),
    pytest.param(
        Case(
            "那是物流公司的责任，您自己去联系物流吧。",
            (("ba.blame_others", "那是物流公司的责任"), ("ba.blame_others", "您自己去联系物流吧")),
        ),
        id="logistics-responsibility",
    ),
    pytest.param(
        Case(
            "这不归我们管，您去问厂家吧。",
            (("ba.blame_others", "您去问厂家吧"), ("ba.blame_others", "这不归我们管")),
        ),
        id="not-our-department",
    ),
    pytest.param(
        Case("這不關我們的事。", (("ba.blame_others", "不關我們的事"),)),
        id="traditional-none-of-our-business",
    ),
    pytest.param(
        Case(f"这件事与我们{ZWSP}无关。", (("ba.blame_others", f"与我们{ZWSP}无关"),)), id="zero-width-inside"
    ),
    pytest.param(
        Case("客服说与我们无关，这样的回答确实不妥，非常抱歉。", (("ba.blame_others", "与我们无关"),)),
        id="no-customer-message-no-echo",
    ),
    pytest.param(
        Case("您操作不当导致的。", (("ba.blame_customer", "您操作不当"),)), id="wrong-operation-no-shi"
    ),
    pytest.param(Case("是您自己摔坏的。", (("ba.blame_customer", "您自己摔坏的"),)), id="you-broke-it"),
    pytest.param(Case("这是快递员的问题。", (("ba.blame_others", "这是快递员的问题"),)), id="courier-person"),
    pytest.param(Case("都怪快递太慢。", (("ba.blame_others", "都怪快递"),)), id="blame-slow-courier"),
    pytest.param(
        Case("这和我们没关系。", (("ba.blame_others", "和我们没关系"),)), id="nothing-to-do-with-us"
    ),
    pytest.param(
        Case("您需要自己联系快递公司。", (("ba.blame_others", "您需要自己联系快递"),)),
        id="you-contact-courier",
    ),
    pytest.param(Case("您记错了。", (("ba.argue", "您记错了"),)), id="you-remember-wrong"),
    pytest.param(
        Case("不是这样的，我们的活动规则是满200减20。", (("ba.argue", "不是这样的"),)),
        id="thats-not-how-it-is",
    ),
    pytest.param(Case("您这是无理取闹。", (("ba.argue", "无理取闹"),)), id="unreasonable"),
    pytest.param(
        Case("这张卡是您自己没按时还款，才产生的利息。", (("ba.customer_fault", "您自己没"),)),
        id="your-own-doing",
    ),
    pytest.param(
        Case(
            "肯定是您摔过，屏幕不会自己裂。",
            (
                ("ba.customer_fault", "肯定是您摔"),
                ("ba.customer_fault", "不会自己裂"),
            ),
        ),
        id="surely-you-dropped-it",
    ),
    pytest.param(
        Case("您是不是用了非原装的充电器？", (("ba.customer_fault", "您是不是用了非"),)),
        id="did-you-use-another-charger",
    ),
    pytest.param(
        Case("这道划痕说不定是原来就有的。", (("ba.customer_fault", "说不定是原来"),)), id="was-there-before"
    ),
    pytest.param(
        Case("这个鉴定结论我们是不认的。", (("ba.argue", "结论我们是不认的"),)), id="we-do-not-accept"
    ),
    pytest.param(
        Case("水表不会多计的，您家就是用得多。", (("ba.argue", "水表不会多计的"),)),
        id="the-meter-cannot-be-wrong",
    ),
    pytest.param(Case("挤压变形在运输中是难免的哈。", (("ba.dismissive", "难免的哈"),)), id="unavoidable"),
    pytest.param(
        Case("外观有点刮花，不影响使用就好。", (("ba.dismissive", "不影响使用就好"),)), id="still-usable"
    ),
    pytest.param(
        Case("建议您养成定期备份的习惯。", (("ba.dismissive", "建议您养成定期备份的习惯"),)),
        id="lecture-habit",
    ),
    pytest.param(Case("这个是办卡的基本常识。", (("ba.dismissive", "是办卡的基本常识"),)), id="common-sense"),
    pytest.param(
        Case("请您平时多留意短信通知。", (("ba.dismissive", "请您平时多留意"),)), id="lecture-pay-attention"
    ),
    pytest.param(Case("我们也是照章办事。", (("ba.dismissive", "照章办事"),)), id="by-the-book"),
    pytest.param(Case("协议上都写了呀。", (("ba.dismissive", "协议上都写了呀"),)), id="it-is-written"),
    pytest.param(Case("这一点早就跟您说明过。", (("ba.dismissive", "早就跟您说明过"),)), id="you-were-told"),
    pytest.param(
        Case("您也要体谅一下我们师傅。", (("ba.dismissive", "您也要体谅一下"),)),
        id="you-should-understand-us",
    ),
    pytest.param(Case("有问题就去营业厅找他们。", (("ba.deflect", "有问题就去营业厅"),)), id="ask-the-shop"),
    pytest.param(
        Case("老师迟到的问题您可以联系一下班主任反馈。", (("ba.deflect", "您可以联系一下班主任"),)),
        id="you-can-contact-them",
    ),
    pytest.param(
        Case("您签收的时候没当着快递员的面验货吧。", (("ba.customer_fault", "您签收的时候没"),)),
        id="what-you-failed-to-do-at-the-time",
    ),
    pytest.param(Case("这个不是我们发错了呢。", (("ba.argue", "不是我们发错"),)), id="not-our-mistake"),
    pytest.param(
        Case("这种情况不属于质量问题的。", (("ba.argue", "不属于质量问题"),)), id="ruled-out-as-no-defect"
    ),
    pytest.param(
        Case("之后的到账我司无法干预。", (("ba.no_apology", "我司无法干预"),)), id="we-cannot-intervene"
    ),
    pytest.param(
        Case("您是不是手机开静音了呀，", (("ba.rhetorical_question", "您是不是手机开静音了呀"),)),
        id="did-you-mute-it",
    ),
    pytest.param(
        Case("退款快慢主要还是看您这边了。", (("ba.dismissive", "主要还是看您这边了"),)), id="up-to-you"
    ),
    pytest.param(
        Case("一个周末都腾不出时间来取吗？", (("ba.rhetorical_question", "都腾不出时间来取吗？"),)),
        id="no-time-at-all",
    ),
    # Blame in other words: rhetorical questions, not our people, sent elsewhere, lecturing.
    pytest.param(
        Case("签收的时候您怎么没当面验货呢？", (("ba.rhetorical_question", "您怎么没当面验货呢？"),)),
        id="why-did-you-not",
    ),
    pytest.param(
        Case("您确定是在我们行存的？", (("ba.rhetorical_question", "您确定是在我们行存的？"),)),
        id="are-you-sure",
    ),
    pytest.param(Case("不会还是IE吧？", (("ba.rhetorical_question", "不会还是IE吧？"),)), id="still-on-ie"),
    pytest.param(
        Case("安装师傅是第三方派的，不是我们的员工。", (("ba.deflect", "不是我们的员工"),)),
        id="not-our-staff",
    ),
    pytest.param(
        Case("扣费是他们发起的，我们只是代收。", (("ba.deflect", "我们只是代收"),)), id="only-collecting"
    ),
    pytest.param(Case("医生的事归医务科管。", (("ba.deflect", "归医务科管"),)), id="someone-elses-job"),
    pytest.param(
        Case("您去三楼检验科窗口问问吧。", (("ba.deflect", "您去三楼检验科窗口问问"),)), id="go-ask-there"
    ),
    pytest.param(Case("破损责任在承运快递。", (("ba.deflect", "责任在承运快递"),)), id="the-couriers-fault"),
    pytest.param(Case("当初就不该去外面改。", (("ba.customer_fault", "当初就不该"),)), id="should-not-have"),
    pytest.param(
        Case("这类问题本可以避免。", (("ba.customer_fault", "本可以避免"),)), id="could-have-avoided"
    ),
    pytest.param(
        Case("这个常识很多人都知道。", (("ba.customer_fault", "很多人都知道"),)), id="everybody-knows"
    ),
    pytest.param(Case("是您没有查收邮件。", (("ba.customer_fault", "您没有查收"),)), id="you-did-not-check"),
    pytest.param(Case("我们出厂每台都测过的。", (("ba.argue", "出厂每台都测过"),)), id="factory-tested"),
    pytest.param(Case("是财务那边开的，您问他们吧。", (("ba.deflect", "您问他们吧"),)), id="ask-them"),
    pytest.param(
        Case("您让收款人去工行查吧。", (("ba.deflect", "您让收款人去工行查"),)), id="have-them-check"
    ),
    pytest.param(
        Case("建议您直接与楼下住户沟通。", (("ba.deflect", "您直接与楼下住户沟通"),)),
        id="settle-it-with-them",
    ),
    pytest.param(
        Case("那是您洗的方法不对吧。", (("ba.customer_fault", "您洗的方法不对"),)), id="wrong-method"
    ),
    pytest.param(
        Case("显示签收那就是送到了。", (("ba.argue", "显示签收那就是送到了"),)), id="shown-as-delivered"
    ),
    pytest.param(
        Case(
            "您用了三个月才说不好用，这让我们怎么处理呢？",
            (("ba.rhetorical_question", "让我们怎么处理呢？"),),
        ),
        id="how-are-we-to",
    ),
    pytest.param(
        Case("行李延误与本航空公司无关。", (("ba.no_apology", "与本航空公司无关"),)),
        id="nothing-to-do-with-us",
    ),
    pytest.param(
        Case("是亲自己拍小了呢。", (("ba.customer_fault", "是亲自己拍小了"),)), id="you-ordered-too-small"
    ),
    pytest.param(Case("这个属于使用不当哈。", (("ba.customer_fault", "属于使用不当"),)), id="misuse"),
    pytest.param(Case("并非我司系统故障。", (("ba.argue", "并非我司系统故障"),)), id="not-our-system"),
]

CLEAN = [
    pytest.param(
        Case("如果是我们或者快递公司的原因给您造成的不便，真的非常抱歉给您添麻烦了。"), id="002-conditional"
    ),
    pytest.param(
        Case("如果是我們或者快遞公司的原因給您造成的不便，真的非常抱歉給您添麻煩了。"),
        id="002-conditional-traditional",
    ),
    pytest.param(Case("如果是您操作失误导致的损坏，我们也会尽力帮您处理。"), id="conditional-customer-error"),
    pytest.param(
        Case("不管是您的原因还是快递公司的问题，我们都会及时为您解决。"), id="002-whoever-is-at-fault"
    ),
    pytest.param(Case("即使责任不在我们，也非常抱歉给您带来了不好的体验。"), id="004-even-if-not-our-fault"),
    pytest.param(Case("即便不是我们的问题，我们也会负责到底。"), id="even-if-not-our-problem"),
    pytest.param(Case("我明白您的意思，这确实是我们需要改进的地方。"), id="004-need-to-improve"),
    pytest.param(Case("您好，非常抱歉给您带来了不好的体验。"), id="004-apology"),
    pytest.param(Case("可能是我没说清楚，让您误会了，非常抱歉。"), id="agent-takes-blame"),
    pytest.param(Case("我们没有及时通知您，这是我们的问题，非常抱歉。"), id="owning-the-problem"),
    pytest.param(
        Case("可能是我们工作人员当时说话的方式方法欠妥，实在抱歉给您这样的感觉。"), id="002-staff-fault"
    ),
    pytest.param(Case("您说得对，这确实是我们的疏忽。"), id="you-are-right"),
    pytest.param(Case("您说客服告诉您“与我们无关”，对此我们深表歉意。"), id="quoted"),
    pytest.param(Case("您刚才说这是快递公司的问题，我们马上为您联系快递公司核实。"), id="reported-speech"),
    pytest.param(
        Case(
            "客服说与我们无关，这样的回答确实不妥，非常抱歉。",
            customer="你们客服说与我们无关，这是什么态度！",
        ),
        id="customer-echo",
    ),
    pytest.param(Case("非常抱歉给您带来不便，我们会主动为您联系快递公司核实处理。"), id="we-contact-courier"),
    pytest.param(
        Case(
            "亲亲，非常抱歉呢，我这边已经将您的宝贝提交给物流公司了哈，但是最近由于订单量比较多，物流比较繁忙，"
            "您这边先不要着急，我先联系快递公司询问一下情况好吗？"
        ),
        id="002-shipping-delay",
    ),
    pytest.param(
        Case(
            "亲亲，您可以放心哦~如果是我们宝贝质量的问题的话，我这边一定会为您处理好的，"
            "还请您配合一下发一张有质量问题的照片给我好吗？"
        ),
        id="002-quality-problem",
    ),
    pytest.param(Case("请您仔细核对一下收货地址，我们再为您安排补发。"), id="please-check-address"),
    pytest.param(Case("您没有看到短信也没关系，我再为您发送一次。"), id="missed-sms"),
    pytest.param(
        Case("我理解您現在的心情，如果我遇到這種情況，我也會感到著急。"), id="001-empathy-traditional"
    ),
    pytest.param(Case("这不可能是您的操作问题，我们会为您检测。"), id="not-your-fault"),
    pytest.param(
        Case(
            "非常抱歉给您带来不便，我们马上为您办理退货。",
            customer="不管是你们的错还是快递的错，我都要退货！",
        ),
        id="customer-blames-us",
    ),
    pytest.param(Case("我们会为您检测，确认是否是产品质量问题。"), id="inspection"),
    pytest.param(Case("我们会核实是不是我们的问题，并尽快联系您。"), id="whether-our-problem"),
    pytest.param(
        Case("非常给您带来不便，我们会重视您反馈的问题，并尽快为您核实处理。"), id="003-complaint-template"
    ),
    pytest.param(Case("为了避免您操作失误，我们建议按步骤操作。"), id="to-avoid-mistakes"),
    pytest.param(Case("如果不是这样的，请告诉我。"), id="conditional-not-so"),
    pytest.param(Case("是我们物业的责任，我们马上派人处理。"), id="our-own-responsibility"),
    pytest.param(Case("不需要您自己去找快递，我们来联系。"), id="no-errand-for-you"),
    pytest.param(Case("因为您还在保修期内，符合免费维修的条件。"), id="reason-in-your-favour"),
    pytest.param(Case("您办理时页面默认勾选了短信提醒，我已帮您取消。"), id="page-default"),
    pytest.param(Case("请您今后留意使用安全。"), id="safety-advice"),
    pytest.param(Case("您应当妥善保管好密码。"), id="safekeeping-advice"),
    pytest.param(Case("这个功能原来就有的。"), id="feature-was-there"),
    pytest.param(Case("您是不是买了两件？"), id="information-question"),
    pytest.param(Case("我们绝对不会泄露您的个人信息。"), id="privacy-reassurance"),
    pytest.param(Case("具体选哪款主要看您的需求。"), id="depends-on-your-needs"),
    pytest.param(Case("您以后多关注店铺活动哦。"), id="follow-the-shop"),
    pytest.param(Case("您那边都没有收到吗？"), id="nothing-arrived-question"),
    pytest.param(Case("这个是我们售后负责的，您可以直接联系我。"), id="our-own-department"),
    pytest.param(Case("我们会核实是不是我们的问题，并尽快联系您。"), id="checking-whether-it-is-ours"),
    pytest.param(Case("您到时可以咨询一下配送师傅。"), id="at-that-time-not-a-place"),
    pytest.param(Case("建议您以后可以考虑在其他时间段充值。"), id="advice-for-later"),
    pytest.param(Case("这件事归我们管，我马上为您处理。"), id="our-own-job"),
    pytest.param(Case("非常抱歉，是我们仓库配货时拿错了颜色。"), id="our-warehouse-owned"),
    pytest.param(Case("根据平台的超时赔付规则，赔付已发放至您的账户。"), id="late-delivery-rule"),
    pytest.param(Case("退款已完成，如未到账请联系建设银行。"), id="if-not-received-contact-the-bank"),
    pytest.param(Case("如需紧急协助，您也可以拨打7×24支持热线。"), id="an-option-beside-our-help"),
    pytest.param(Case("如果您暂时没办法找到订单号也没关系。"), id="for-now-is-no-time"),
    pytest.param(Case("经检测属于质量问题，我们为您免费换新。"), id="a-defect-confirmed"),
    pytest.param(Case("您的行李在首都机场中转时未能同机抵达，非常抱歉。"), id="your-luggage-not-you"),
    pytest.param(Case("您可以联系下站点，我们这面也催下站点的。"), id="we-chase-them-too"),
    pytest.param(
        Case("按照平台送错餐的保障规则，这一单的餐费为您全额退回。"), id="refund-by-the-platform-rule"
    ),
    pytest.param(Case("骑手超时的情况我已经登记，2个工作日内给您反馈。"), id="courier-delay-taken-on"),
    pytest.param(Case("我这边联系商家核实是打包还是配送环节的问题。"), id="which-step-went-wrong"),
    pytest.param(Case("网点和时间您也说得很清楚了，我已经为您提交核查。"), id="thanks-for-clear-details"),
    pytest.param(
        Case("我们在系统中查不到您这个航班的乘机记录，因此里程暂时无法补登。"), id="looked-you-up-so"
    ),
    pytest.param(Case("结果将以邮件方式告知您；如最终确认存在问题，我们会处理。"), id="will-tell-you-then"),
]


@pytest.mark.parametrize("case", FLAGGED + CLEAN)
def test_blame_or_argue_findings(case: Case) -> None:
    assert findings(case) == sorted(case.expected)


def test_tables_are_large_enough() -> None:
    assert len(FLAGGED) >= 20 and len(CLEAN) >= 20 and len(FLAGGED) + len(CLEAN) >= 25


def test_blame_blocks_with_fix_and_source() -> None:
    report = guards.check("这是您自己的问题。")
    [violation] = [v for v in report.violations if v.category == CATEGORY]
    assert violation.severity == "block" and not report.ok
    assert violation.suggestion
    assert violation.source.startswith("001_85890bef52b3649a.txt")
