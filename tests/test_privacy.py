"""privacy guard: personal data of a customer is flagged, masked forms and order numbers are not."""

from __future__ import annotations

from pathlib import Path

import pytest

import guards
from guards.privacy import id_card_valid, luhn_valid

_ID_WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]  # GB 11643: weight of digit i is 2^(17-i) mod 11
_ID_CHECK_CHARS = "10X98765432"


def id_number(first17: str) -> str:
    """An 18-character ID-card number with the check character computed per GB 11643."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return first17 + _ID_CHECK_CHARS[total % 11]


def id_number_ending_x() -> str:
    """A valid ID-card number whose check character is X (found by trying sequence numbers)."""
    for sequence in range(1000):
        number = id_number(f"11010519491231{sequence:03d}")
        if number.endswith("X"):
            return number
    raise AssertionError("no sequence number gives the check character X")


def with_wrong_check(number: str) -> str:
    """The same ID-card number with a check character that is not the right one."""
    wrong = "0" if number[-1] != "0" else "1"
    return number[:-1] + wrong


def luhn_number(prefix: str) -> str:
    """`prefix` plus the Luhn check digit."""
    total = 0
    for i, ch in enumerate(reversed(prefix)):
        d = int(ch)
        if i % 2 == 0:  # the digit next to the check digit is doubled
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return prefix + str((10 - total % 10) % 10)


def luhn_broken(prefix: str) -> str:
    """`prefix` plus a digit that fails the Luhn check."""
    good = luhn_number(prefix)
    return good[:-1] + str((int(good[-1]) + 1) % 10)


def spaced(number: str, group: int = 4) -> str:
    """`number` written in groups of `group` digits separated by spaces."""
    return " ".join(number[i : i + group] for i in range(0, len(number), group))


def to_wide(text: str) -> str:
    """Full-width form of the ASCII letters, digits and symbols in `text`."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


ID = id_number("11010519491231002")
ID_X = id_number_ending_x()
CARD = luhn_number("622202123456789012")  # UnionPay 62, 19 digits
CARD_16 = luhn_number("436742123456789")  # Visa-range debit card, 16 digits
CARD_NO_PREFIX = luhn_number("731234567890123")  # no issuer prefix: only a card after 卡号
ORDER_62 = luhn_number("620240101123456")  # looks like a UnionPay card, but it is an order number
MOBILE = "13812345678"

CASES: list[tuple[str, str, list[tuple[str, str]]]] = [
    # (case id, reply, [(rule id, matched text)])
    ("mobile", f"您的手机号{MOBILE}已登记。", [("pv.mobile", MOBILE)]),
    ("mobile-spaces", "您的手机 138 1234 5678 已登记。", [("pv.mobile", "138 1234 5678")]),
    ("mobile-dashes", "联系电话：138-1234-5678。", [("pv.mobile", "138-1234-5678")]),
    ("mobile-plus86", "请拨打+86 138 1234 5678联系。", [("pv.mobile", "+86 138 1234 5678")]),
    ("mobile-full-width", f"手机号{to_wide(MOBILE)}。", [("pv.mobile", to_wide(MOBILE))]),
    (
        "mobile-full-width-plus86",
        "手机＋８６－１３８－１２３４－５６７８。",
        [("pv.mobile", "＋８６－１３８－１２３４－５６７８")],
    ),
    ("mobile-zero-width", "手机号138\u200b1234\u200b5678。", [("pv.mobile", "138\u200b1234\u200b5678")]),
    ("mobile-traditional", f"您的手機號碼是{MOBILE}，請確認。", [("pv.mobile", MOBILE)]),
    ("mobile-masked", "已向您尾号为138****5678的手机发送短信。", []),
    ("mobile-in-longer-number", "参考号138123456789012。", []),
    ("landline-not-mobile", "客服热线 010-12345678。", []),
    ("id-card", f"您的身份证号{ID}已核验。", [("pv.id_card", ID)]),
    ("id-card-x", f"身份证：{ID_X}。", [("pv.id_card", ID_X)]),
    ("id-card-lowercase-x", f"身份证：{ID_X.lower()}。", [("pv.id_card", ID_X.lower())]),
    (
        "id-card-spaced",
        f"身份证 {ID[:6]} {ID[6:14]} {ID[14:]}。",
        [("pv.id_card", f"{ID[:6]} {ID[6:14]} {ID[14:]}")],
    ),
    ("id-card-full-width", f"身份证{to_wide(ID)}。", [("pv.id_card", to_wide(ID))]),
    # A wrong check digit is no ID number, unless the reply says it is one.
    ("id-card-wrong-check-digit", f"参考号{with_wrong_check(ID)}。", []),
    (
        "id-card-wrong-check-digit-named",
        f"身份证号{with_wrong_check(ID)}。",
        [("pv.id_card", with_wrong_check(ID))],
    ),
    ("id-card-masked", "身份证号110101********1234已核验。", []),
    ("bank-card-cue", f"您的银行卡号：{CARD}。", [("pv.bank_card", CARD)]),
    ("bank-card-spaced", f"退款到 {spaced(CARD_16)} 这张卡。", [("pv.bank_card", spaced(CARD_16))]),
    (
        "bank-card-dashes",
        f"卡：{spaced(CARD_16).replace(' ', '-')}。",
        [("pv.bank_card", spaced(CARD_16).replace(" ", "-"))],
    ),
    # Without a card cue a number must pass Luhn to be a card; with one, the reply says it is one.
    ("bank-card-luhn-fails", f"您的参考号：{luhn_broken('622202123456789012')}。", []),
    (
        "bank-card-luhn-fails-named",
        f"您的银行卡号：{luhn_broken('622202123456789012')}。",
        [("pv.bank_card", luhn_broken("622202123456789012"))],
    ),
    (
        "other-customer-name-and-home",
        "另一位顾客王女士住在幸福小区3栋。",
        [("pv.other_customer", "另一位顾客王女士"), ("pv.address", "幸福小区3栋")],
    ),
    ("other-customer-not-named", "其他顾客也反映过这个问题。", []),
    ("card-number-no-prefix-after-cue", f"卡号{CARD_NO_PREFIX}。", [("pv.bank_card", CARD_NO_PREFIX)]),
    ("long-number-no-prefix-no-cue", f"参考{CARD_NO_PREFIX}。", []),
    ("bank-card-tail-only", "已退款至尾号1234的银行卡。", []),
    ("email", "已发送至 zhangsan@qq.com，请查收。", [("pv.email", "zhangsan@qq.com")]),
    ("email-full-width", "邮箱ｚｈａｎｇ＠ｑｑ．ｃｏｍ。", [("pv.email", "ｚｈａｎｇ＠ｑｑ．ｃｏｍ")]),
    ("email-digits", f"邮箱{MOBILE}@163.com。", [("pv.email", f"{MOBILE}@163.com")]),
    ("email-masked", "已发送至 z***@qq.com，请查收。", []),
    ("email-masked-middle", "已发送至 zh***an@qq.com，请查收。", []),
    (
        "address",
        "寄送地址：北京市朝阳区建国路88号SOHO现代城5号楼1201室。",
        [("pv.address", "北京市朝阳区建国路88号SOHO现代城5号楼1201室")],
    ),
    ("address-traditional", "您的地址是北京市朝陽區建國路88號。", [("pv.address", "北京市朝陽區建國路88號")]),
    (
        "address-chinese-numerals",
        "地址：上海市徐汇区漕溪北路八十八号。",
        [("pv.address", "上海市徐汇区漕溪北路八十八号")],
    ),
    ("address-masked", "收货地址：北京市朝阳区***。", []),
    ("address-street-name-only", "中山路1号店今天营业。", []),
    ("address-street-and-number", "师傅会上门到珠江路521号。", [("pv.address", "珠江路521号")]),
    (
        "address-village-group",
        "快递会送到郸城县汲冢镇后刘庄村三组18号。",
        [("pv.address", "郸城县汲冢镇后刘庄村三组18号")],
    ),
    ("address-metro-line", "您可以坐地铁2号线到门店。", []),
    ("id-card-in-groups", "身份证4401 0619 8507 2235 18。", [("pv.id_card", "4401 0619 8507 2235 18")]),
    ("taiwan-id-after-cue", "身分證字號A123456789。", [("pv.id_card", "A123456789")]),
    (
        "card-named-after-the-number",
        "您这张6228 4800 1234 5678 901的卡已冻结。",
        [("pv.bank_card", "6228 4800 1234 5678 901")],
    ),
    (
        "other-customer-by-honorific",
        "另一位张女士的单子寄的是朝阳区。",
        [("pv.other_customer", "另一位张女士")],
    ),
    ("other-customer-surname-after-cue", "那位顾客赵磊也买了。", [("pv.other_customer", "那位顾客赵磊也")]),
    ("a-neighbour-mentioned-without-data", "楼上业主那边也由我们来联系配合排查。", []),
    (
        "card-after-that-card",
        f"退款会退回您付款的那张卡：{spaced(luhn_broken('622202123456789012'))}，到账时间以银行为准。",
        [("pv.bank_card", spaced(luhn_broken("622202123456789012")))],
    ),
    ("battery-size-is-no-house-number", "可以加购店里的5号电池套装，9.9元8节。", []),
    ("our-shop-is-at", "我们店在宝安区新安街道创业二路192号一楼，营业到晚上7点。", []),
    (
        "office-address-given-in-brackets",
        "您可前往物业服务中心办理，地址为小区东门旁会所一层（滨江路88号）。",
        [],
    ),
    (
        "upstairs-neighbour-by-full-name",
        "您楼上是1602的陈建国先生家，我们今天会联系他。",
        [("pv.other_customer", "1602的陈建国先生")],
    ),
    (
        "others-named-in-full-mid-sentence",
        "前面还有王丽华女士那笔898元的、赵强先生那笔的，排到您大概要明天。",
        [("pv.other_customer", "王丽华女士"), ("pv.other_customer", "赵强先生")],
    ),
    ("addressee-named-in-full", "张伟先生，您好，您的订单已发货。", []),
    ("addressee-after-dear", "尊敬的张伟先生，您的订单已发货。", []),
    ("addressee-after-greeting", "您好！王建国先生，您的订单已发货。", []),
    (
        "account-number-of-a-payee",
        f"收款人的账户{luhn_broken('622848040256489011')}已于上月销户。",
        [("pv.bank_card", luhn_broken("622848040256489011"))],
    ),
    ("company-return-address", "请寄回地址：上海市浦东新区张江路100号3号楼。", []),
    (
        "store-address-given-later-in-the-sentence",
        "我们门店周末营业到晚上九点，地址是杭州市西湖区文三路90号。",
        [],
    ),
    ("service-centre-named-after-its-address", "请寄至：成都市武侯区科华路18号 西南售后中心。", []),
    ("pick-up-point-in-the-address", "包裹放在小区南门物业服务中心一楼，凭取件码领取。", []),
    ("masked-after-the-house-number", "新地址为上海市闵行区报春路288弄***，已更新。", []),
    ("our-shop-address", "本店营业时间为周一至周六，地址为新北市五股区五权路32号。", []),
    (
        "customer-address-after-a-store-mention",
        "门店营业到九点，您的地址是杭州市西湖区文三路90号3栋201室吗？",
        [("pv.address", "杭州市西湖区文三路90号3栋201室")],
    ),
    (
        "company-cue-but-customer-address",
        "新品会寄到您的地址北京市朝阳区建国路88号。",
        [("pv.address", "北京市朝阳区建国路88号")],
    ),
    ("order-number", f"您的订单号：{MOBILE}。", []),
    ("order-number-luhn-card-like", f"订单号{ORDER_62}已受理。", []),
    ("tracking-number", "运单号 SF1381234567890，请留意。", []),
    ("courier-number", "快递单号：773012345678901。", []),
    ("ticket-number", "工单号 2024010113812345678 已创建。", []),
    ("order-then-mobile", f"订单号20240101，手机{MOBILE}。", [("pv.mobile", MOBILE)]),
    ("cue-not-adjacent", f"您的快递单号和手机号{MOBILE}。", [("pv.mobile", MOBILE)]),
    ("request-without-data", "麻烦您提供一下手机号和收货地址。", []),
    (
        "several-items",
        f"手机{MOBILE}，邮箱 a.b@example.cn，身份证{ID}。",
        [("pv.mobile", MOBILE), ("pv.email", "a.b@example.cn"), ("pv.id_card", ID)],
    ),
]


def privacy_findings(text: str, policy: guards.Policy | None = None) -> list[guards.Violation]:
    """The privacy findings of `guards.check` on `text`."""
    return [
        v
        for v in guards.check(text, policy=guards.compile_policy(policy) if policy else None).violations
        if v.category == "privacy"
    ]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_privacy_cases(text: str, expected: list[tuple[str, str]]) -> None:
    found = privacy_findings(text)
    assert [(v.rule_id, v.match) for v in found] == expected
    for v in found:
        assert text[v.start : v.end] == v.match
        assert v.severity == "block"
        assert v.source and v.message and v.suggestion


def test_findings_block_the_reply() -> None:
    assert not guards.check(f"您的手机号{MOBILE}。").ok
    assert guards.check("您的手机号138****5678。").ok


def test_check_digit_helpers_agree_with_the_guard() -> None:
    assert id_card_valid(ID) and id_card_valid(ID_X)
    assert all(not id_card_valid(ID[:-1] + c) for c in "0123456789X" if c != ID[-1])
    assert luhn_valid(CARD) and luhn_valid(CARD_16)
    assert all(not luhn_valid(CARD[:-1] + c) for c in "0123456789" if c != CARD[-1])


def _company_policy(tmp_path: Path, body: str) -> guards.Policy:
    path = tmp_path / "company.toml"
    path.write_text(f'[meta]\nname = "acme"\nversion = "1"\nextends = "default"\n\n{body}', encoding="utf-8")
    return guards.load_policy(path)


@pytest.mark.parametrize(
    ("entry", "address", "flagged"),
    [
        ("@acme.com", "service@acme.com", False),
        ("acme.com", "help@support.acme.com", False),
        ("service@acme.com", "service@acme.com", False),
        ("service@acme.com", "zhang.wei@acme.com", True),
        ("acme.com", "zhang@notacme.com", True),
    ],
)
def test_company_emails_are_not_findings(tmp_path: Path, entry: str, address: str, flagged: bool) -> None:
    policy = _company_policy(tmp_path, f'[privacy]\ncompany_emails = ["{entry}"]\n')
    text = f"如有疑问请发邮件至 {address}。"
    assert [v.match for v in privacy_findings(text, policy)] == ([address] if flagged else [])


@pytest.mark.parametrize(
    ("address", "flagged"),
    [
        ("service@xuebao-edu.com", False),
        ("kefu@shop.cn", False),
        ("customer-care@bank.com.cn", False),
        ("zhangwei88@qq.com", True),
        ("servicezhang@qq.com", True),  # a person's name that starts like a role is still a person's
    ],
)
def test_role_mailboxes_are_business_addresses(address: str, flagged: bool) -> None:
    text = f"后续如有疑问，欢迎发送邮件至 {address}，我们会在24小时内回复。"
    assert [v.match for v in privacy_findings(text)] == ([address] if flagged else [])


def test_company_address_cue_from_policy(tmp_path: Path) -> None:
    text = "联络处：深圳市南山区科技园路1号2栋。"
    assert [v.rule_id for v in privacy_findings(text)] == ["pv.address"]
    policy = _company_policy(tmp_path, '[privacy]\ncompany_address_cues = ["联络处"]\n')
    assert privacy_findings(text, policy) == []


def test_not_personal_cue_from_policy(tmp_path: Path) -> None:
    text = f"会员卡 {MOBILE}。"
    assert [v.rule_id for v in privacy_findings(text)] == ["pv.mobile"]
    policy = _company_policy(tmp_path, '[privacy]\nnot_personal_cues = ["会员卡"]\n')
    assert privacy_findings(text, policy) == []


def test_disabled_privacy_rule_is_not_checked(tmp_path: Path) -> None:
    policy = _company_policy(tmp_path, "")
    assert privacy_findings("邮箱 zhangsan@qq.com。", policy)
    disabled = tmp_path / "disabled.toml"
    disabled.write_text('[meta]\nname = "a"\nversion = "1"\ndisable = ["pv.email"]\n', encoding="utf-8")
    assert privacy_findings("邮箱 zhangsan@qq.com。", guards.load_policy(disabled)) == []
