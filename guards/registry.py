"""Every guard, and where it applies: to every reply, to model drafts, or to rewrites only.

`build` makes a guard from the policy and its compiled phrase rules (by category); a guard
whose policy section is absent (no [draft_checks]) builds to None and is left out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from guards.context import Guard
from guards.draft_artifacts import (
    CopiedExampleGuard,
    LeakedInstructionGuard,
    MixedLanguageGuard,
    RepeatedSentenceGuard,
)
from guards.fact_guard import FactPreservationGuard
from guards.missing_structure import MissingStructureGuard
from guards.phrase_guard import PhraseGuard
from guards.phrase_rules import CompiledPhraseRule
from guards.policy import Category, Policy
from guards.privacy import PrivacyGuard
from guards.tone import ToneGuard
from guards.unkeepable_promise import UnkeepablePromiseGuard

Applies = Literal["every_reply", "model_drafts", "rewrites"]
PhraseRules = Mapping[Category, Sequence[CompiledPhraseRule]]


@dataclass(frozen=True)
class GuardEntry:
    """A guard's name, where it applies, and how it is built from a policy."""

    name: str
    applies: Applies
    build: Callable[[Policy, PhraseRules], Guard | None]


def _forbidden_phrase(policy: Policy, phrases: PhraseRules) -> Guard:
    return PhraseGuard(phrases["forbidden_phrase"])


def _unkeepable_promise(policy: Policy, phrases: PhraseRules) -> Guard:
    return UnkeepablePromiseGuard(policy, phrases["unkeepable_promise"])


def _blame_or_argue(policy: Policy, phrases: PhraseRules) -> Guard:
    return PhraseGuard(phrases["blame_or_argue"])


def _tone(policy: Policy, phrases: PhraseRules) -> Guard:
    return ToneGuard(policy, phrases["tone"])


def _privacy(policy: Policy, phrases: PhraseRules) -> Guard:
    return PrivacyGuard(policy)


def _missing_structure(policy: Policy, phrases: PhraseRules) -> Guard:
    return MissingStructureGuard(policy)


def _leaked_instructions(policy: Policy, phrases: PhraseRules) -> Guard | None:
    checks = policy.draft_checks
    return None if checks is None else LeakedInstructionGuard(checks.leaked_instructions)


def _repeated_sentence(policy: Policy, phrases: PhraseRules) -> Guard | None:
    checks = policy.draft_checks
    return None if checks is None else RepeatedSentenceGuard(checks.repeated_sentence)


def _mixed_language(policy: Policy, phrases: PhraseRules) -> Guard | None:
    checks = policy.draft_checks
    if checks is None or checks.mixed_language is None:
        return None
    return MixedLanguageGuard(checks.mixed_language, policy.tone.allowed_caps)


def _copied_example(policy: Policy, phrases: PhraseRules) -> Guard | None:
    checks = policy.draft_checks
    return None if checks is None else CopiedExampleGuard(checks.copied_example)


def _facts_changed(policy: Policy, phrases: PhraseRules) -> Guard | None:
    return None if policy.draft_checks is None else FactPreservationGuard(policy)


REGISTRY: tuple[GuardEntry, ...] = (
    GuardEntry("forbidden_phrase", "every_reply", _forbidden_phrase),
    GuardEntry("unkeepable_promise", "every_reply", _unkeepable_promise),
    GuardEntry("blame_or_argue", "every_reply", _blame_or_argue),
    GuardEntry("tone", "every_reply", _tone),
    GuardEntry("privacy", "every_reply", _privacy),
    GuardEntry("missing_structure", "every_reply", _missing_structure),
    GuardEntry("leaked_instructions", "model_drafts", _leaked_instructions),
    GuardEntry("repeated_sentence", "model_drafts", _repeated_sentence),
    GuardEntry("mixed_language", "model_drafts", _mixed_language),
    GuardEntry("copied_example", "model_drafts", _copied_example),
    GuardEntry("facts_changed", "rewrites", _facts_changed),
)
