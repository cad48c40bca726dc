"""privacy: a customer's mobile number, ID card, bank card, e-mail or street address in a reply.

The formats (digit counts, check digits, address shape) are language mechanics and live
here; the context words (order/tracking cues, bank-card cues, the company's own addresses)
come from the policy. Masked forms (138****5678, z***@qq.com, 北京市朝阳区***) never match,
because a `*` next to a number or an address part ends it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from guards.clauses import sentence_span
from guards.context import CheckContext
from guards.patterns import PolicyPattern
from guards.policy import Category, Policy, PrivacyKind, PrivacyRule
from guards.text import Span
from guards.violation import RuleFinding, Violation


def _not_after(before: str, first: str, rest: str) -> re.Pattern[str]:
    """`first` then `rest`, where no `before` character stands right before the match. The check
    comes after the first character so that the pattern starts with a class: `re` then skips ahead
    to the next place a match could start instead of trying every position (the speed floor)."""
    return re.compile(f"{first}(?<!{before}{first}){rest}")


# Nothing that makes a number part of something longer (or masked) may stand right before it,
# or right after it.
_NUMBER_BEFORE = "[0-9A-Za-z*]"
_NOT_BEFORE = r"(?![0-9*])"
_MOBILE = re.compile(
    f"(?<!{_NUMBER_BEFORE})" + r"(?:(?:\+|00)?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}" + _NOT_BEFORE
)
# The quick test first: every mobile number has these three digits (it starts with a character,
# so the search skips ahead; the full pattern, with its optional country code, cannot).
_MOBILE_CORE = re.compile("1[3-9][0-9]")
# 18 characters in any grouping (110101 19900307 1234, 4401 0619 8507 2235 18); the birth date is checked
# after.
_ID_CARD = _not_after(_NUMBER_BEFORE, "[1-9]", r"(?:[ -]?[0-9]){16}[ -]?[0-9Xx](?![0-9A-Za-z*])")
_BIRTH_DATE = re.compile(r"(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])")
# A Taiwan ID (A123456789): only after an ID cue.
_TAIWAN_ID = _not_after(_NUMBER_BEFORE, "[A-Z]", "[12][0-9]{8}(?![0-9A-Za-z*])")
# A card number followed by 的卡 / 这张卡 says what it is, like a cue before it.
_CARD_AFTER = re.compile(r"\s?(的|这张)?(银行卡|储蓄卡|信用卡|借记卡|卡)")
_CARD = _not_after(_NUMBER_BEFORE, "[0-9]", "(?:[ -]?[0-9]){15,18}" + _NOT_BEFORE)
_EMAIL = _not_after(
    "[A-Za-z0-9._%+*-]",
    "[A-Za-z0-9._%+-]",
    r"[A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![*])",
)
# A place-name character: any Han character except the function words that precede an
# address in a sentence (您的地址是…, 寄到…), so a match starts at the address itself.
_NAME = r"(?:(?![的是在到址您你我请将把寄送为和与或及于至往从收])[\u4e00-\u9fff])"
_NUMBER = "[0-9一二三四五六七八九十百零〇]"
# Mobile, ID and card numbers need digits (Chinese digit runs are digits in Document.norm).
_NUMBERS = ("mobile", "id_card", "bank_card")
_DIGIT = re.compile("[0-9]")
_SEPARATORS = re.compile("[ -]")
# Between a cue and its number: spaces, a colon, 是/为 (订单号是…, 卡号：…).
_CUE_LINK = r"[\s:：#是为码()（）]{0,4}$"
# An ID-card cue may be followed by how the number was given (身份证号填写的是 …).
_ID_CUE_LINK = r"(?:填写|登记|预留|留|写|提供|填)?(?:的)?[\s:：#是为码()（）]{0,4}$"
_YOU = re.compile("[您你]")
# An address given as the 地址 of what the sentence is about (…，地址是南京市…, 地址为会所一层（滨江路88号）).
_GIVEN_AS_ADDRESS = re.compile(r"地址(?:是|为|在)?[:：]?")
# What separates the words of a mailbox name (customer-care@, service.cn@).
_MAILBOX_WORD = re.compile("[._-]")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# Issuer prefixes of bank cards (UnionPay, Visa, Mastercard, JCB, Diners, Discover, old 95xx).
_CARD_PREFIXES = ("62", "60", "65", "81", "4", "51", "52", "53", "54", "55", "35", "36", "95")
_MASTERCARD_2_SERIES = range(2221, 2721)
_CUE_WINDOW = 12
_ADDRESS_CUE_WINDOW = 15


def id_card_valid(number: str) -> bool:
    """True when an 18-character ID-card number has a correct check character."""
    if len(number) != 18 or not number[:17].isascii() or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def luhn_valid(digits: str) -> bool:
    """True when a digit string passes the Luhn checksum used by bank cards."""
    if not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card_prefix(digits: str) -> bool:
    return digits.startswith(_CARD_PREFIXES) or int(digits[:4]) in _MASTERCARD_2_SERIES


class PrivacyGuard:
    """Flags a customer's personal data; masked forms and order/tracking numbers are fine."""

    category: Category = "privacy"

    def __init__(self, policy: Policy) -> None:
        section = policy.privacy
        self._findings: dict[PrivacyKind, RuleFinding] = {
            r.kind: _finding(self.category, r) for r in section.rules
        }
        self._not_personal = _cue_pattern("privacy.not_personal_cues", section.not_personal_cues, _CUE_LINK)
        self._bank_cues = _cue_pattern("privacy.bank_card_cues", section.bank_card_cues, _CUE_LINK)
        self._company_address = _cue_pattern("privacy.company_address_cues", section.company_address_cues, "")
        self._id_cues = _cue_pattern("privacy.id_card_cues", section.id_card_cues, _ID_CUE_LINK)
        self._other_customer = PolicyPattern.of("privacy.other_customer_cues", section.other_customer_cues)
        self._other_customer_data = PolicyPattern.of(
            "privacy.other_customer_data", section.other_customer_data
        )
        # Searched in the reply: the engine's prefilter rules out those absent from it.
        self.prefiltered_cues = tuple(p for p in (self._other_customer,) if p is not None)
        self._house_number, self._address = _address_patterns(section.address_places, section.address_numbers)
        self._company_emails = tuple(e.strip().lower() for e in section.company_emails if e.strip())
        self._role_mailboxes = tuple(m.strip().lower() for m in section.role_mailboxes if m.strip())
        # Order matters: an earlier kind claims its span (an e-mail made of a phone number
        # is an e-mail; an ID number that also passes Luhn is an ID number).
        self._finders: dict[PrivacyKind, Callable[[str], Iterator[Span]]] = {
            "email": self._emails,
            "id_card": self._id_cards,
            "mobile": self._mobiles,
            "bank_card": self._bank_cards,
            "address": self._addresses,
            "other_customer": self._other_customers,
        }

    def check(self, ctx: CheckContext) -> list[Violation]:
        """Personal data found in the reply, one finding per item."""
        norm = ctx.doc.norm
        found: list[Violation] = []
        taken: list[Span] = []
        has_digits = _DIGIT.search(norm) is not None
        for kind, finder in self._finders.items():
            finding = self._findings.get(kind)
            if finding is None or (kind in _NUMBERS and not has_digits):
                continue
            if kind == "other_customer" and not self._may_name_another(ctx):
                continue
            for span in finder(norm):
                if any(t.start < span.end and span.start < t.end for t in taken):
                    continue
                taken.append(span)
                found.append(finding.at(ctx.doc, span.start, span.end))
        return found

    def _may_name_another(self, ctx: CheckContext) -> bool:
        """False when the prefilter found no cue for another customer in the reply."""
        return self._other_customer is not None and ctx.may_contain(self._other_customer)

    def _after_cue(self, pattern: PolicyPattern | None, norm: str, start: int) -> bool:
        """True when a cue (订单号, 卡号 …) comes right before position `start`."""
        if pattern is None:
            return False
        return pattern.search(norm, max(0, start - _CUE_WINDOW), start) is not None

    def _id_cards(self, norm: str) -> Iterator[Span]:
        for m in _ID_CARD.finditer(norm):
            number = _SEPARATORS.sub("", m.group())
            if not _BIRTH_DATE.match(number, 6) or self._after_cue(self._not_personal, norm, m.start()):
                continue
            # A wrong check digit is no ID number, unless the reply says it is one (身份证号…).
            if id_card_valid(number) or self._after_cue(self._id_cues, norm, m.start()):
                yield Span(*m.span())
        for m in _TAIWAN_ID.finditer(norm):
            if self._after_cue(self._id_cues, norm, m.start()):
                yield Span(*m.span())

    def _mobiles(self, norm: str) -> Iterator[Span]:
        if not _MOBILE_CORE.search(norm):
            return
        for m in _MOBILE.finditer(norm):
            if not self._after_cue(self._not_personal, norm, m.start()):
                yield Span(*m.span())

    def _bank_cards(self, norm: str) -> Iterator[Span]:
        for m in _CARD.finditer(norm):
            digits = _SEPARATORS.sub("", m.group())
            if not 16 <= len(digits) <= 19 or self._after_cue(self._not_personal, norm, m.start()):
                continue
            # A card cue (卡号…) says what the number is; without one, it must look like a card.
            if (
                self._after_cue(self._bank_cues, norm, m.start())
                or _CARD_AFTER.match(norm, m.end()) is not None
                or (luhn_valid(digits) and _card_prefix(digits))
            ):
                yield Span(*m.span())

    def _emails(self, norm: str) -> Iterator[Span]:
        for m in _EMAIL.finditer(norm):
            if not self._company_email(m.group().lower()):
                yield Span(*m.span())

    def _company_email(self, address: str) -> bool:
        """True for the company's own addresses and for role mailboxes (service@, support@ …)."""
        local, _, domain = address.rpartition("@")
        if _MAILBOX_WORD.split(local, maxsplit=1)[0] in self._role_mailboxes:
            return True
        for entry in self._company_emails:
            if entry.startswith("@") and address.endswith(entry):
                return True
            if "@" not in entry and (domain == entry or domain.endswith("." + entry)):
                return True
            if address == entry:
                return True
        return False

    def _addresses(self, norm: str) -> Iterator[Span]:
        if self._address is None or not self._house_number.search(norm):
            return
        for m in self._address.finditer(norm):
            if not self._company_address_before(norm, m.start()) and not self._names_a_business(norm, m):
                yield Span(*m.span())

    def _names_a_business(self, norm: str, address: re.Match[str]) -> bool:
        """True when the address names a business place in it or right after it (物业服务中心一楼,
        …18号 西南售后中心)."""
        if self._company_address is None:
            return False
        after = min(len(norm), address.end() + _ADDRESS_CUE_WINDOW)
        return self._company_address.search(norm, address.start(), after) is not None

    def _other_customers(self, norm: str) -> Iterator[Span]:
        """Another customer mentioned, with their name, phone or home in the same sentence."""
        if self._other_customer is None or self._other_customer_data is None:
            return
        for cue in self._other_customer.finditer(norm):
            end = _sentence_end(norm, cue.end())
            data = self._other_customer_data.search(norm, cue.start(), end)
            if data is not None:
                yield Span(cue.start(), data.end())

    def _company_address_before(self, norm: str, start: int) -> bool:
        """True when a company-address cue (退货地址 …) introduces the address at `start`: right before
        it, or anywhere earlier in the sentence when the address is given as its 地址是… (门店周六营业
        时间是…，地址是…)."""
        if self._company_address is None:
            return False
        window = max(0, start - _ADDRESS_CUE_WINDOW)
        if _GIVEN_AS_ADDRESS.search(norm, window, start):
            window = min(window, sentence_span(norm, start, start).start)
        cues = list(self._company_address.finditer(norm, window, start))
        # 寄到您的地址… is the customer's address even though 寄到 is a company cue.
        return bool(cues) and not _YOU.search(norm, cues[-1].end(), start)


def _address_patterns(
    places: list[str], numbers: list[str]
) -> tuple[re.Pattern[str], re.Pattern[str] | None]:
    """(a place then a house number, a full address): place names ending in `places`, then house numbers.

    An address is one or more places (省/市/区/路/小区/大厦 …) followed by house numbers (18号,
    3栋2单元601室, 甲5号院); a house number alone (3号, 2楼) or a place alone is none.
    """
    unit = "|".join(sorted(numbers, key=len, reverse=True)) or "号"
    # 1号店, 2号线, 3号馆, 5号电池 name a shop, a metro line, a hall, a battery size: no house number.
    # A * right after it masks the rest (报春路288弄***).
    house_number = rf"[甲乙丙丁A-Za-z]?{_NUMBER}+(?:[-－][0-9A-Za-z]+)?\s?(?:{unit})(?![店铺线馆厅口电*＊])"
    if not places:
        return re.compile(house_number), None
    place = "|".join(sorted(places, key=len, reverse=True))
    component = rf"(?:{_NAME}|[A-Za-z0-9]){{1,12}}?(?:{place})"
    filler = r"[\u4e00-\u9fffA-Za-z0-9]{0,10}?"
    address = rf"(?:{component}\s?)+(?:{filler}{house_number})+"
    # The quick test first: a place name, then a house number (it starts with a word, so the
    # search skips ahead instead of trying every position).
    place_then_number = rf"(?:{place})\s?{filler}{house_number}"
    return re.compile(place_then_number), re.compile(address)


def _sentence_end(norm: str, position: int) -> int:
    """Where the sentence containing `position` ends."""
    ends = [i for i in (norm.find(mark, position) for mark in "。！？!?\n") if i >= 0]
    return min(ends, default=len(norm))


def _finding(category: Category, rule: PrivacyRule) -> RuleFinding:
    return RuleFinding(category, rule.id, rule.severity, rule.message, rule.suggestion, str(rule.source))


def _cue_pattern(owner: str, cues: list[str], link: str) -> PolicyPattern | None:
    """Any of the policy's cues, followed by `link` (what may stand between a cue and its number)."""
    if not cues:
        return None
    return PolicyPattern.one(owner, "(?:" + "|".join(f"(?:{c})" for c in cues) + ")" + link)
