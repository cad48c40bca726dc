"""forbidden_phrase: the documents' bad phrases are flagged, their model sentences are clean."""

from __future__ import annotations

import pytest
from guard_cases import Case, category_findings

import guards

CATEGORY = "forbidden_phrase"
ZWSP = "\u200b"
ZWJ = "\u200d"


def findings(case: Case) -> list[tuple[str, str]]:
    """This category's findings for `case`."""
    return category_findings(case, CATEGORY)


FLAGGED = [
    pytest.param(
        Case(
            "亲，这个我也不知道，您自己看说明吧！",
            (("fp.dont_know", "不知道"), ("fp.read_manual", "您自己看说明")),
        ),
        id="issue-example",
    ),
    pytest.param(Case("这个问题我不清楚。", (("fp.dont_know", "不清楚"),)), id="003-bu-qingchu"),
    pytest.param(Case("這個我也不知道。", (("fp.dont_know", "不知道"),)), id="traditional-bu-zhidao"),
    pytest.param(Case("這個我不曉得。", (("fp.dont_know", "不曉得"),)), id="traditional-bu-xiaode"),
    pytest.param(
        Case(f"我们不{ZWSP}知道这个情况。", (("fp.dont_know", f"不{ZWSP}知道"),)), id="zero-width-inside"
    ),
    pytest.param(Case(f"我們也不{ZWJ}清楚。", (("fp.dont_know", f"不{ZWJ}清楚"),)), id="zwj-traditional"),
    pytest.param(Case("非常抱歉,没办法接受指定快递的哈", (("fp.no_way", "没办法"),)), id="002-taobao-no-way"),
    pytest.param(
        Case("您反映的问题我们没办法处理。", (("fp.no_way", "没办法"),)), id="noun-phrase-not-reported"
    ),
    pytest.param(Case("这个我们做不到。", (("fp.cannot_do", "这个我们做不到"),)), id="004-cannot-do"),
    pytest.param(Case("这个我们办不到。", (("fp.cannot_do", "这个我们办不到"),)), id="cannot-do-ban"),
    pytest.param(
        Case(
            "我们也没有办法，这是规定。",
            (("fp.its_the_rule", "这是规定"), ("fp.nothing_we_can_do", "我们也没有办法")),
        ),
        id="002-no-way-its-the-rule",
    ),
    pytest.param(Case("這是規定，請您諒解。", (("fp.its_the_rule", "這是規定"),)), id="traditional-rule"),
    pytest.param(
        Case("我們也沒有辦法！", (("fp.nothing_we_can_do", "我們也沒有辦法"),)), id="traditional-nothing"
    ),
    pytest.param(Case("这是公司规定，不能退。", (("fp.its_the_rule", "这是公司规定"),)), id="company-rule"),
    pytest.param(Case("按规定不能退款。", (("fp.its_the_rule", "按规定不能"),)), id="by-the-rules-no"),
    pytest.param(
        Case(
            "我查不到，我也帮不了你。",
            (("fp.cannot_find_cannot_help", "我也帮不了你"), ("fp.cannot_find_cannot_help", "我查不到")),
        ),
        id="002-cannot-find-cannot-help",
    ),
    pytest.param(
        Case(
            "我们系统没权限，我只能查到广东的。",
            (("fp.no_permission", "我们系统没权限"), ("fp.no_permission", "我只能查到")),
        ),
        id="002-no-permission",
    ),
    pytest.param(Case("请稍等。", (("fp.please_wait", "请稍等"),)), id="bare-please-wait"),
    pytest.param(Case("您稍等一下，我看看。", (("fp.please_wait", "您稍等一下"),)), id="please-wait-a-bit"),
    pytest.param(
        Case("请稍等，我马上为您处理。", (("fp.please_wait", "请稍等"),)), id="wait-without-duration"
    ),
    pytest.param(
        Case("请您稍等30分钟，我马上为您处理。", (("fp.please_wait", "请您稍等"),)), id="wait-too-long"
    ),
    pytest.param(Case("恩恩，请稍等哟。", (("fp.please_wait", "请稍等"),)), id="002-tip-please-wait-yo"),
    pytest.param(
        Case("很抱歉让您久等了。", (("fp.sorry_for_wait", "很抱歉让您久等了"),)), id="002-sorry-for-wait"
    ),
    pytest.param(
        Case("亲,让您久等了,这两款风格简洁、时尚,很受年轻人喜欢哦", (("fp.sorry_for_wait", "让您久等了"),)),
        id="002-taobao-kept-waiting",
    ),
    pytest.param(
        Case("您自己去官网看一下说明吧。", (("fp.read_manual", "您自己去官网看一下说明"),)),
        id="read-manual-on-site",
    ),
    pytest.param(Case("我也没办法。", (("fp.nothing_we_can_do", "我也没办法"),)), id="i-also-no-way"),
    pytest.param(
        Case("客服说这是规定，这样的回答确实不妥，非常抱歉。", (("fp.its_the_rule", "这是规定"),)),
        id="no-customer-message-no-echo",
    ),
    pytest.param(Case("我不太清楚。", (("fp.not_sure", "不太清楚"),)), id="not-quite-sure"),
    pytest.param(Case("不知道您在说什么。", (("fp.dont_know", "不知道"),)), id="not-a-polite-question"),
    pytest.param(Case("请稍候，我马上为您查询。", (("fp.please_wait", "请稍候"),)), id="please-wait-hou"),
    pytest.param(
        Case("这是我们公司的规定。", (("fp.its_the_rule", "这是我们公司的规定"),)), id="our-company-rule"
    ),
    pytest.param(
        Case("按照规定不能退。", (("fp.its_the_rule", "按照规定不能"),)), id="according-to-rules-no"
    ),
    pytest.param(Case("这个我们做不了。", (("fp.cannot_do", "这个我们做不了"),)), id="cannot-do-liao"),
    pytest.param(Case("我实在无能为力。", (("fp.nothing_we_can_do", "我实在无能为力"),)), id="powerless"),
    pytest.param(Case("不好意思，久等了。", (("fp.sorry_for_wait", "久等了"),)), id="kept-waiting-bare"),
    pytest.param(
        Case("流程就是这样的。", (("fp.its_the_rule", "流程就是这样的"),)), id="procedure-is-what-it-is"
    ),
    pytest.param(Case("全国都一样，没有例外。", (("fp.its_the_rule", "全国都一样"),)), id="same-everywhere"),
    pytest.param(
        Case("您自己对照说明操作一下就行。", (("fp.read_manual", "您自己对照说明操作一下就行"),)),
        id="follow-it-yourself",
    ),
    pytest.param(
        Case(
            "说明书上都有，您自己照着做吧。",
            (("fp.read_manual", "说明书上都有"), ("fp.read_manual", "您自己照着做")),
        ),
        id="follow-it-yourself-2",
    ),
    pytest.param(Case("多大点事儿。", (("fp.dismissive", "多大点事儿"),)), id="no-big-deal"),
    # The same refusals in everyday words.
    pytest.param(Case("这个我还真说不上来。", (("fp.not_sure", "说不上来"),)), id="cannot-say"),
    pytest.param(Case("能不能用我也吃不准哈。", (("fp.not_sure", "吃不准"),)), id="not-certain-chi"),
    pytest.param(Case("参数这块我是外行。", (("fp.not_sure", "我是外行"),)), id="layman"),
    pytest.param(
        Case("物流信息我这边刷不出来。", (("fp.cannot_find_cannot_help", "我这边刷不出来"),)),
        id="cannot-load",
    ),
    pytest.param(Case("自定义字段我们搞不了。", (("fp.cannot_do", "我们搞不了"),)), id="cannot-do-gao"),
    pytest.param(Case("这件事确实无计可施。", (("fp.nothing_we_can_do", "无计可施"),)), id="no-way-out"),
    pytest.param(
        Case("价保是公司统一定的，不给补差价。", (("fp.its_the_rule", "公司统一定的"),)), id="company-set-it"
    ),
    pytest.param(
        Case("政策上就是这么写的。", (("fp.its_the_rule", "政策上就是这么写的"),)), id="policy-says-so"
    ),
    pytest.param(
        Case("请您自行登录官网查阅相关条款。", (("fp.read_manual", "请您自行登录官网查阅"),)),
        id="look-it-up-yourself",
    ),
    pytest.param(
        Case("公众号推了，您自己翻翻就有。", (("fp.read_manual", "您自己翻翻就有"),)), id="find-it-yourself"
    ),
    pytest.param(
        Case("不好意思让您干等了这么半天。", (("fp.sorry_for_wait", "让您干等了这么半天"),)),
        id="waited-so-long",
    ),
    pytest.param(Case("等下哈，我这边人多。", (("fp.please_wait", "等下哈"),)), id="wait-a-bit"),
    pytest.param(Case("亲 刻字这个咱家弄不了哈", (("fp.cannot_do", "咱家弄不了"),)), id="cannot-do-our-shop"),
    pytest.param(
        Case("建议您认真阅读文档后再进行调试。", (("fp.read_manual", "认真阅读文档"),)),
        id="read-the-docs-first",
    ),
    pytest.param(
        Case("超过单日限额了，看下提示信息就知道了。", (("fp.read_manual", "看下提示信息就知道了"),)),
        id="the-message-says-so",
    ),
    pytest.param(
        Case("那亲可以去别家买哈，我们家就这个价。", (("fp.dismissive", "可以去别家买"),)), id="buy-elsewhere"
    ),
    pytest.param(Case("这个真说不准哈亲", (("fp.not_sure", "真说不准"),)), id="really-cannot-say"),
    pytest.param(
        Case(
            "这是我们机构的规矩，没法通融的。",
            (("fp.its_the_rule", "这是我们机构的规矩"), ("fp.no_way", "没法通融")),
        ),
        id="our-rule-no-exception",
    ),
    pytest.param(
        Case("说明书第5页有写的，您翻一下就知道了。", (("fp.read_manual", "您翻一下就知道了"),)),
        id="leaf-through-it",
    ),
    pytest.param(
        Case("发票的事请找财务，我们客服开不了。", (("fp.cannot_do", "开不了"),)), id="cannot-issue-it"
    ),
    pytest.param(
        Case("价格是随时调整的，这个没法补哈。", (("fp.no_way", "没法补"),)), id="no-way-to-make-up"
    ),
    pytest.param(
        Case("手续费规则APP里都写着呢。", (("fp.read_manual", "APP里都写着呢"),)), id="all-written-in-the-app"
    ),
    pytest.param(Case("这种问题您百度一下就有了。", (("fp.read_manual", "百度一下就有"),)), id="search-it"),
    pytest.param(
        Case("您先等一下，我这边要先登记。", (("fp.please_wait", "您先等一下"),)), id="wait-a-moment"
    ),
    pytest.param(
        Case("现在忙着呢，您晚点再打过来。", (("fp.dismissive", "晚点再打过来"),)), id="call-back-later"
    ),
    pytest.param(Case("这个急不来的亲。", (("fp.dismissive", "急不来"),)), id="cannot-be-hurried"),
    pytest.param(
        Case("另一件是分开发的，您自己看一下物流。", (("fp.read_manual", "您自己看一下"),)),
        id="look-yourself",
    ),
    pytest.param(
        Case("您爱怎样都行，我也就是个打工的。", (("fp.dismissive", "我也就是个打工的"),)), id="just-a-worker"
    ),
    pytest.param(
        Case("现在系统升级，查不了，您明天再打吧。", (("fp.dismissive", "明天再打"),)), id="call-tomorrow"
    ),
    pytest.param(
        Case("超过7天就不能无理由退了，您再问也是一样的。", (("fp.dismissive", "您再问也是一样"),)),
        id="asking-again",
    ),
    pytest.param(
        Case("利率每天都在变，您自己上官网看吧。", (("fp.read_manual", "您自己上官网看吧"),)),
        id="see-the-website",
    ),
    pytest.param(
        Case("账号已经封了，申诉也没用。", (("fp.dismissive", "申诉也没用"),)), id="no-use-appealing"
    ),
    pytest.param(
        Case("退费是教务的事，我们前台不管这个。", (("fp.dismissive", "我们前台不管这个"),)),
        id="not-our-desk",
    ),
]

CLEAN = [
    pytest.param(Case("不知道您是否方便提供订单号？"), id="polite-bu-zhidao"),
    pytest.param(Case("不知道您是否方便提供訂單號？"), id="polite-traditional"),
    pytest.param(Case("不知道您之前有没有接触过三面翻呢？"), id="002-sales-polite-question"),
    pytest.param(Case("不知道您可不可以留一个邮箱或者联系方式给我？"), id="002-sales-polite-request"),
    pytest.param(Case("如果您暂时没办法提供订单号也没关系。"), id="conditional-no-way"),
    pytest.param(Case("請問您有什麼不清楚的地方嗎？"), id="traditional-anything-unclear"),
    pytest.param(Case("您可能不清楚具体的退货流程，我来为您说明一下。"), id="customer-may-not-know"),
    pytest.param(Case("您发的照片有点不清楚，麻烦您重新拍一张。"), id="blurry-photo"),
    pytest.param(Case("您上传的截图不太清楚，麻烦您重新发一张。"), id="blurry-screenshot"),
    pytest.param(Case("您可能不太清楚退货流程，我来为您说明。"), id="customer-may-not-be-sure"),
    pytest.param(Case("请问我解释清楚了吗？"), id="004-explained-clearly"),
    pytest.param(Case("您提到“这是规定”，我们非常理解您的不满。"), id="quoted-rule"),
    pytest.param(
        Case("之前的客服说「我们也没有办法」，这样的回答让您失望了，非常抱歉。"), id="quoted-earlier-reply"
    ),
    pytest.param(Case("您刚才说我们客服不知道怎么处理，非常抱歉。"), id="reported-speech"),
    pytest.param(
        Case("客服说这是规定，这样的回答确实不妥，非常抱歉。", customer="你们客服说这是规定，这是什么态度？"),
        id="customer-echo",
    ),
    pytest.param(Case("您好，当前有位客户在线，请您稍等1分钟，我马上为您处理。"), id="003-wait-one-minute"),
    pytest.param(Case("请您稍等１分钟，我马上为您处理。"), id="full-width-one-minute"),
    pytest.param(Case("非常感谢您的耐心等待。"), id="002-positive-wait"),
    pytest.param(Case("我为您查询一下，我们会尽力帮您解决。"), id="003-replacements"),
    pytest.param(Case("我们可以尝试为您提供替代方案。"), id="004-replacement"),
    pytest.param(
        Case(
            "您好！由于我暂时无法通过系统查询到您的信息，建议您拨打当地的10010或是亲临当地的营业厅进行查询。"
            "由此给您带来的不便深表歉意，请您谅解，谢谢！"
        ),
        id="002-script-05",
    ),
    pytest.param(
        Case(
            "但是在线客服这边目前由于权限问题查询不到您的号码详情，建议您拨打10010或者到当地营业厅查询详情。"
            "给您带来不便，请您多多谅解。"
        ),
        id="002-script-06",
    ),
    pytest.param(Case("很抱歉给您带来不愉快，我也很遗憾无法帮助到您。请您谅解。"), id="002-script-09"),
    pytest.param(Case("请问您反映的情况是什么呢？"), id="002-reflected-situation"),
    pytest.param(
        Case("活动详情您可以查看我们页面的活动说明，里面有详细的规则介绍。"), id="000-activity-details"
    ),
    pytest.param(Case("您也可以自己在官网查看详情，如有疑问随时联系我们。"), id="002-self-service-offer"),
    pytest.param(Case("我自己查一下详情，马上回复您。"), id="agent-checks-details"),
    pytest.param(
        Case("您提到的这个问题，我为您查询到详细说明如下，您也可以通过我们官网的产品中心进一步知晓。"),
        id="003-consult-answer",
    ),
    pytest.param(Case("如果查不到物流信息，我会为您联系快递公司核实。"), id="conditional-cannot-find"),
    pytest.param(Case("如果做不到，我们会提前告知您。"), id="conditional-cannot-do"),
    pytest.param(Case("您可以自行在官网了解活动规则。"), id="self-service-offer-zixing"),
    pytest.param(Case("我们需要向您了解一些具体信息。"), id="agent-wants-to-learn"),
    pytest.param(Case("如果找不到自提点，可以给您约取件。"), id="conditional-cannot-find-zhao"),
    pytest.param(Case("等下单成功后会有短信通知。"), id="wait-is-part-of-a-word"),
    pytest.param(Case("说不准明天就能到，我帮您盯着。"), id="cannot-say-as-a-maybe"),
    pytest.param(
        Case("建议您仔细阅读套餐说明中的资费部分，我也为您标出来了。"), id="package-terms-pointed-out"
    ),
    pytest.param(Case("非常理解您的感受，请您别着急，我们一定会帮您妥善处理。"), id="003-soothe"),
    pytest.param(
        Case(
            "非常抱歉给您带来了不好的体验，让您着急了，我非常理解您的心情。为了能尽快帮您解决问题，"
            "麻烦您和我说一下具体在什么情况下会出现闪退呢？比如是进行到哪个操作步骤，当时网络环境怎么样？"
        ),
        id="000-complaint-template",
    ),
    pytest.param(Case("马上为您查询，请稍等1分钟。"), id="action-then-one-minute"),
    pytest.param(Case("请您稍等1-2分钟，我马上为您处理。"), id="one-to-two-minutes"),
    pytest.param(Case("这件事情我们会跟进。"), id="this-matter"),
    pytest.param(Case("您可以对照订单核对一下数量吗？"), id="please-compare"),
    pytest.param(Case("请您仔细阅读协议后再确认。"), id="read-before-signing"),
    pytest.param(Case("如果七天内退不了，我们会先为您垫付。"), id="cannot-refund-as-a-condition"),
    pytest.param(Case("详情页也有写尺码建议，我再帮您对一下。"), id="the-page-has-it-too"),
    pytest.param(Case("我们回头再联系您确认安装时间。"), id="we-call-you-back"),
    pytest.param(Case("师傅明天再来您家复查一次。"), id="the-technician-comes-again"),
    pytest.param(Case("麻烦您自己看一下是否收到了短信？"), id="please-check-whether"),
    # 002 only suggests 您反映的情况 instead of 投诉; not a forbidden phrase (see not_enforced).
    pytest.param(Case("您的投诉我们已经收到。"), id="002-complaint-word-is-a-suggestion"),
]


@pytest.mark.parametrize("case", FLAGGED + CLEAN)
def test_forbidden_phrase_findings(case: Case) -> None:
    assert findings(case) == sorted(case.expected)


def test_tables_are_large_enough() -> None:
    assert len(FLAGGED) >= 25 and len(CLEAN) >= 25


def test_finding_carries_fix_and_source() -> None:
    [violation] = [v for v in guards.check("这是规定。").violations if v.category == CATEGORY]
    assert violation.severity == "block"
    assert violation.suggestion
    assert violation.source.startswith("002_9cdc463163140990.txt")


def test_please_wait_only_warns() -> None:
    [violation] = [v for v in guards.check("请稍等。").violations if v.category == CATEGORY]
    assert violation.severity == "warn"
    assert guards.check("请稍等。").ok
