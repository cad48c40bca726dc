"""Output files written all or nothing: to a hidden file beside the target, then renamed over it."""

from __future__ import annotations

import os
from pathlib import Path


def temporary_path(path: Path) -> Path:
    """The hidden file beside `path` that output is written to before the rename."""
    return path.with_name(f".{path.name}.huashu-tmp")


def replace_atomically(temporary: Path, path: Path) -> None:
    """Flush `temporary` to disk and rename it over `path` (all or nothing)."""
    with open(temporary, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, path)
