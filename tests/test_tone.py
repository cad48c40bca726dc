"""tone: impatient, commanding, sarcastic words, ！ online, ？？/！！ everywhere, ALL CAPS shouting."""

from __future__ import annotations

from pathlib import Path

import pytest
from guard_cases import Case, category_findings

import guards
from guards.policy import Channel

CATEGORY = "tone"
ZWSP = "\u200b"


def findings(case: Case) -> list[tuple[str, str]]:
    """This category's findings for `case`."""
    return category_findings(case, CATEGORY)


FLAGGED = [
    pytest.param(Case("好的，我们马上为您处理！", (("tone.exclamation", "！"),)), id="online-exclamation"),
    pytest.param(Case("好的!", (("tone.exclamation", "!"),)), id="online-half-width-exclamation"),
    pytest.param(Case("新年好！", (("tone.exclamation", "！"),)), id="004-greeting-online"),
    pytest.param(
        Case("很高兴为您服务，后续如有问题，欢迎随时联系，祝您愉快！", (("tone.exclamation", "！"),)),
        id="003-online-closing",
    ),
    pytest.param(
        Case("真的吗？？", (("tone.repeated_punctuation", "？？"),), channel="phone"), id="repeated-phone"
    ),
    pytest.param(
        Case("您确定吗?!", (("tone.repeated_punctuation", "?!"),), channel="email"), id="repeated-email-mixed"
    ),
    pytest.param(Case("真的非常抱歉！！", (("tone.repeated_punctuation", "！！"),)), id="repeated-online"),
    pytest.param(
        Case(f"真的吗？{ZWSP}？", (("tone.repeated_punctuation", f"？{ZWSP}？"),)), id="repeated-zero-width"
    ),
    pytest.param(
        Case("好的‼", (("tone.repeated_punctuation", "‼"),), channel="phone"), id="double-mark-character"
    ),
    pytest.param(Case("好的﹗", (("tone.exclamation", "﹗"),)), id="small-form-exclamation"),
    pytest.param(Case("PLEASE WAIT", (("tone.all_caps", "PLEASE WAIT"),)), id="caps-online"),
    pytest.param(
        Case("PLEASE CHECK YOUR ORDER", (("tone.all_caps", "PLEASE CHECK YOUR ORDER"),), channel="email"),
        id="caps-email",
    ),
    pytest.param(
        Case("请注意：ＰＬＥＡＳＥ　ＷＡＩＴ", (("tone.all_caps", "ＰＬＥＡＳＥ　ＷＡＩＴ"),)),
        id="caps-full-width",
    ),
    pytest.param(
        Case("我已经说过很多遍了。", (("tone.impatient", "我已经说过很多遍了"),)), id="said-many-times"
    ),
    pytest.param(
        Case("我不是已经告诉您了吗？", (("tone.impatient", "我不是已经告诉您了吗"),)), id="didnt-i-tell-you"
    ),
    pytest.param(Case("您听懂了吗？", (("tone.impatient", "您听懂了吗"),)), id="do-you-understand"),
    pytest.param(Case("呵呵，您再看看吧。", (("tone.sarcastic_particle", "呵呵"),)), id="002-hehe"),
    pytest.param(
        Case(f"呵{ZWSP}呵，好吧。", (("tone.sarcastic_particle", f"呵{ZWSP}呵"),)), id="hehe-zero-width"
    ),
    pytest.param(Case("哈哈哈，好的。", (("tone.casual_particle", "哈哈哈"),)), id="002-hahaha"),
    pytest.param(Case("晕，系统又卡了。", (("tone.casual_particle", "晕"),)), id="002-yun"),
    pytest.param(
        Case("HOHO，好的。", (("tone.casual_particle", "HOHO"),)),
        id="002-hoho-capitals-are-no-english-word",
    ),
    pytest.param(Case("hoho，好的。", (("tone.casual_particle", "hoho"),)), id="002-hoho"),
    pytest.param(
        Case("恩，好的，我给您记录一下。", (("tone.phone_filler", "恩"),), channel="phone"), id="002-phone-en"
    ),
    pytest.param(
        Case("喂，您好，请问有什么可以帮您？", (("tone.phone_filler", "喂"),), channel="phone"),
        id="002-phone-wei",
    ),
    pytest.param(
        Case("哦，那我帮您看一下。", (("tone.phone_filler", "哦"),), channel="phone"), id="002-phone-o"
    ),
    pytest.param(Case("连这个都不会？", (("tone.sarcastic", "连这个都不会"),)), id="002-sarcastic"),
    pytest.param(Case("連這個都不會？", (("tone.sarcastic", "連這個都不會"),)), id="sarcastic-traditional"),
    pytest.param(Case("这都不会吗？", (("tone.sarcastic", "这都不会"),)), id="cant-even-do-this"),
    pytest.param(Case("你给我等着。", (("tone.commanding", "你给我等着"),)), id="you-wait"),
    pytest.param(Case("少废话，把订单号发来。", (("tone.commanding", "少废话"),)), id="cut-the-crap"),
    pytest.param(Case("您赶紧把照片发过来。", (("tone.commanding", "您赶紧把"),)), id="hurry-up"),
    pytest.param(Case("您必须先提供订单号。", (("tone.demanding", "您必须"),)), id="you-must"),
    pytest.param(Case("您是不是脑子进水了？", (("tone.insulting", "脑子进水"),)), id="insult"),
    pytest.param(
        Case("你好，请问有什么可以帮你？", (("tone.use_nin", "你"), ("tone.use_nin", "你"))), id="003-use-nin"
    ),
    pytest.param(Case("你必须注意保管好密码。", (("tone.use_nin", "你"),)), id="cancelled-rule-keeps-others"),
    pytest.param(Case("嗯嗯，好的。", (("tone.phone_filler", "嗯嗯"),), channel="phone"), id="phone-en-en"),
    pytest.param(
        Case("这个我不知道啊，您稍等。", (("tone.phone_filler", "啊"),), channel="phone"),
        id="phone-closing-a",
    ),
    pytest.param(
        Case("好的哦，我给您记录一下。", (("tone.phone_filler", "哦"),), channel="phone"),
        id="phone-final-particle",
    ),
    pytest.param(
        Case("您先听我说完，这是两笔扣费。", (("tone.impatient", "您先听我说完"),)), id="let-me-finish"
    ),
    pytest.param(
        Case("到时候可别说我们没提醒过您。", (("tone.impatient", "可别说我们没提醒过您"),)),
        id="dont-say-we-didnt-warn",
    ),
    pytest.param(
        Case("Invite links EXPIRE after 24 hours.", (("tone.all_caps", "EXPIRE"),), channel="email"),
        id="caps-warning-word",
    ),
    pytest.param(Case("预售的，七天内发，慌啥呀。", (("tone.rebuking", "慌啥呀"),)), id="rebuke-hurry"),
    pytest.param(Case("犯不着发这么大火吧。", (("tone.rebuking", "犯不着发这么大火"),)), id="rebuke-anger"),
    pytest.param(Case("您说话放尊重一点。", (("tone.rebuking", "说话放尊重一点"),)), id="rebuke-words"),
    pytest.param(
        Case("再这样我们只能挂断了。", (("tone.rebuking", "再这样我们只能挂"),), channel="phone"),
        id="threaten-to-hang-up",
    ),
    pytest.param(Case("已经登记了，老实等着吧。", (("tone.rebuking", "老实等着吧"),)), id="just-wait"),
    pytest.param(Case("收到啦老铁。", (("tone.casual_address", "老铁"),)), id="casual-address"),
    pytest.param(
        Case(
            "这都让您碰上了，运气真好啊。",
            (
                ("tone.sarcastic", "这都让您碰上了"),
                ("tone.sarcastic", "运气真好啊"),
            ),
        ),
        id="mock-luck",
    ),
    pytest.param(
        Case("您再问我也还是这个答复。", (("tone.impatient", "再问我也还是这个"),)), id="same-answer"
    ),
    pytest.param(Case("别再来问进度了。", (("tone.impatient", "别再来问进度了"),)), id="stop-asking"),
    pytest.param(Case("听明白没有？", (("tone.impatient", "听明白没有"),)), id="understood-or-not"),
    pytest.param(
        Case("还有其他客户在排队。", (("tone.impatient", "还有其他客户在排队"),)), id="others-waiting"
    ),
    pytest.param(
        Case("要就下单，不要就算了。", (("tone.impatient", "要就下单，不要就算了"),)),
        id="take-it-or-leave-it",
    ),
    pytest.param(Case("这个我已经说了三遍了。", (("tone.impatient", "我已经说了"),)), id="said-three-times"),
    pytest.param(Case("上面回复过了，往上翻一下。", (("tone.impatient", "往上翻"),)), id="scroll-up"),
]

CLEAN = [
    pytest.param(Case("您的iPhone需要用USB线连接APP，ID请保持登录。"), id="product-names-and-abbreviations"),
    pytest.param(Case("我们的APP和PC端都支持，VIP用户可优先处理。"), id="allowed-caps"),
    pytest.param(Case("这款支持DIY组装，OK的话我为您登记。"), id="short-abbreviations"),
    pytest.param(Case("WiFi和HDMI都支持。"), id="mixed-case"),
    pytest.param(Case("您提到页面一直显示“PLEASE WAIT”，我们马上为您查询。"), id="quoted-caps"),
    pytest.param(
        Case(
            "您好，APP一直显示PLEASE WAIT，进不去的情况我已经记录，马上为您查询。",
            customer="APP一直显示PLEASE WAIT，进不去？？",
        ),
        id="customer-echo-caps",
    ),
    pytest.param(Case("页面提示“余额不足！”，我们马上为您核实。"), id="quoted-exclamation"),
    pytest.param(Case("PLEASE WAIT", channel="phone"), id="caps-not-on-phone"),
    pytest.param(Case("感谢您的来电，祝您生活愉快，再见！", channel="phone"), id="003-phone-closing"),
    pytest.param(Case("您好！很高兴为您服务。", channel="phone"), id="phone-greeting"),
    pytest.param(Case("请问有什么可以帮您?"), id="single-question-mark"),
    pytest.param(Case("好的哦，请您放心呢。"), id="online-particles"),
    pytest.param(Case("好的啊，收到了哦。"), id="online-closing-particles"),
    pytest.param(Case("恩恩，好的，请稍等哟。"), id="002-online-en-en"),
    pytest.param(Case("哦，原来是这样，我马上为您查询。"), id="online-o"),
    pytest.param(Case("嗯，是的，我明白了。", channel="phone"), id="001-004-listening"),
    pytest.param(
        Case("嗯，我能理解如果遇到这样的情况确实让人恼火。", channel="phone"), id="002-script-18-phone"
    ),
    pytest.param(Case("如果您使用后感到有点晕，请立即停止使用并联系我们。"), id="dizzy-not-particle"),
    pytest.param(Case("您必须注意保管好自己的密码。"), id="must-take-care"),
    pytest.param(Case("我赶紧给您查一下物流。"), id="agent-hurries"),
    pytest.param(Case("麻烦您给我发一下订单截图。"), id="polite-send-me"),
    pytest.param(Case("这也不会影响您的正常使用。"), id="will-not-affect"),
    pytest.param(Case("您看好了哪一款呢？"), id="which-one-you-like"),
    pytest.param(Case("请问我解释清楚了吗？"), id="004-check-understanding"),
    pytest.param(Case("师傅下午上门，您在家等着就行。"), id="reassuring-wait-at-home"),
    pytest.param(Case("我们急您所急，您先消消气。"), id="we-share-your-hurry"),
    pytest.param(Case("请问是什么原因导致的呢？"), id="asking-the-cause"),
    pytest.param(Case("您说过几次这个问题，非常抱歉一直没有解决。"), id="reported-repetition"),
    pytest.param(Case("我们会分几次为您发货。"), id="several-shipments"),
    pytest.param(Case("非常理解您的感受，请您别着急，我们一定会帮您妥善处理。"), id="003-soothe"),
    pytest.param(
        Case(
            "亲亲您好，很高兴为您服务，喜欢什么宝贝拍下即可~如有其它问题欢迎留言哟，我这边看到会尽快联系您哒。"
        ),
        id="002-taobao-welcome",
    ),
    pytest.param(Case("这款有迷你版。"), id="mini-is-not-ni"),
    pytest.param(Case("请您务必在24小时内付款。"), id="please-be-sure"),
    pytest.param(Case("通过XXXX进行查询，路径：XXX。"), id="002-placeholders"),
]


@pytest.mark.parametrize("case", FLAGGED + CLEAN)
def test_tone_findings(case: Case) -> None:
    assert findings(case) == sorted(case.expected)


def test_tables_are_large_enough() -> None:
    assert len(FLAGGED) >= 25 and len(CLEAN) >= 25


@pytest.mark.parametrize(
    ("text", "channel", "rule_id", "severity"),
    [
        ("好的！", "online", "tone.exclamation", "warn"),
        ("好的！", "phone", "tone.exclamation", None),
        ("好的！", "email", "tone.exclamation", "warn"),
        ("尊敬的客户，您好！", "email", "tone.exclamation", "warn"),
        ("好的？？", "online", "tone.repeated_punctuation", "block"),
        ("好的？？", "phone", "tone.repeated_punctuation", "block"),
        ("好的？？", "email", "tone.repeated_punctuation", "block"),
        ("PLEASE WAIT", "online", "tone.all_caps", "warn"),
        ("PLEASE WAIT", "email", "tone.all_caps", "warn"),
        ("PLEASE WAIT", "phone", "tone.all_caps", None),
    ],
)
def test_punctuation_severity_per_channel(
    text: str, channel: Channel, rule_id: str, severity: str | None
) -> None:
    found = [v.severity for v in guards.check(text, channel=channel).violations if v.rule_id == rule_id]
    assert found == ([severity] if severity else [])


def test_phone_filler_only_on_phone() -> None:
    assert not [v for v in guards.check("恩，好的。").violations if v.category == CATEGORY]
    assert [v.rule_id for v in guards.check("恩，好的。", channel="phone").violations] == [
        "tone.phone_filler"
    ]


def test_a_company_may_keep_the_mark_after_its_own_template_words(tmp_path: Path) -> None:
    path = tmp_path / "acme.toml"
    path.write_text(
        '[meta]\nname = "acme"\nversion = "1"\n\n[tone.exclamation]\nallowed_after = { email = ["您好"] }\n',
        encoding="utf-8",
    )
    policy = guards.compile_policy(guards.load_policy(path))
    greeting = guards.check("尊敬的客户，您好！", channel="email", policy=policy)
    other = guards.check("好的！", channel="email", policy=policy)
    assert [v.rule_id for v in greeting.violations] == []
    assert [v.rule_id for v in other.violations] == ["tone.exclamation"]
