"""Text from replies, files and endpoints made safe to print: no character can drive the terminal.

A reply may carry terminal escapes (ESC ] 0; sets the window title, ESC [2J clears the screen),
C1 controls (0x9b is a CSI on some terminals) or bidi overrides that reorder what is shown.
Text output shows each as its escape (\\x1b, \\u202e); JSON output writes it as a \\u escape.
"""

from __future__ import annotations

import json
import re

# C0 controls but tab and newline, DEL, C1 controls, and the bidi marks, embeddings,
# overrides and isolates.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """`text` with every control character written as its escape, e.g. \\x1b or \\u202e."""
    return _CONTROL.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe_json(data: object, *, indent: int | None = None) -> str:
    """JSON (non-ASCII kept readable) in which every control character is a \\u escape."""
    text = json.dumps(data, ensure_ascii=False, indent=indent)
    # json escapes C0 already; the rest only occur inside strings, where \\uXXXX is valid.
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
