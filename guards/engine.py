"""Run every guard of a policy over a text and gather a GuardReport."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from guards.blame_or_argue import BlameOrArgueGuard
from guards.context import CheckContext, Guard
from guards.forbidden_phrase import ForbiddenPhraseGuard
from guards.loader import default_policy
from guards.missing_structure import MissingStructureGuard
from guards.policy import CATEGORIES, CHANNELS, SCENARIOS, Channel, Policy, Scenario
from guards.privacy import PrivacyGuard
from guards.text import Document
from guards.tone import ToneGuard
from guards.unkeepable_promise import UnkeepablePromiseGuard
from guards.violation import GuardReport, Violation

GUARD_TYPES = (
    ForbiddenPhraseGuard,
    UnkeepablePromiseGuard,
    BlameOrArgueGuard,
    ToneGuard,
    PrivacyGuard,
    MissingStructureGuard,
)
_CATEGORY_ORDER: dict[str, int] = {c: i for i, c in enumerate(CATEGORIES)}
_COMPILED_CACHE_SIZE = 8


@dataclass(frozen=True)
class CompiledPolicy:
    """A policy with its guards built (regexes compiled) once."""

    policy: Policy
    guards: tuple[Guard, ...]


_compiled: dict[int, CompiledPolicy] = {}


def compile_policy(policy: Policy) -> CompiledPolicy:
    """The guards for `policy`, built once and reused for later checks."""
    cached = _compiled.get(id(policy))
    if cached is not None and cached.policy is policy:
        return cached
    compiled = CompiledPolicy(policy, tuple(guard_type(policy) for guard_type in GUARD_TYPES))
    if len(_compiled) >= _COMPILED_CACHE_SIZE:
        _compiled.pop(next(iter(_compiled)))
    _compiled[id(policy)] = compiled
    return compiled


def check(
    text: str,
    *,
    scenario: Scenario | None = None,
    channel: Channel = "online",
    customer: str | None = None,
    policy: Policy | None = None,
    extra_guards: Sequence[Guard] = (),
) -> GuardReport:
    """Check a reply against the policy; violations are sorted by position in `text`."""
    _validate_arguments(text, scenario, channel, customer)
    policy = policy or default_policy()
    compiled = compile_policy(policy)
    ctx = CheckContext(Document.of(text, customer), scenario, channel)
    violations: list[Violation] = []
    for guard in (*compiled.guards, *extra_guards):
        violations.extend(guard.check(ctx))
    if extra_guards and policy.meta.disable:
        # Draft-check rules stay in the policy when disabled; their findings are dropped here.
        disabled = set(policy.meta.disable)
        violations = [v for v in violations if v.rule_id not in disabled]
    if len(violations) > 1:
        violations.sort(key=_position)
    return GuardReport(text=text, violations=tuple(violations), scenario=scenario, channel=channel)


def _position(violation: Violation) -> tuple[int, int, int, str]:
    """Sort key: by position, then category order, then rule id."""
    return (
        violation.start,
        violation.end,
        _CATEGORY_ORDER.get(violation.category, len(CATEGORIES)),
        violation.rule_id,
    )


def _validate_arguments(text: object, scenario: object, channel: object, customer: object) -> None:
    """Raise a clear error for arguments `check` cannot use."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    if customer is not None and not isinstance(customer, str):
        raise TypeError(f"customer must be a str or None, not {type(customer).__name__}")
    if scenario is not None and scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; choose one of: {', '.join(SCENARIOS)}")
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}; choose one of: {', '.join(CHANNELS)}")
