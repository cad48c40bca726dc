"""Expectations: promptfoo-like checks of a case's draft, registered by type, each negatable.

Every check returns a Verdict (passed, score in [0, 1], reason). The reason describes what the
draft has or lacks, so it reads right both ways: a failing `contains` says what is missing, a
failing `not-contains` says what is there. `not-<type>` inverts any registered type.
An `Expectation` (one `[[case.expect]]` table) is defined here, beside the registry its type names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator

from drafting.detect import script_of
from drafting.models import SECTION_ORDER, Draft
from guards import CheckContext, Document, Policy, Scenario
from guards.fact_guard import Facts, find_facts
from guards.patterns import PolicyPattern
from guards.text import Span, fold, normalize_pattern

ExpectValue = str | int | float | list[str] | None
NEGATION = "not-"


class Expectation(BaseModel):
    """One check of a case's outcome: a registered type (optionally `not-`), its value and bounds."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(min_length=1)
    value: ExpectValue = None
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)

    @property
    def negated(self) -> bool:
        """True for a `not-` expectation."""
        return self.type.startswith(NEGATION)

    @property
    def base_type(self) -> str:
        """The type without its `not-` prefix."""
        return self.type.removeprefix(NEGATION)

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        base = value.removeprefix(NEGATION)
        if base not in EXPECTATIONS:
            raise ValueError(f"unknown expectation type {value!r}; known: {', '.join(EXPECTATIONS)}")
        return value

    def label(self) -> str:
        """A short display form: the type with its value or bounds."""
        parts = [self.type]
        if self.value is not None:
            parts.append(",".join(self.value) if isinstance(self.value, list) else str(self.value))
        if self.min is not None or self.max is not None:
            parts.append(
                f"{self.min if self.min is not None else ''}..{self.max if self.max is not None else ''}"
            )
        return " ".join(parts)


class CaseInputs(Protocol):
    """What the checks read of a case: the customer's message and the agent's rough reply."""

    message: str | None
    agent_text: str | None


@dataclass(frozen=True)
class Verdict:
    """The result of one expectation: pass or fail, a score in [0, 1], and why."""

    passed: bool
    score: float
    reason: str


@dataclass(frozen=True)
class Outcome:
    """What the expectations judge: the case, its final draft and the policy it was checked with."""

    case: CaseInputs
    draft: Draft
    policy: Policy


Check = Callable[[Expectation, Outcome], Verdict]


@dataclass(frozen=True)
class ExpectationType:
    """A registered expectation: what it checks, the check, and its own `not-` check if inverting misleads."""

    description: str
    check: Check
    negated: Check | None = None


def _binary(passed: bool, reason: str) -> Verdict:
    return Verdict(passed, 1.0 if passed else 0.0, reason)


def _quote(text: str, limit: int = 24) -> str:
    text = " ".join(text.split())
    return f"“{text if len(text) <= limit else text[: limit - 1] + '…'}”"


def _strings(expectation: Expectation) -> list[str]:
    """The expectation's value as a list of strings (a single string is a list of one)."""
    value = expectation.value
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _contains(text: str, needle: str) -> bool:
    """Case-insensitive containment after folding (Traditional → Simplified, full-width → ASCII)."""
    return fold(needle).lower() in fold(text).lower()


# ----------------------------------------------------------------------------------- guards


def guards_pass(expectation: Expectation, outcome: Outcome) -> Verdict:
    """No blocking violation on the final draft."""
    blocking = outcome.draft.report.blocking
    if not blocking:
        warnings = len(outcome.draft.report.warnings)
        return _binary(True, f"no blocking violation ({warnings} warning{'s' * (warnings != 1)})")
    found = ", ".join(f"{v.rule_id} {_quote(v.match)}" if v.match else v.rule_id for v in blocking)
    return _binary(False, f"{len(blocking)} blocking violation(s): {found}")


def _structure_rule_ids(policy: Policy, scenario: Scenario) -> dict[str, str]:
    """The elements the policy's structure guard checks in `scenario`, with their rule ids."""
    ids = {e.element: e.id for e in policy.missing_structure.elements}
    required = next((s.elements for s in policy.missing_structure.scenarios if s.scenario == scenario), [])
    return {name: ids[name] for name in required if name in ids}


def _default_sections(policy: Policy, scenario: Scenario) -> list[str]:
    """The scenario's required elements, plus its commitment when the policy has a default deadline."""
    sections = list(_structure_rule_ids(policy, scenario))
    if any(c.scenario == scenario and c.default_for_scenario for c in policy.unkeepable_promise.commitments):
        sections.append("commitment")
    # A scenario without any required structure still needs to say what will be done.
    return sections or ["solution"]


def sections_present(expectation: Expectation, outcome: Outcome) -> Verdict:
    """The named sections (default: the scenario's required ones) are in the draft."""
    draft = outcome.draft
    wanted = _strings(expectation) or _default_sections(outcome.policy, draft.scenario)
    unknown = [name for name in wanted if name not in SECTION_ORDER]
    if unknown:
        return _binary(False, f"unknown section(s) {', '.join(unknown)}; known: {', '.join(SECTION_ORDER)}")
    guarded = _structure_rule_ids(outcome.policy, draft.scenario)
    flagged = {v.rule_id for v in draft.report.violations}
    filled = draft.reply.sections()
    missing: list[str] = []
    for name in wanted:
        rule_id = guarded.get(name)
        # Where the policy checks an element, its guard is the judge (a soothe may sit in the
        # apology sentence); elsewhere the model must have filled the section.
        if rule_id is not None and rule_id in flagged:
            missing.append(f"{name} ({rule_id})")
        elif rule_id is None and name not in filled:
            missing.append(f"{name} (empty)")
    score = (len(wanted) - len(missing)) / len(wanted)
    if missing:
        return Verdict(False, score, f"missing {', '.join(missing)} of {', '.join(wanted)}")
    return Verdict(True, score, f"has {', '.join(wanted)}")


def deadline_within_policy(expectation: Expectation, outcome: Outcome) -> Verdict:
    """The draft commits to a concrete deadline, and no deadline breaks the policy's limits."""
    draft = outcome.draft
    # An English reply's deadlines are read in the Chinese phrases it renders (what the guards read).
    checked = draft.checked_text if draft.checked_text is not None else draft.text
    context = CheckContext(Document.of(checked, outcome.case.message), draft.scenario, draft.channel)
    deadlines = [t.text for t in context.deadlines]
    rule_ids = {c.id for c in outcome.policy.unkeepable_promise.commitments}
    broken = [v for v in draft.report.violations if v.rule_id in rule_ids]
    if broken:
        found = "; ".join(f"{v.rule_id}: {v.message}" for v in broken)
        return _binary(False, f"deadline outside the policy: {found}")
    if not deadlines:
        return _binary(False, f"no concrete deadline in the reply (scenario {draft.scenario})")
    return _binary(True, f"deadline {', '.join(_quote(d) for d in deadlines)} within the policy")


# ------------------------------------------------------------------------------------ text


def contains(expectation: Expectation, outcome: Outcome) -> Verdict:
    """The draft contains every listed string (after folding; case-insensitive)."""
    wanted = _strings(expectation)
    found = [s for s in wanted if _contains(outcome.draft.text, s)]
    missing = [s for s in wanted if s not in found]
    score = len(found) / len(wanted) if wanted else 0.0
    if not wanted:
        return Verdict(False, 0.0, "no value given to look for")
    if missing:
        return Verdict(False, score, f"missing {', '.join(_quote(s) for s in missing)}")
    return Verdict(True, score, f"contains {', '.join(_quote(s) for s in found)}")


def not_contains(expectation: Expectation, outcome: Outcome) -> Verdict:
    """`not-contains`: none of the listed strings occurs (not merely: not all of them)."""
    wanted = _strings(expectation)
    present = [s for s in wanted if _contains(outcome.draft.text, s)]
    score = (len(wanted) - len(present)) / len(wanted) if wanted else 0.0
    if not wanted:
        return Verdict(False, 0.0, "no value given to look for")
    if present:
        return Verdict(False, score, f"unexpected: contains {', '.join(_quote(s) for s in present)}")
    return Verdict(True, score, f"contains none of {', '.join(_quote(s) for s in wanted)}")


def contains_any(expectation: Expectation, outcome: Outcome) -> Verdict:
    """The draft contains at least one of the listed strings."""
    wanted = _strings(expectation)
    found = [s for s in wanted if _contains(outcome.draft.text, s)]
    if found:
        return _binary(True, f"contains {', '.join(_quote(s) for s in found)}")
    return _binary(False, f"contains none of {', '.join(_quote(s) for s in wanted)}")


def regex(expectation: Expectation, outcome: Outcome) -> Verdict:
    """The draft matches the regular expression (on the folded text)."""
    patterns = _strings(expectation)
    for pattern in patterns:
        match = re.search(normalize_pattern(pattern), fold(outcome.draft.text))
        if match:
            return _binary(True, f"matches /{pattern}/ at {_quote(match.group())}")
    return _binary(False, f"no match for {', '.join(f'/{p}/' for p in patterns)}")


_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
# Language mechanics: how a text's dominant language shows in its script.
_LANGUAGES = {"zh": "Chinese", "en": "English"}


def language(expectation: Expectation, outcome: Outcome) -> Verdict:
    """The reply is written in the given language: zh (Chinese) or en (English)."""
    wanted = str(expectation.value or "")
    if wanted not in _LANGUAGES:
        return _binary(False, f"language must be one of {', '.join(_LANGUAGES)}, not {wanted!r}")
    text = outcome.draft.text
    # A Chinese character carries about as much as an English word.
    chinese, english = len(_CJK.findall(text)), len(_LATIN_WORD.findall(text))
    total = chinese + english
    if total == 0:
        return Verdict(False, 0.0, "the reply has no words")
    share = (chinese if wanted == "zh" else english) / total
    found = "zh" if chinese >= english else "en"
    reason = f"reply is {_LANGUAGES[found]} ({chinese} Chinese characters, {english} English words)"
    return Verdict(found == wanted, share, reason)


_SCRIPTS = ("simplified", "traditional")


def script(expectation: Expectation, outcome: Outcome) -> Verdict:
    """The reply's Chinese is written in the given script: simplified or traditional."""
    wanted = str(expectation.value or "")
    if wanted not in _SCRIPTS:
        return _binary(False, f"script must be one of {', '.join(_SCRIPTS)}, not {wanted!r}")
    found = script_of(outcome.draft.text)
    return _binary(found == wanted, f"reply is in {found} Chinese")


def length(expectation: Expectation, outcome: Outcome) -> Verdict:
    """The reply's length in characters (whitespace not counted) is within min..max."""
    size = len("".join(outcome.draft.text.split()))
    low, high = expectation.min, expectation.max
    if low is None and high is None:
        return _binary(False, "length needs min and/or max")
    if low is not None and size < low:
        return Verdict(False, size / low, f"reply is {size} characters, shorter than {low}")
    if high is not None and size > high:
        return Verdict(False, high / size, f"reply is {size} characters, longer than {high}")
    return _binary(True, f"reply is {size} characters")


# ------------------------------------------------------------------------------ facts, flags


@dataclass(frozen=True)
class _Fact:
    """A fact of the original as written there, and whether the reply keeps it."""

    text: str
    kept: bool


def _original_facts(policy: Policy, original: str, reply: str) -> list[_Fact]:
    """Every id, number, amount, date word and product name of `original`, and whether `reply` has it."""
    checks = policy.draft_checks
    rule = checks.facts_missing if checks else None
    products = [PolicyPattern.one(rule.id, p) for p in rule.product_patterns] if rule else []
    norm = fold(original)
    source, target = find_facts(norm, products), find_facts(fold(reply), products)
    facts: list[_Fact] = []
    for kind in ("ids", "amounts", "numbers", "words"):
        have: dict[object, object] = getattr(target, kind)
        for key, span in getattr(source, kind).items():
            if not _covered(source, kind, span):
                facts.append(_Fact(norm[span.start : span.end], key in have))
    return facts


def _covered(facts: Facts, kind: str, span: Span) -> bool:
    """A number inside an amount is checked as the amount."""
    return kind == "numbers" and any(a.start <= span.start < a.end for a in facts.amounts.values())


def facts_preserved(expectation: Expectation, outcome: Outcome) -> Verdict:
    """A rewrite keeps the original's ids, numbers, dates, amounts and names (and any listed string)."""
    case, text = outcome.case, outcome.draft.text
    facts = _original_facts(outcome.policy, case.agent_text, text) if case.agent_text else []
    facts += [_Fact(s, _contains(text, s)) for s in _strings(expectation)]
    if not facts:
        return _binary(True, "no facts to keep in the original")
    lost = [f.text for f in facts if not f.kept]
    score = (len(facts) - len(lost)) / len(facts)
    if lost:
        return Verdict(False, score, f"lost {', '.join(_quote(t) for t in lost)} of {len(facts)} facts")
    return Verdict(True, score, f"kept all {len(facts)} facts ({', '.join(_quote(f.text) for f in facts)})")


def escalation_flagged(expectation: Expectation, outcome: Outcome) -> Verdict:
    """The draft is flagged for escalation to a supervisor."""
    draft = outcome.draft
    if draft.escalate:
        return _binary(True, f"flagged for escalation: {'; '.join(draft.escalation_reasons)}")
    return _binary(False, "not flagged for escalation")


def scenario(expectation: Expectation, outcome: Outcome) -> Verdict:
    """The draft was written for the given scenario."""
    draft = outcome.draft
    wanted = str(expectation.value or "")
    reason = f"scenario {draft.scenario} (from {draft.scenario_source})"
    return _binary(draft.scenario == wanted, reason)


EXPECTATIONS: dict[str, ExpectationType] = {
    "guards-pass": ExpectationType("no blocking violation on the final draft", guards_pass),
    "sections-present": ExpectationType(
        "the listed sections (default: the scenario's required ones) are present", sections_present
    ),
    "deadline-within-policy": ExpectationType(
        "a concrete deadline is promised and none breaks the scenario's policy deadline",
        deadline_within_policy,
    ),
    "contains": ExpectationType(
        "the reply contains every string (not-: none of them)", contains, not_contains
    ),
    "contains-any": ExpectationType("the reply contains at least one of the strings", contains_any),
    "regex": ExpectationType("the reply matches the regular expression", regex),
    "language": ExpectationType("the reply is in the language: zh or en", language),
    "script": ExpectationType("the reply's Chinese is in the script: simplified or traditional", script),
    "length": ExpectationType("the reply has min..max characters (whitespace not counted)", length),
    "facts-preserved": ExpectationType(
        "a rewrite keeps every id, number, date, amount and product name of the original", facts_preserved
    ),
    "escalation-flagged": ExpectationType("the ticket is flagged for escalation", escalation_flagged),
    "scenario": ExpectationType("the draft was written for this scenario", scenario),
}


def evaluate(expectation: Expectation, outcome: Outcome) -> Verdict:
    """Run one expectation (a `not-` type inverts the pass and the score, or has its own check)."""
    registered = EXPECTATIONS[expectation.base_type]
    if not expectation.negated:
        return registered.check(expectation, outcome)
    if registered.negated is not None:
        return registered.negated(expectation, outcome)
    verdict = registered.check(expectation, outcome)
    reason = verdict.reason if not verdict.passed else f"unexpected: {verdict.reason}"
    return Verdict(not verdict.passed, round(1.0 - verdict.score, 4), reason)
