"""The error every failure of the embedded local model becomes."""

from __future__ import annotations

from drafting.errors import HuashuError


class LocalModelError(HuashuError):
    """The embedded local model cannot be assembled, started, reached or stopped."""
