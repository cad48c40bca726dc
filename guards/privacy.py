"""privacy: a customer's mobile number, ID card, bank card, e-mail or street address in a reply."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from guards.context import CheckContext
from guards.phrases import violation_for
from guards.policy import Category, Policy, PrivacyKind, PrivacyRule
from guards.text import Span
from guards.violation import Violation

_MOBILE = re.compile(r"(?<![\d*])(?:\+?86[-\s]?)?1[3-9]\d(?:[-\s]?\d{4}){2}(?![\d*])")
_ID_CARD = re.compile(
    r"(?<![\dA-Za-z*])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![\dA-Za-z*])"
)
_CARD = re.compile(r"(?<![\d*])\d(?:[ -]?\d){15,18}(?![\d*])")
_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_STREET = re.compile(
    r"[\u4e00-\u9fff]{1,10}(?:路|街|大道|巷|弄|胡同|村|里)\s*[\d一二三四五六七八九十百]+\s*(?:号|弄)"
    r"(?:[\u4e00-\u9fffA-Za-z]{0,12}?[\d一二三四五六七八九十]+\s*(?:号楼|栋|幢|单元|室|层|楼|号))*"
)
_REGION = re.compile(r"(?:省|自治区|市|区|县|旗|镇|乡)")
_ROOM = re.compile(r"(?:号楼|栋|幢|单元|室)")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_CARD_PREFIXES = ("62", "4", "51", "52", "53", "54", "55", "2", "34", "37", "6")
_CUE_WINDOW = 10


def id_card_valid(number: str) -> bool:
    """True when an 18-character ID-card number has a correct check character."""
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def luhn_valid(digits: str) -> bool:
    """True when a digit string passes the Luhn checksum used by bank cards."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


class PrivacyGuard:
    """Flags a customer's personal data; masked forms and order/tracking numbers are fine."""

    category: Category = "privacy"

    def __init__(self, policy: Policy) -> None:
        section = policy.privacy
        self._rules: dict[PrivacyKind, PrivacyRule] = {r.kind: r for r in section.rules}
        self._not_personal = _cue_pattern(section.not_personal_cues)
        self._bank_cues = _cue_pattern(section.bank_card_cues)
        self._company_address = _cue_pattern(section.company_address_cues)
        self._company_emails = tuple(e.lower() for e in section.company_emails)
        self._finders: dict[PrivacyKind, Callable[[str], Iterator[Span]]] = {
            "id_card": self._id_cards,
            "mobile": self._mobiles,
            "bank_card": self._bank_cards,
            "email": self._emails,
            "address": self._addresses,
        }

    def check(self, ctx: CheckContext) -> list[Violation]:
        """Personal data found in the reply, one finding per item."""
        norm = ctx.doc.norm
        if not any(ch.isdigit() for ch in norm) and "@" not in norm:
            return []
        found: list[Violation] = []
        taken: list[Span] = []
        for kind, finder in self._finders.items():
            rule = self._rules.get(kind)
            if rule is None:
                continue
            for span in finder(norm):
                if any(t.start < span.end and span.start < t.end for t in taken):
                    continue
                taken.append(span)
                found.append(
                    violation_for(
                        ctx.doc,
                        self.category,
                        rule.id,
                        rule.severity,
                        span.start,
                        span.end,
                        rule.message,
                        rule.suggestion,
                        str(rule.source),
                    )
                )
        return found

    def _after_cue(self, pattern: re.Pattern[str] | None, norm: str, start: int) -> bool:
        if pattern is None:
            return False
        return pattern.search(norm[max(0, start - _CUE_WINDOW) : start]) is not None

    def _id_cards(self, norm: str) -> Iterator[Span]:
        for m in _ID_CARD.finditer(norm):
            if id_card_valid(m.group()) and not self._after_cue(self._not_personal, norm, m.start()):
                yield Span(*m.span())

    def _mobiles(self, norm: str) -> Iterator[Span]:
        for m in _MOBILE.finditer(norm):
            if not self._after_cue(self._not_personal, norm, m.start()):
                yield Span(*m.span())

    def _bank_cards(self, norm: str) -> Iterator[Span]:
        for m in _CARD.finditer(norm):
            digits = re.sub(r"[ -]", "", m.group())
            if not 16 <= len(digits) <= 19 or not luhn_valid(digits):
                continue
            if self._after_cue(self._not_personal, norm, m.start()):
                continue
            if self._after_cue(self._bank_cues, norm, m.start()) or digits.startswith(_CARD_PREFIXES):
                yield Span(*m.span())

    def _emails(self, norm: str) -> Iterator[Span]:
        for m in _EMAIL.finditer(norm):
            address = m.group().lower()
            if not any(address == e or address.endswith(e) for e in self._company_emails):
                yield Span(*m.span())

    def _addresses(self, norm: str) -> Iterator[Span]:
        for m in _STREET.finditer(norm):
            context = norm[max(0, m.start() - 15) : m.end()]
            if not (_REGION.search(context) or _ROOM.search(m.group())):
                continue
            if self._company_address is not None and self._company_address.search(context):
                continue
            yield Span(*m.span())


def _cue_pattern(cues: list[str]) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{c})" for c in cues)) if cues else None
