"""Normalise reply text for matching while keeping a map back to the original offsets.

Guards match against `Document.norm`: Traditional Chinese converted to Simplified
(OpenCC t2s), full-width letters, digits and the symbols of numbers and e-mail addresses
(＠＋－．＿％＃) folded to ASCII, invisible characters (zero-width, bidi controls, variation
selectors) removed. Every character of `norm` comes from exactly one character of the
original, so a span found in `norm` maps back to the original with `Document.original_span`.
Sentence punctuation is not folded: patterns name both forms (，/, and ！/!) where it matters.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import opencc

from guards.clauses import Span as Span
from guards.clauses import clause_span, quoted_spans, sentence_span

_FOLDED_SYMBOLS = "＋－．＿％＃"
_WIDE_CLASS = f"\uff10-\uff19\uff20-\uff3a\uff41-\uff5a{_FOLDED_SYMBOLS}\u3000"
_WIDE = re.compile(f"[{_WIDE_CLASS}]")
_WIDE_TABLE: dict[int, int] = {
    **{c: c - 0xFEE0 for c in [*range(0xFF10, 0xFF1A), *range(0xFF20, 0xFF3B), *range(0xFF41, 0xFF5B)]},
    **{ord(c): ord(c) - 0xFEE0 for c in _FOLDED_SYMBOLS},
    0x3000: 0x20,
}
# In a regex the folded symbols must stay literal: ＋ becomes \+, not the quantifier +.
_PATTERN_TABLE: dict[int, str] = {
    **{c: chr(v) for c, v in _WIDE_TABLE.items()},
    **{ord(c): re.escape(chr(ord(c) - 0xFEE0)) for c in _FOLDED_SYMBOLS},
}
# Characters that carry no visible text and can hide a phrase from a naive match.
_INVISIBLE_CLASS = (
    "\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069"
    "\ufe00-\ufe0f\ufeff\U000e0100-\U000e01ef"
)
_INVISIBLE = re.compile(f"[{_INVISIBLE_CLASS}]")
# Built with chr(): a surrogate in a literal breaks some tools that read this file as UTF-8.
_SURROGATE = re.compile(f"[{chr(0xD800)}-{chr(0xDFFF)}]")
_CJK_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_CJK = re.compile(f"[{_CJK_CLASS}]")
_CJK_RUN = re.compile(f"[{_CJK_CLASS}]+")
# A space (any width) between two Chinese characters, possibly past invisible ones.
_SPACE_CLASS = " \\t\u3000\u00a0"
_SPACED_CJK = re.compile(
    f"[{_CJK_CLASS}][{_INVISIBLE_CLASS}]*[{_SPACE_CLASS}]+[{_INVISIBLE_CLASS}]*[{_CJK_CLASS}]"
)
_SPELLED_DIGITS = str.maketrans("零〇一二三四五六七八九幺", "001234567891")
_SPELLED_NUMBER = re.compile("[零〇一二三四五六七八九幺]{7,}")
# The quick test first: _SPACED_CJK starts at every Chinese character, so look for a space before.
_SPACE = re.compile(f"[{_SPACE_CLASS}]")


@functools.cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@functools.cache
def _single_char_table() -> dict[int, str]:
    """OpenCC t2s applied to each character alone: the fallback when phrases change length."""
    chars = [chr(c) for c in [*range(0x3400, 0x4DC0), *range(0x4E00, 0xA000), *range(0xF900, 0xFB00)]]
    converted = _converter().convert("\n".join(chars)).split("\n")
    return {ord(a): b for a, b in zip(chars, converted, strict=True) if a != b and len(b) == 1}


def _aligned(text: str, converted: str) -> bool:
    """True when `converted` replaces CJK characters one for one and changes nothing else."""
    if len(text) != len(converted):
        return False
    return all(a == b or (_CJK.match(a) and _CJK.match(b)) for a, b in zip(text, converted, strict=True))


def _convert_run(run: str) -> str:
    converted = str(_converter().convert(run))
    return converted if _aligned(run, converted) else run.translate(_single_char_table())


def to_simplified(text: str) -> str:
    """Simplified Chinese with exactly one output character per input character."""
    if not _CJK.search(text):
        return text
    try:
        converted = str(_converter().convert(text))
    except UnicodeEncodeError:  # a lone surrogate (JSON allows "\ud800"): OpenCC takes UTF-8
        converted = ""
    if converted == text or _aligned(text, converted):
        return converted
    # OpenCC changed the length somewhere (or could not read the text): convert each CJK run
    # on its own, so only the runs that cannot be converted one for one fall back to the
    # per-character table.
    return _CJK_RUN.sub(lambda m: _convert_run(m.group()), text)


def fold(text: str) -> str:
    """Fold full-width letters/digits and Traditional characters, keeping the length."""
    if _WIDE.search(text):
        text = text.translate(_WIDE_TABLE)
    return to_simplified(text)


def normalize_pattern(pattern: str) -> str:
    """Normalise a policy regex the same way reply text is normalised (symbols stay literal)."""
    if _WIDE.search(pattern):
        pattern = pattern.translate(_PATTERN_TABLE)
    return to_simplified(pattern)


def _kept_positions(text: str) -> list[int] | None:
    """Positions of the characters the guards read, or None for all of them: invisible characters
    and the spaces between two Chinese characters (保 证 今 天 到 账) are left out."""
    if not _INVISIBLE.search(text) and not (_SPACE.search(text) and _SPACED_CJK.search(text)):
        return None
    visible = [i for i, ch in enumerate(text) if not _INVISIBLE.match(ch)]
    return [i for n, i in enumerate(visible) if not _space_between_cjk(text, visible, n)]


def _space_between_cjk(text: str, visible: list[int], n: int) -> bool:
    """True when visible character n is a space with Chinese characters on both sides (past other spaces)."""
    if not text[visible[n]].isspace() or text[visible[n]] == "\n":
        return False
    before = next((text[i] for i in reversed(visible[:n]) if not text[i].isspace()), "")
    after = next((text[i] for i in visible[n + 1 :] if not text[i].isspace()), "")
    return bool(before and after and _CJK.match(before) and _CJK.match(after))


def spelled_digits(text: str) -> str:
    """Runs of seven or more Chinese digit characters (一三八零…) as Arabic digits, one for one, so a
    phone number spelled in Chinese is read as one; shorter runs (一两天) are words."""
    if not _SPELLED_NUMBER.search(text):
        return text
    return _SPELLED_NUMBER.sub(lambda m: m.group().translate(_SPELLED_DIGITS), text)


def lone_surrogate(text: str) -> str | None:
    """The first half of a surrogate pair standing alone in `text` (JSON allows "\\ud800"), as
    that escape; such a string is no text and cannot be printed or written."""
    found = _SURROGATE.search(text)
    return f"\\u{ord(found.group()):04x}" if found else None


def strip_invisible(text: str) -> str:
    """`text` without zero-width and other invisible characters."""
    return _INVISIBLE.sub("", text) if _INVISIBLE.search(text) else text


@dataclass
class Document:
    """A reply prepared for the guards: the original, its normalised form, and context."""

    original: str
    norm: str
    offsets: list[int] | None = None
    customer: str | None = None
    _quoted: list[Span] | None = field(default=None, repr=False)
    _merged_quotes: Sequence[Span] = field(default=(), repr=False)
    _quote_starts: Sequence[int] = field(default=(), repr=False)

    @classmethod
    def of(cls, text: str, customer: str | None = None) -> Document:
        """Normalise `text`; `customer` is the customer's message, for context."""
        norm_customer = fold(strip_invisible(customer)) if customer else None
        offsets = _kept_positions(text)
        visible = text if offsets is None else "".join(text[i] for i in offsets)
        return cls(original=text, norm=spelled_digits(fold(visible)), offsets=offsets, customer=norm_customer)

    def original_span(self, start: int, end: int) -> Span:
        """Map a [start, end) span of `norm` to the original text."""
        if self.offsets is None:
            return Span(start, end)
        if start >= len(self.offsets):
            return Span(len(self.original), len(self.original))
        if end <= start:
            return Span(self.offsets[start], self.offsets[start])
        return Span(self.offsets[start], self.offsets[end - 1] + 1)

    def clause_bounds(self, start: int, end: int) -> Span:
        """The clause (between ，。！？ etc.) around a span of `norm`."""
        return clause_span(self.norm, start, end)

    def sentence_bounds(self, start: int, end: int) -> Span:
        """The sentence (between 。！？) around a span of `norm`."""
        return sentence_span(self.norm, start, end)

    @property
    def quoted(self) -> list[Span]:
        """Spans of `norm` in quotation marks or reported speech (not the agent's own words)."""
        if self._quoted is None:
            self._quoted = quoted_spans(self.norm)
            self._merged_quotes = _merged(self._quoted)
            self._quote_starts = [q.start for q in self._merged_quotes]
        return self._quoted

    def is_quoted(self, start: int, end: int, *, echo: bool = True) -> bool:
        """True when [start, end) is quoted, reported, or (with `echo`) echoed from the customer."""
        if self._quoted is None:
            self.quoted  # noqa: B018 - computes the merged spans on first use
        # Binary search keeps long texts with many quotes and findings fast.
        index = bisect.bisect_right(self._quote_starts, start) - 1
        if index >= 0 and end <= self._merged_quotes[index].end:
            return True
        return echo and bool(self.customer) and self._echoes_customer(start, end)

    def _echoes_customer(self, start: int, end: int) -> bool:
        # An echo repeats the match with its context on both sides (as far as the reply
        # goes) from the customer's message. One side is not enough: in "我们没办法退款"
        # after the customer's "客服说没办法退款" the agent refuses in their own words.
        if not self.customer or end <= start:
            return False
        left = max(0, start - _ECHO_CONTEXT)
        right = min(len(self.norm), end + _ECHO_CONTEXT)
        if right - left < end - start + _ECHO_CONTEXT:
            return False
        return self.norm[left:right] in self.customer


_ECHO_CONTEXT = 2


def _merged(spans: list[Span]) -> list[Span]:
    """Sort spans and merge the overlapping ones."""
    merged: list[Span] = []
    for span in sorted(spans):
        if merged and span.start <= merged[-1].end:
            merged[-1] = Span(merged[-1].start, max(merged[-1].end, span.end))
        else:
            merged.append(span)
    return merged
