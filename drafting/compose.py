"""The compose step: a reply realised section by section from the policy's phrase bank.

Every sentence is one of the policy's model phrases (several variants per section, scenario,
channel and language), filled with checked slots: the customer's problem in their own words
and the details still missing. The commitment is the scenario's phrase, so it always carries
the policy's deadline. Traditional customers get the text through OpenCC s2t; English
customers get the English phrases, and the guards read the Chinese phrases they translate.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from drafting.demands import compose_data
from drafting.detect import Language, Script, to_traditional
from drafting.models import SECTION_ORDER, Reply
from drafting.prompting import labels
from guards import Channel, Policy, Scenario
from guards.fact_guard import find_facts
from guards.patterns import PolicyPattern
from guards.policy import ModelPhrase
from guards.text import Document, Span

# Sections said only when the scenario requires them or the customer is upset.
_EMPATHY = ("soothe", "apology")
_DEFAULT_ADDRESS = "您"


@dataclass(frozen=True)
class Plan:
    """What to compose: the ticket's reading after detection, understanding and cross-checks."""

    scenario: Scenario
    channel: Channel
    language: Language
    script: Script
    address_as: str
    problem: str
    missing: tuple[str, ...]
    action: str
    upset: bool
    seed: int
    own_solution: str = ""

    def without_problem(self) -> Plan:
        """The same plan, speaking of the problem in general words."""
        return replace(self, problem="")


def seed_of(text: str) -> int:
    """A stable number from the customer's message: which variants this ticket gets."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:4], "big")


@dataclass(frozen=True)
class Composition:
    """The reply as the customer reads it and the Chinese text the guards check."""

    reply: Reply
    checked: Reply


def _specificity(phrase: ModelPhrase) -> int:
    return 2 * (phrase.scenario is not None) + (phrase.channel is not None)


def candidates(policy: Policy, element: str, plan: Plan, language: Language) -> list[ModelPhrase]:
    """The phrases that fit a section: most specific first, the plan's action when it has one."""
    slots = {"problem": bool(plan.problem), "missing": bool(plan.missing)}
    fitting = [
        p
        for p in policy.model_phrases
        if p.element == element
        and p.language == language
        and p.scenario in (None, plan.scenario)
        and p.channel in (None, plan.channel)
        and all(slots.get(s, False) for s in p.slots)
    ]
    if element == "details_request":
        fitting = [p for p in fitting if "missing" in p.slots]
    # The customer's own words are acknowledged once: in the soothing sentence when there is
    # one, else in the solution (a calm question: “关于您提到的“…”，我为您查询一下”).
    soothing = "soothe" in _sections(policy, plan)
    acknowledging = element == "soothe" or (element == "solution" and not soothing)
    if acknowledging and plan.problem:
        fitting = [p for p in fitting if "problem" in p.slots] or fitting
    else:
        fitting = [p for p in fitting if "problem" not in p.slots]
    if element in ("solution", "commitment"):
        acting = [p for p in fitting if p.action == plan.action]
        fitting = acting or [p for p in fitting if not p.action] or fitting
    if not fitting:
        return []
    best = max(_specificity(p) for p in fitting)
    return [p for p in fitting if _specificity(p) == best]


def _sections(policy: Policy, plan: Plan) -> list[str]:
    required = _required(policy, plan.scenario)
    wanted = []
    for name in SECTION_ORDER:
        if name in _EMPATHY and not (plan.upset or name in required):
            continue
        if name == "details_request" and not plan.missing:
            continue
        wanted.append(name)
    return wanted


def _required(policy: Policy, scenario: Scenario) -> set[str]:
    structure = next((s for s in policy.missing_structure.scenarios if s.scenario == scenario), None)
    return set(structure.elements) if structure else set()


def _fill(phrase: ModelPhrase, plan: Plan, language: Language) -> str:
    text = phrase.text
    if "{missing}" in text:
        text = text.replace(
            "{missing}", _listed([_detail_label(name, language) for name in plan.missing], language)
        )
    return text.replace("{problem}", plan.problem)


def _listed(names: list[str], language: Language) -> str:
    """“A”, “A，以及B”, “A、B，以及C” (English: “A and B”, “A, B and C”)."""
    if len(names) < 2:
        return "".join(names)
    if language == "en":
        return ", ".join(names[:-1]) + " and " + names[-1]
    return "、".join(names[:-1]) + "，以及" + names[-1]


def _detail_label(name: str, language: Language) -> str:
    return labels()["details_en"].get(name, name) if language == "en" else name


def _address(text: str, plan: Plan, section: str) -> str:
    if section == "greeting" and plan.language == "zh" and plan.address_as != _DEFAULT_ADDRESS:
        return f"{plan.address_as}，{text}" if text.startswith("您好") else text
    return text


def _pick(seed: int, section: str, count: int) -> int:
    """Which of `count` variants a section gets: spread by section, stable per seed."""
    digest = hashlib.sha256(f"{seed}:{section}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % count


def _picks(policy: Policy, plan: Plan) -> dict[str, ModelPhrase]:
    picked: dict[str, ModelPhrase] = {}
    for name in _sections(policy, plan):
        found = candidates(policy, name, plan, plan.language)
        if found:
            picked[name] = found[_pick(plan.seed, name, len(found))]
    return picked


def _mirrors(policy: Policy, plan: Plan, picked: dict[str, ModelPhrase]) -> dict[str, ModelPhrase]:
    """For English phrases, the Chinese phrases they translate (the same source line)."""
    chinese = replace(plan, language="zh", problem="")
    mirrors: dict[str, ModelPhrase] = {}
    for name, phrase in picked.items():
        found = candidates(policy, name, chinese, "zh")
        same = [p for p in found if p.source.line == phrase.source.line]
        if same or found:
            mirrors[name] = (same or found)[0]
    return mirrors


def _render(plan: Plan, picked: dict[str, ModelPhrase], language: Language) -> Reply:
    sections: dict[str, str] = {}
    for name, phrase in picked.items():
        if name == "solution" and plan.own_solution:
            # A rewrite keeps the agent's own words (and facts) as its solution.
            sections[name] = plan.own_solution
            continue
        text = _address(_fill(phrase, plan, language), plan, name)
        # Section by section, so that a section reads the same whichever sections follow it.
        sections[name] = to_traditional(text) if plan.script == "traditional" and language == "zh" else text
    return Reply(**sections)


def compose(policy: Policy, plan: Plan) -> Composition:
    """The reply for a plan; the same plan always gives the same reply."""
    picked = _picks(policy, plan)
    reply = _render(plan, picked, plan.language)
    if plan.language == "zh":
        return Composition(reply, reply)
    chinese = replace(plan, language="zh", problem="", script="simplified")
    return Composition(reply, _render(chinese, _mirrors(policy, plan, picked), "zh"))


def greeting(policy: Policy, plan: Plan) -> str:
    """The greeting as the reply starts with it (it depends on channel, language, script and seed only)."""
    found = candidates(policy, "greeting", plan, plan.language)
    if not found:
        return ""
    picked = {"greeting": found[_pick(plan.seed, "greeting", len(found))]}
    return _render(plan, picked, plan.language).text


_CLAUSE = re.compile(r"[^，,。！？!?；;\n]+")


def own_clauses(text: str) -> list[str]:
    """The clauses of an agent's text, in order, without their punctuation."""
    return [m.group().strip() for m in _CLAUSE.finditer(text) if m.group().strip()]


def polite(clause: str) -> str:
    """A clause with 你 as 您 (你们 stays: it is the company speaking of customers in general)."""
    return re.sub(r"你(?!们)", "您", clause)


# Characters that make a fact read as what it is (第5页, 11月20日, ¥199元, 7天, 2-3个): a fact
# of a dropped clause is carried with them. Language mechanics, not rules.
_FACT_BEFORE = set("第¥￥$#")
_FACT_AFTER = set("个件台张次天周月日号年时点分秒元块角页单箱瓶份倍折%")
_FACT_INSIDE = set("-./:：")


def _latin(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _widened(norm: str, span: Span) -> Span:
    """A number's span with the unit, ordinal and digits around it."""
    start, end = span.start, span.end
    while start > 0 and (norm[start - 1] in _FACT_BEFORE or _latin(norm[start - 1])):
        start -= 1
    while end < len(norm):
        joins = norm[end] in _FACT_INSIDE and end + 1 < len(norm) and norm[end + 1].isdigit()
        if not (norm[end] in _FACT_AFTER or _latin(norm[end]) or joins):
            break
        end += 1
    return Span(start, end)


def fact_phrases(text: str, products: Sequence[PolicyPattern]) -> list[str]:
    """The facts of `text` (ids, numbers, amounts, dates, products); numbers with their units."""
    doc = Document.of(text)
    facts = find_facts(doc.norm, products)
    numbers = [_widened(doc.norm, s) for s in (*facts.numbers.values(), *facts.amounts.values())]
    spans = sorted([*facts.ids.values(), *facts.words.values(), *numbers])
    merged: list[Span] = []
    for span in spans:
        if merged and span.start < merged[-1].end:
            merged[-1] = Span(merged[-1].start, max(merged[-1].end, span.end))
        else:
            merged.append(span)
    return [text[o.start : o.end] for o in (doc.original_span(s.start, s.end) for s in merged)]


def carried_facts(dropped: Sequence[str], kept: str, products: Sequence[PolicyPattern]) -> list[str]:
    """The fact phrases of the agent's dropped clauses that the kept text does not state already."""
    have = find_facts(Document.of(kept).norm, products)
    carried: list[str] = []
    for clause in dropped:
        for phrase in fact_phrases(clause, products):
            facts = find_facts(Document.of(phrase).norm, products)
            new = (
                set(facts.ids) - set(have.ids)
                or set(facts.numbers) - set(have.numbers)
                or set(facts.words) - set(have.words)
            )
            if new:
                carried.append(phrase)
                have.ids.update(facts.ids)
                have.numbers.update(facts.numbers)
                have.words.update(facts.words)
    return carried


def product_patterns(policy: Policy) -> list[PolicyPattern]:
    """The policy's patterns of product names (the facts-kept guard's, so both read the same facts)."""
    checks = policy.draft_checks
    patterns = checks.facts_missing.product_patterns if checks else []
    return [PolicyPattern.one(checks.facts_missing.id if checks else "", p) for p in patterns]


def fact_sentence(facts: Sequence[str], language: Language) -> str:
    """The sentence that carries facts of a rewrite's dropped clauses (prompts/compose.toml)."""
    carrier = compose_data().fact_carrier
    if language == "en":
        return carrier.en.replace("{facts}", ", ".join(facts))
    return carrier.zh.replace("{facts}", "、".join(facts))
