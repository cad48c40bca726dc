"""Deterministic reading of a ticket before any model call: script, language, order ids,
the scenario's details already given, demands and escalation.

What can be decided by code is decided here; the understand step (drafting/understand.py)
only fills what cannot: the scenario when unsure, the problem, the product, the action.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import opencc

from drafting.demands import Demand, find_demands
from drafting.models import Ticket
from drafting.triage import Escalation, detect_escalation
from guards import CompiledPolicy, Policy, Scenario
from guards.text import fold, normalize_pattern, strip_invisible, to_simplified

Script = Literal["simplified", "traditional"]
Language = Literal["zh", "en"]
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# Order ids as customers write them in either language: 订单号 2023112300, order #A12345678.
_ORDER_ID = re.compile(
    r"(?i:订单|单号|编号|order)\s*(?i:no\.?|number|id|号)?\s*[:：#＃]?\s*([A-Za-z]{0,4}\d[A-Za-z0-9-]{5,})"
)
# A message is English when Latin words outweigh Chinese characters this many times over.
_ENGLISH_RATIO = 2


@functools.cache
def _s2t() -> opencc.OpenCC:
    return opencc.OpenCC("s2tw")


def to_traditional(text: str) -> str:
    """OpenCC simplified → traditional (s2tw: the standard forms Traditional readers expect)."""
    return str(_s2t().convert(text))


def script_of(text: str) -> Script:
    """Traditional when more characters are Traditional-only than Simplified-only."""
    traditional = sum(a != b for a, b in zip(text, to_simplified(text), strict=False))
    simplified = sum(a != b for a, b in zip(text, to_traditional(text), strict=False))
    return "traditional" if traditional > simplified else "simplified"


def language_of(text: str) -> Language:
    """English when Latin words clearly outweigh Chinese characters, else Chinese."""
    chinese = len(_CJK.findall(text))
    words = len(_LATIN_WORD.findall(text))
    return "en" if words >= 2 and words > _ENGLISH_RATIO * chinese else "zh"


def order_ids(texts: Sequence[str]) -> list[str]:
    """Order ids the customer wrote, in order of appearance, without repeats."""
    found = [m.group(1) for t in texts for m in _ORDER_ID.finditer(fold(t))]
    return list(dict.fromkeys(found))


@dataclass(frozen=True)
class Detection:
    """What code reads from a ticket: the reply's script and language, facts, demands, escalation."""

    script: Script
    language: Language
    order_ids: tuple[str, ...]
    given_details: tuple[str, ...]
    demands: tuple[Demand, ...]
    escalation: Escalation


def customer_context(ticket: Ticket, order_ids: Sequence[str] = ()) -> str:
    """Everything the customer told us (order facts, order ids found, turns), as the guards see it."""
    facts = [f"{key}：{value}" for key, value in ticket.facts.items()]
    # An id written as "order #A7731942" is given, though the policy's patterns read Chinese.
    found = [f"订单号：{order_id}" for order_id in order_ids]
    return "\n".join([*facts, *found, *ticket.customer_texts()])


def given_details(context: str, scenario: Scenario, policy: Policy) -> tuple[str, ...]:
    """The scenario's details (policy `missing_structure`) the customer already gave."""
    folded = fold(strip_invisible(context))
    structure = next((s for s in policy.missing_structure.scenarios if s.scenario == scenario), None)
    if structure is None:
        return ()
    return tuple(
        d.name for d in structure.details if any(re.search(normalize_pattern(p), folded) for p in d.given)
    )


def missing_details(context: str, scenario: Scenario, policy: Policy) -> tuple[str, ...]:
    """The scenario's details the customer has not given yet, in policy order."""
    structure = next((s for s in policy.missing_structure.scenarios if s.scenario == scenario), None)
    if structure is None:
        return ()
    given = set(given_details(context, scenario, policy))
    return tuple(d.name for d in structure.details if d.name not in given)


def detect(ticket: Ticket, compiled: CompiledPolicy, scenario: Scenario | None = None) -> Detection:
    """The deterministic reading of a ticket (details for `scenario` when it is known)."""
    policy = compiled.policy
    texts = ticket.customer_texts()
    context = customer_context(ticket)
    return Detection(
        script=script_of(ticket.message),
        language=language_of(ticket.message),
        order_ids=tuple(order_ids([*ticket.facts.values(), *texts])),
        given_details=given_details(context, scenario, policy) if scenario else (),
        demands=tuple(find_demands(texts)),
        escalation=detect_escalation(ticket, compiled),
    )
