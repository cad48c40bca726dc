"""Deterministic reading of a ticket: the likely scenario (keyword fallback) and escalation.

Both come from the policy: `[[scenario_keywords]]` for the scenario, `[escalation]` (threats
and repeated-complaint cues) and `[draft_checks].escalation_repeat_turns` for escalation.
Text is folded (Traditional → Simplified, full-width → ASCII, lowercase) before matching.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from drafting.models import Ticket
from guards import CompiledPolicy, Scenario
from guards.text import fold, strip_invisible

_COMPLAINT: Scenario = "complaint"


def keyword_scenario(texts: Sequence[str], policy: CompiledPolicy) -> Scenario | None:
    """The scenario whose keywords occur most often in `texts` (policy order breaks ties)."""
    folded = [fold(strip_invisible(t)).lower() for t in texts]
    best: Scenario | None = None
    best_hits = 0
    for scenario, keywords in policy.triage.keywords:
        hits = sum(text.count(keyword) for text in folded for keyword in keywords)
        if hits > best_hits:
            best, best_hits = scenario, hits
    return best


@dataclass(frozen=True)
class Escalation:
    """Whether a ticket must go to a supervisor, and why (each reason quotes the customer)."""

    flag: bool
    reasons: tuple[str, ...] = ()


def detect_escalation(ticket: Ticket, policy: CompiledPolicy) -> Escalation:
    """Threats (12315, 媒体, 律师…), repeated-complaint cues, or complaints over several turns."""
    texts = [fold(strip_invisible(t)) for t in ticket.customer_texts()]
    reasons: list[str] = []
    threats, repeated = policy.triage.threats, policy.triage.repeated_complaint
    for text in texts:
        if threats is not None:
            reasons += [f"升级威胁：“{m.group()}”" for m in threats.finditer(text)]
        if repeated is not None:
            reasons += [f"重复投诉：“{m.group()}”" for m in repeated.finditer(text)]
    turns = _complaint_turns(texts, policy)
    checks = policy.policy.draft_checks
    limit = checks.escalation_repeat_turns if checks else None
    if limit is not None and len(texts) > 1 and turns >= limit:
        reasons.append(f"重复投诉：客户已在 {turns} 条消息里投诉")
    unique = tuple(dict.fromkeys(reasons))
    return Escalation(bool(unique), unique)


def _complaint_turns(texts: Sequence[str], policy: CompiledPolicy) -> int:
    """How many customer turns carry a complaint keyword."""
    keywords = [k for scenario, words in policy.triage.keywords if scenario == _COMPLAINT for k in words]
    return sum(any(k in text.lower() for k in keywords) for text in texts)
