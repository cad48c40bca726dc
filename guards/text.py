"""Normalise reply text for matching while keeping a map back to the original offsets.

Guards match against `Document.norm`: Traditional Chinese converted to Simplified
(OpenCC t2s), full-width letters, digits and @ folded to ASCII, zero-width characters
removed. Every character of `norm` comes from exactly one character of the original, so a
span found in `norm` maps back to the original text with `Document.original_span`.
Punctuation is not folded: patterns name both forms (，/, and ！/!) where it matters.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import NamedTuple

import opencc

# Full-width ASCII letters, digits and @ (U+FF10–FF5A), and the ideographic space.
_WIDE = re.compile("[\uff10-\uff5a\u3000]")
_WIDE_TABLE = {c: c - 0xFEE0 for c in range(0xFF10, 0xFF5B)} | {0x3000: 0x20}
# Characters that carry no visible text and can hide a phrase from a naive match.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2060\ufeff]")
# Sentence and clause boundaries, in both widths.
CLAUSE_END = "，。,.!?！？；;:：\n"
SENTENCE_END = "。.!?！？\n"


class Span(NamedTuple):
    """A character range [start, end) in a text."""

    start: int
    end: int


@functools.cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@functools.cache
def _traditional_chars() -> tuple[re.Pattern[str], dict[int, str]]:
    """A pattern matching any character OpenCC t2s changes, and the one-to-one char map."""
    chars = [chr(c) for c in [*range(0x3400, 0x4DC0), *range(0x4E00, 0xA000), *range(0xF900, 0xFB00)]]
    converted = _converter().convert("\n".join(chars)).split("\n")
    table = {ord(a): b for a, b in zip(chars, converted, strict=True) if a != b and len(b) == 1}
    pattern = re.compile("[" + "".join(re.escape(chr(c)) for c in table) + "]")
    return pattern, table


def to_simplified(text: str) -> str:
    """Simplified Chinese with exactly one output character per input character."""
    pattern, table = _traditional_chars()
    if not pattern.search(text):
        return text
    converted = str(_converter().convert(text))
    if len(converted) == len(text):
        return converted
    return text.translate(table)


def fold(text: str) -> str:
    """Fold full-width letters/digits and Traditional characters, keeping the length."""
    if _WIDE.search(text):
        text = text.translate(_WIDE_TABLE)
    return to_simplified(text)


def normalize_pattern(pattern: str) -> str:
    """Normalise a policy regex the same way reply text is normalised."""
    return fold(pattern)


@dataclass
class Document:
    """A reply prepared for the guards: the original, its normalised form, and context."""

    original: str
    norm: str
    offsets: list[int] | None = None
    customer: str | None = None
    _quoted: list[Span] | None = field(default=None, repr=False)

    @classmethod
    def of(cls, text: str, customer: str | None = None) -> Document:
        """Normalise `text`; `customer` is the customer's message, for context."""
        offsets: list[int] | None = None
        visible = text
        if _INVISIBLE.search(text):
            offsets = [i for i, ch in enumerate(text) if not _INVISIBLE.match(ch)]
            visible = "".join(text[i] for i in offsets)
        norm_customer = fold(customer) if customer else None
        return cls(original=text, norm=fold(visible), offsets=offsets, customer=norm_customer)

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
        return _bounds(self.norm, start, end, CLAUSE_END)

    def sentence_bounds(self, start: int, end: int) -> Span:
        """The sentence (between 。！？) around a span of `norm`."""
        return _bounds(self.norm, start, end, SENTENCE_END)

    @property
    def quoted(self) -> list[Span]:
        """Spans of `norm` in quotation marks or reported speech (not the agent's own words)."""
        if self._quoted is None:
            self._quoted = quoted_spans(self.norm)
        return self._quoted

    def is_quoted(self, start: int, end: int) -> bool:
        """True when [start, end) is quoted, reported, or echoed from the customer's message."""
        if any(q.start <= start and end <= q.end for q in self.quoted):
            return True
        return self._echoes_customer(start, end)

    def _echoes_customer(self, start: int, end: int) -> bool:
        # An echo shares the match and at least two characters of context with the
        # customer's message; the match alone is not enough (the agent may use it too).
        if not self.customer:
            return False
        if start >= _ECHO_CONTEXT and self.norm[start - _ECHO_CONTEXT : end] in self.customer:
            return True
        return (
            end + _ECHO_CONTEXT <= len(self.norm) and self.norm[start : end + _ECHO_CONTEXT] in self.customer
        )


_ECHO_CONTEXT = 2
_OPEN_CLOSE = {"“": "”", "「": "」", "『": "』", "‘": "’", '"': '"', "《": "》"}
_MAX_QUOTE = 200
# Reported speech: what the customer (or an earlier reply) said, up to the end of the clause.
_REPORTED = re.compile(
    r"(您|你|客户|对方|之前的?客服|刚才的?客服)(刚才|之前|此前)?(说|讲|问|表示|提到)(过)?(?![的得])[:：]?"
)


def quoted_spans(norm: str) -> list[Span]:
    """Spans inside paired quotation marks, and reported speech after 您说/您提到 etc."""
    spans: list[Span] = []
    i = 0
    while i < len(norm):
        close = _OPEN_CLOSE.get(norm[i])
        if close is not None:
            j = norm.find(close, i + 1, i + 1 + _MAX_QUOTE)
            if j > 0 and "\n" not in norm[i:j]:
                spans.append(Span(i, j + 1))
                i = j + 1
                continue
        i += 1
    for match in _REPORTED.finditer(norm):
        end = match.end()
        while end < len(norm) and norm[end] not in CLAUSE_END:
            end += 1
        spans.append(Span(match.start(), end))
    return spans


def _bounds(text: str, start: int, end: int, stops: str) -> Span:
    left = start
    while left > 0 and text[left - 1] not in stops:
        left -= 1
    right = end
    while right < len(text) and text[right] not in stops:
        right += 1
    return Span(left, right)
