"""Load policy TOML files into a validated Policy, merging a company file over the default."""

from __future__ import annotations

import copy
import functools
import hashlib
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from guards.policy import Policy

DEFAULT_POLICY_NAME = "default.toml"
# Lists of rules merged by key: a company rule with the same key replaces the default one.
_KEYED_LISTS: dict[tuple[str, ...], str] = {
    ("forbidden_phrase",): "id",
    ("blame_or_argue",): "id",
    ("unkeepable_promise", "phrases"): "id",
    ("unkeepable_promise", "commitments"): "id",
    ("tone", "phrases"): "id",
    ("privacy", "rules"): "id",
    ("missing_structure", "elements"): "id",
    ("missing_structure", "scenarios"): "scenario",
    ("scenario_keywords",): "scenario",
}


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the file and the field."""


def default_policy_text() -> str:
    """The TOML text of the built-in default policy."""
    return resources.files("guards").joinpath("rules", DEFAULT_POLICY_NAME).read_text(encoding="utf-8")


@functools.cache
def default_policy() -> Policy:
    """The built-in policy, loaded once on first use."""
    return _validate(_parse(default_policy_text(), "default.toml (built in)"), "default.toml (built in)")


def load_policy(path: str | Path | None = None) -> Policy:
    """The policy in `path` (merged over the default unless it says extends = "none")."""
    if path is None:
        return default_policy()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(f"{path}: no such policy file") from None
    except UnicodeDecodeError:
        raise PolicyError(f"{path}: not UTF-8 text; save the policy file as UTF-8") from None
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read: {exc.strerror}") from None
    data = _parse(text, str(path))
    if data.get("meta", {}).get("extends", "default") == "default":
        data = merge_policy_data(_parse(default_policy_text(), "default.toml"), data)
    return _validate(data, str(path))


def policy_fingerprint(policy: Policy) -> str:
    """A short stable hash of a policy's content (for caches and checkpoints)."""
    return hashlib.sha256(policy.model_dump_json().encode("utf-8")).hexdigest()[:16]


def merge_policy_data(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Merge raw policy data: keyed rule lists by key, tables recursively, other lists extended."""
    merged = copy.deepcopy(base)
    _merge_into(merged, override, ())
    disabled = set(override.get("meta", {}).get("disable", []))
    if disabled:
        _drop_ids(merged, disabled)
    return merged


def _merge_into(target: dict[str, Any], override: dict[str, Any], path: tuple[str, ...]) -> None:
    for key, value in override.items():
        here = (*path, key)
        current = target.get(key)
        if here in _KEYED_LISTS and isinstance(current, list) and isinstance(value, list):
            target[key] = _merge_keyed(current, value, _KEYED_LISTS[here])
        elif isinstance(current, dict) and isinstance(value, dict) and here != ("meta",):
            _merge_into(current, value, here)
        elif isinstance(current, list) and isinstance(value, list) and path:
            target[key] = current + [v for v in value if v not in current]
        elif isinstance(current, list) and isinstance(value, list):
            target[key] = current + value
        else:
            target[key] = copy.deepcopy(value)


def _merge_keyed(base: list[Any], override: list[Any], key: str) -> list[Any]:
    positions = {item.get(key): i for i, item in enumerate(base) if isinstance(item, dict)}
    merged = list(base)
    for item in override:
        index = positions.get(item.get(key)) if isinstance(item, dict) else None
        if index is None:
            merged.append(item)
        else:
            merged[index] = item
    return merged


def _drop_ids(data: dict[str, Any], ids: set[str]) -> None:
    for path in _KEYED_LISTS:
        parent: Any = data
        for part in path[:-1]:
            parent = parent.get(part, {})
        items = parent.get(path[-1]) if isinstance(parent, dict) else None
        if isinstance(items, list):
            parent[path[-1]] = [i for i in items if not (isinstance(i, dict) and i.get("id") in ids)]


def _parse(text: str, name: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{name}: invalid TOML: {exc}") from None


def _validate(data: dict[str, Any], name: str) -> Policy:
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(_describe(exc, data, name)) from None


def _describe(exc: ValidationError, data: dict[str, Any], name: str) -> str:
    errors = exc.errors()
    first = errors[0]
    field = _field_path(first["loc"], data)
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown field (check the spelling; see `huashu policy show`)"
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return f"{name}: {field}: {message}{more}"


def _field_path(loc: tuple[int | str, ...], data: Any) -> str:
    """A readable path: list items are named by their id/scenario when they have one."""
    parts: list[str] = []
    node = data
    for part in loc:
        if isinstance(part, int) and isinstance(node, list):
            item = node[part] if part < len(node) else None
            label = None
            if isinstance(item, dict):
                label = item.get("id") or item.get("scenario") or item.get("topic")
            parts[-1 if parts else 0 :] = [f"{parts[-1] if parts else ''}[{label or part}]"]
            node = item
        else:
            parts.append(str(part))
            node = node.get(part) if isinstance(node, dict) else None
    return ".".join(parts) or "(top level)"
