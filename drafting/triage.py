"""Deterministic reading of a ticket: the likely scenario (keyword fallback) and escalation.

Both come from the policy: `[[scenario_keywords]]` for the scenario, `[escalation]` (threats
and repeated-complaint cues) and `[draft_checks].escalation_repeat_turns` for escalation.
Text is folded (Traditional → Simplified, full-width → ASCII, lowercase) before matching.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from drafting.models import Ticket
from guards import Policy, Scenario
from guards.text import fold, normalize_pattern, strip_invisible

_COMPLAINT: Scenario = "complaint"


@dataclass(frozen=True)
class _Compiled:
    """A policy's keywords folded and its escalation cues compiled, once."""

    policy: Policy
    keywords: tuple[tuple[Scenario, tuple[str, ...]], ...]
    threats: re.Pattern[str] | None
    repeated: re.Pattern[str] | None


_compiled: dict[int, _Compiled] = {}


def _compile(policy: Policy) -> _Compiled:
    cached = _compiled.get(id(policy))
    if cached is None or cached.policy is not policy:
        keywords = tuple(
            (e.scenario, tuple(fold(k).lower() for k in e.keywords)) for e in policy.scenario_keywords
        )
        threats, repeated = (
            _pattern(policy.escalation.threats),
            _pattern(policy.escalation.repeated_complaint),
        )
        cached = _compiled[id(policy)] = _Compiled(policy, keywords, threats, repeated)
    return cached


def keyword_scenario(texts: Sequence[str], policy: Policy) -> Scenario | None:
    """The scenario whose keywords occur most often in `texts` (policy order breaks ties)."""
    folded = [fold(strip_invisible(t)).lower() for t in texts]
    best: Scenario | None = None
    best_hits = 0
    for scenario, keywords in _compile(policy).keywords:
        hits = sum(text.count(keyword) for text in folded for keyword in keywords)
        if hits > best_hits:
            best, best_hits = scenario, hits
    return best


@dataclass(frozen=True)
class Escalation:
    """Whether a ticket must go to a supervisor, and why (each reason quotes the customer)."""

    flag: bool
    reasons: tuple[str, ...] = ()


def _pattern(patterns: Sequence[str]) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{normalize_pattern(p)})" for p in patterns)) if patterns else None


def detect_escalation(ticket: Ticket, policy: Policy) -> Escalation:
    """Threats (12315, 媒体, 律师…), repeated-complaint cues, or complaints over several turns."""
    texts = [fold(strip_invisible(t)) for t in ticket.customer_texts()]
    reasons: list[str] = []
    compiled = _compile(policy)
    threats, repeated = compiled.threats, compiled.repeated
    for text in texts:
        if threats is not None:
            reasons += [f"升级威胁：“{m.group()}”" for m in threats.finditer(text)]
        if repeated is not None:
            reasons += [f"重复投诉：“{m.group()}”" for m in repeated.finditer(text)]
    turns = _complaint_turns(texts, policy)
    limit = policy.draft_checks.escalation_repeat_turns if policy.draft_checks else None
    if limit is not None and len(texts) > 1 and turns >= limit:
        reasons.append(f"重复投诉：客户已在 {turns} 条消息里投诉")
    unique = tuple(dict.fromkeys(reasons))
    return Escalation(bool(unique), unique)


def _complaint_turns(texts: Sequence[str], policy: Policy) -> int:
    """How many customer turns carry a complaint keyword."""
    keywords = [k for scenario, words in _compile(policy).keywords if scenario == _COMPLAINT for k in words]
    return sum(any(k in text.lower() for k in keywords) for text in texts)
