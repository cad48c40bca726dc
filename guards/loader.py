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
# Lists of rules merged by key: a company rule with the same key updates the default one
# field by field (give only what changes), a new key adds a rule.
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
# Rules that are single tables, not list items: disabling one switches it off on every channel.
_SINGLE_RULES = (("tone", "exclamation"), ("tone", "repeated_punctuation"), ("tone", "all_caps"))
_MORE_SHOWN = 3


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the file and the field."""


def default_policy_text() -> str:
    """The TOML text of the built-in default policy."""
    return resources.files("guards").joinpath("rules", DEFAULT_POLICY_NAME).read_text(encoding="utf-8")


@functools.cache
def default_policy() -> Policy:
    """The built-in policy, loaded once on first use."""
    name = f"{DEFAULT_POLICY_NAME} (built in)"
    return _validate(_parse(default_policy_text(), name), name)


def load_policy(path: str | Path | None = None) -> Policy:
    """The policy in `path` (merged over the default unless it says extends = "none")."""
    if path is None:
        return default_policy()
    path = Path(path)
    name = str(path)
    own = data = _parse(_read(path), name)
    meta = data.get("meta")
    meta = meta if isinstance(meta, dict) else {}
    if meta.get("extends", "default") == "default":
        data = merge_policy_data(_parse(default_policy_text(), DEFAULT_POLICY_NAME), data)
    _apply_disable(data, meta.get("disable", []), name)
    return _validate(data, name, own)


def policy_fingerprint(policy: Policy) -> str:
    """A short stable hash of a policy's content (for caches and checkpoints)."""
    return hashlib.sha256(policy.model_dump_json().encode("utf-8")).hexdigest()[:16]


def merge_policy_data(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Merge raw policy data: keyed rule lists by key, tables recursively, other lists extended."""
    merged = copy.deepcopy(base)
    _merge_into(merged, override, ())
    return merged


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(f"{path}: no such policy file") from None
    except UnicodeDecodeError:
        raise PolicyError(f"{path}: not UTF-8 text; save the policy file as UTF-8") from None
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read the policy file: {exc.strerror}") from None


def _merge_into(target: dict[str, Any], override: dict[str, Any], path: tuple[str, ...]) -> None:
    for key, value in override.items():
        here = (*path, key)
        current = target.get(key)
        if here in _KEYED_LISTS and isinstance(current, list) and isinstance(value, list):
            target[key] = _merge_keyed(current, value, _KEYED_LISTS[here])
        elif isinstance(current, dict) and isinstance(value, dict) and here != ("meta",):
            _merge_into(current, value, here)
        elif isinstance(current, list) and isinstance(value, list):
            target[key] = current + [copy.deepcopy(v) for v in value if v not in current]
        else:
            target[key] = copy.deepcopy(value)


def _merge_keyed(base: list[Any], override: list[Any], key: str) -> list[Any]:
    positions = {_key_of(item, key): i for i, item in enumerate(base)}
    positions.pop(None, None)
    merged = list(base)
    for item in override:
        index = positions.get(_key_of(item, key))
        if index is None:
            merged.append(copy.deepcopy(item))
        else:
            inherited = merged[index]
            if "patterns" in item and "examples" not in item:
                # A rule's examples illustrate its patterns: new patterns leave the old examples behind.
                inherited = {k: v for k, v in inherited.items() if k != "examples"}
            merged[index] = {**inherited, **copy.deepcopy(item)}
    return merged


def _key_of(item: Any, key: str) -> str | None:
    value = item.get(key) if isinstance(item, dict) else None
    return value if isinstance(value, str) else None


def _apply_disable(data: dict[str, Any], disabled: Any, name: str) -> None:
    """Drop the rules listed in meta.disable; an id that is not in the policy is an error."""
    if not isinstance(disabled, list) or not all(isinstance(d, str) for d in disabled):
        return  # validation reports the malformed list
    unknown = _disable(data, set(disabled))
    if unknown:
        listed = ", ".join(repr(u) for u in sorted(unknown))
        raise PolicyError(
            f"{name}: meta.disable: unknown rule id {listed} (see `huashu policy show` for the ids)"
        )


def _disable(data: dict[str, Any], ids: set[str]) -> set[str]:
    """Remove (or switch off) the rules in `ids`; return the ids that were not found."""
    unknown = set(ids)
    for path, key in _KEYED_LISTS.items():
        parent = _table(data, path[:-1])
        items = parent.get(path[-1]) if parent is not None else None
        if key != "id" or not isinstance(items, list) or parent is None:
            continue
        unknown -= {_key_of(i, "id") for i in items}
        parent[path[-1]] = [i for i in items if _key_of(i, "id") not in ids]
    for path in _SINGLE_RULES:
        parent = _table(data, path[:-1])
        rule = parent.get(path[-1]) if parent is not None else None
        if isinstance(rule, dict) and rule.get("id") in ids:
            unknown.discard(rule["id"])
            rule["severity"] = {}
    # Draft checks stay in the policy; the engine drops their findings (meta.disable).
    checks = data.get("draft_checks")
    if isinstance(checks, dict):
        unknown -= {rule.get("id") for rule in checks.values() if isinstance(rule, dict)}
    return unknown


def _table(data: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any] | None:
    node: Any = data
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else None


def _parse(text: str, name: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{name}: invalid TOML: {exc}") from None


def _validate(data: dict[str, Any], name: str, own: dict[str, Any] | None = None) -> Policy:
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(_describe(exc, data, name, own)) from None


def _describe(exc: ValidationError, data: dict[str, Any], name: str, own: dict[str, Any] | None) -> str:
    errors = exc.errors()
    first = errors[0]
    message = _error_message(first["type"], first["msg"], len(first["loc"]))
    others = [_field_path(e["loc"], data, own) for e in errors[1:]]
    more = ""
    if others:
        shown = ", ".join(others[:_MORE_SHOWN]) + (", …" if len(others) > _MORE_SHOWN else "")
        more = f" (and {len(others)} more problem{'s' if len(others) > 1 else ''}: {shown})"
    return f"{name}: {_field_path(first['loc'], data, own)}: {message}{more}"


def _error_message(kind: str, msg: str, depth: int) -> str:
    if kind == "extra_forbidden":
        return "unknown field (check the spelling; see `huashu policy show`)"
    if kind == "missing" and depth == 1:
        return 'required section is missing (a policy with extends = "none" must be complete)'
    if kind == "missing":
        return "required field is missing"
    return msg.removeprefix("Value error, ")


def _field_path(loc: tuple[int | str, ...], data: Any, own: Any = None) -> str:
    """A readable path: list items are named by their id/scenario/topic when they have one.

    `own` is the company file's data before the merge: an item of a list that was extended
    is numbered as in that file, not in the merged list.
    """
    parts: list[str] = []
    node = data
    for part in loc:
        if isinstance(part, int) and isinstance(node, list):
            item = node[part] if 0 <= part < len(node) else None
            label = _item_label(item)
            own = _own_item(own, item, label)
            index = own[1] if own is not None and label is None else part
            own = own[0] if own is not None else None
            parts[-1:] = [f"{parts[-1] if parts else ''}[{label or index}]"]
            node = item
        else:
            parts.append(str(part))
            node = node.get(part) if isinstance(node, dict) else None
            own = own.get(part) if isinstance(own, dict) else None
    return ".".join(parts) or "(top level)"


def _own_item(own: Any, item: Any, label: str | None) -> tuple[Any, int] | None:
    """The item of the company's own list that became `item`, and its index there."""
    if not isinstance(own, list):
        return None
    for index, candidate in enumerate(own):
        if (label is not None and _item_label(candidate) == label) or (label is None and candidate == item):
            return candidate, index
    return None


def _item_label(item: Any) -> str | None:
    if not isinstance(item, dict):
        return None
    for key in ("id", "scenario", "topic"):
        if isinstance(item.get(key), str):
            return str(item[key])
    return None
