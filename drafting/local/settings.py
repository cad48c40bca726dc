"""The local model's settings: HUASHU_LOCAL_* environment variables over the config file's [local] table."""

from __future__ import annotations

import os
import tomllib
from typing import Literal

from drafting.local.errors import LocalModelError
from drafting.settings import config_path

LocalSettingName = Literal["model", "threads"]
_KNOWN: tuple[LocalSettingName, ...] = ("model", "threads")


def local_setting(name: LocalSettingName) -> str | None:
    """`HUASHU_LOCAL_<NAME>` if set, else `name` in the [local] table of huashu's config file."""
    configured = os.environ.get(f"HUASHU_LOCAL_{name.upper()}", "").strip()
    if configured:
        return configured
    value = _config_table().get(name)
    return None if value is None else str(value).strip() or None


def _config_table() -> dict[str, object]:
    path = config_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LocalModelError(f"{path}: cannot read the config file: {exc}") from None
    table = data.get("local", {})
    if not isinstance(table, dict):
        raise LocalModelError(f"{path}: [local] must be a table")
    unknown = sorted(set(table) - set(_KNOWN))
    if unknown:
        raise LocalModelError(f"{path}: unknown [local] key {unknown[0]!r}; known keys: {', '.join(_KNOWN)}")
    return table
