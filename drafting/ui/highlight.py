"""The reply as HTML: its sections labelled and every guard finding highlighted and numbered."""

from __future__ import annotations

import html
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from drafting.prompting import labels
from guards import Violation
from guards.text import Span

# Display only: the solution and its time commitment are read as one part (方案与时限).
_GROUPED_WITH = {"commitment": "solution"}
_MARK_STYLE = {
    "block": "background:#ffd8d8;border-bottom:2px solid #d9342b;padding:0 1px;border-radius:2px",
    "warn": "background:#fff1b8;border-bottom:2px solid #d4a106;padding:0 1px;border-radius:2px",
}
_NUMBER_STYLE = {"block": "color:#d9342b;font-weight:600", "warn": "color:#9a7400;font-weight:600"}
_LABEL_STYLE = (
    "display:inline-block;min-width:5.5em;margin-right:.6em;padding:0 .4em;border-radius:4px;"
    "background:#e8eefc;color:#2b4a9b;font-size:.8em;text-align:center"
)
_BLOCK_STYLE = "margin:.15em 0;line-height:1.9"
_REPLY_STYLE = "font-size:1.05rem;white-space:pre-wrap;word-break:break-word"


def section_labels() -> dict[str, str]:
    """Display names of the reply's parts: 安抚, 道歉, 收集信息, 方案与时限, 结束语 …"""
    names = dict(labels()["sections"])
    combined = f"{names['solution']}与{names['commitment']}"
    names["solution"] = names["commitment"] = combined
    return names


@dataclass(frozen=True)
class _Block:
    """A run of the text shown on its own line, with the label of the part it starts."""

    span: Span
    label: str | None


def reply_html(text: str, violations: Sequence[Violation], sections: Mapping[str, Span] | None = None) -> str:
    """The text with findings marked (numbered from 1 in `violations` order) and sections labelled."""
    blocks = _blocks(text, sections)
    parts = [f'<div class="huashu-reply" style="{_REPLY_STYLE}">']
    for block in blocks:
        label = f'<span style="{_LABEL_STYLE}">{html.escape(block.label)}</span>' if block.label else ""
        body = _marked(text, block.span, violations)
        parts.append(f'<div class="huashu-section" style="{_BLOCK_STYLE}">{label}{body}</div>')
    parts.append("</div>")
    return "".join(parts)


def _blocks(text: str, sections: Mapping[str, Span] | None) -> list[_Block]:
    if not sections:
        return [_Block(Span(0, len(text)), None)]
    names = section_labels()
    blocks: list[_Block] = []
    previous_group = None
    for name, span in sorted(sections.items(), key=lambda item: item[1].start):
        group = _GROUPED_WITH.get(name, name)
        if blocks and group == previous_group:
            blocks[-1] = _Block(Span(blocks[-1].span.start, span.end), blocks[-1].label)
        else:
            blocks.append(_Block(span, names.get(name, name)))
        previous_group = group
    # Text the spans leave out (separating spaces, a tail) joins the block before it.
    joined = [_Block(Span(0 if i == 0 else b.span.start, b.span.end), b.label) for i, b in enumerate(blocks)]
    for i in range(len(joined) - 1):
        joined[i] = _Block(Span(joined[i].span.start, joined[i + 1].span.start), joined[i].label)
    joined[-1] = _Block(Span(joined[-1].span.start, len(text)), joined[-1].label)
    return joined


def _marked(text: str, block: Span, violations: Sequence[Violation]) -> str:
    """The block's text with each finding inside it wrapped in <mark> and numbered."""
    inside = [(n, v) for n, v in enumerate(violations, 1) if _touches(v, block, len(text))]
    spans = [(n, v) for n, v in inside if v.end > v.start]
    missing = [(n, v) for n, v in inside if v.end == v.start]
    cuts = {block.start, block.end}
    for _, v in spans:
        cuts.update(p for p in (v.start, v.end) if block.start <= p <= block.end)
    cuts.update(v.start for _, v in missing if v.start < block.end)
    points = sorted(cuts)
    out: list[str] = []
    for start, end in itertools.pairwise(points):
        out.extend(_number(n, v, missing=True) for n, v in missing if v.start == start)
        piece = html.escape(text[start:end])
        covering = [v for _, v in spans if v.start <= start and end <= v.end]
        if covering:
            severity = "block" if any(v.blocking for v in covering) else "warn"
            title = html.escape(" / ".join(v.message for v in covering), quote=True)
            piece = f'<mark style="{_MARK_STYLE[severity]}" title="{title}">{piece}</mark>'
        out.append(piece)
        out.extend(_number(n, v) for n, v in spans if v.end == end)
    out.extend(_number(n, v, missing=True) for n, v in missing if v.start >= block.end)
    return "".join(out)


def missing_label(violation: Violation) -> str:
    """A short name of what is missing: the message's head ("缺少道歉"), else 此处缺少内容."""
    head = violation.message.split("：", 1)[0]
    return head if head.startswith("缺") and len(head) <= 12 else "此处缺少内容"


def _touches(violation: Violation, block: Span, text_length: int) -> bool:
    if violation.end > violation.start:
        return violation.start < block.end and violation.end > block.start
    # A zero-width finding (something missing) belongs to the block it points into.
    at_end = block.end == text_length and violation.start >= text_length
    return block.start <= violation.start < block.end or at_end


def _number(number: int, violation: Violation, *, missing: bool = False) -> str:
    style = _NUMBER_STYLE["block" if violation.blocking else "warn"]
    mark = f"⟨{number} {missing_label(violation)}⟩" if missing else f"[{number}]"
    title = html.escape(violation.message, quote=True)
    return f'<sup class="huashu-finding" style="{style}" title="{title}">{html.escape(mark)}</sup>'


def overlay_html(text: str, violations: Sequence[Violation], sections: Mapping[str, Span] | None) -> str:
    """The text exactly as the editor shows it, for the layer behind the editor.

    Character for character the same text, so that it lines up with the editor's: findings are
    <mark>s, and part labels and finding numbers are empty anchors whose chips the page's CSS
    draws above the line (absolutely positioned, so they take no room in the text).
    """
    anchors: dict[int, list[str]] = {}
    for block in _blocks(text, sections) if sections else []:
        if block.label:
            label = html.escape(block.label, quote=True)
            anchors.setdefault(block.span.start, []).append(
                f'<span class="huashu-part" data-label="{label}"></span>'
            )
    for number, violation in enumerate(violations, 1):
        kind = "block" if violation.blocking else "warn"
        if violation.end > violation.start:
            chip = f"[{number}]"
            at = violation.end
        else:
            chip = f"⟨{number} {missing_label(violation)}⟩"
            at = min(violation.start, len(text))
        chip = html.escape(chip, quote=True)
        anchors.setdefault(at, []).append(f'<span class="huashu-num {kind}" data-n="{chip}"></span>')
    cuts = sorted(
        {0, len(text), *anchors, *(p for v in violations for p in (v.start, v.end) if p <= len(text))}
    )
    out = [
        f'<div class="huashu-reply huashu-overlay-src" hidden data-text="{html.escape(text, quote=True)}">'
    ]
    for start, end in itertools.pairwise(cuts):
        out.extend(anchors.get(start, []))
        piece = html.escape(text[start:end])
        covering = [v for v in violations if v.start <= start and end <= v.end and v.end > v.start]
        if covering:
            kind = "block" if any(v.blocking for v in covering) else "warn"
            piece = f'<mark class="{kind}">{piece}</mark>'
        out.append(piece)
    out.extend(anchors.get(len(text), []) if len(text) > 0 else [])
    out.append("</div>")
    return "".join(out)
