"""`huashu policy`: show and validate policy files (placeholder, being built)."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    """Add the command to the `huashu` group."""
