"""Compile a policy once (CompiledPolicy) and check a text against it (check)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass

from guards.context import CheckContext, DraftInputs, Guard, Turn, TurnPosition
from guards.loader import default_policy
from guards.patterns import PolicyPattern
from guards.phrase_rules import CompiledPhraseRule
from guards.policy import CATEGORIES, CHANNELS, SCENARIOS, Category, Channel, Policy, Scenario
from guards.prefilter import NoPrefilter, Prefilter, build_prefilter
from guards.registry import REGISTRY, Applies
from guards.text import Document, fold
from guards.violation import GuardReport, Suppressed, Violation

_CATEGORY_ORDER: dict[str, int] = {c: i for i, c in enumerate(CATEGORIES)}


@dataclass(frozen=True)
class TriageCues:
    """The policy's cues for reading a ticket: scenario keywords (folded) and escalation patterns."""

    keywords: tuple[tuple[Scenario, tuple[str, ...]], ...]
    threats: PolicyPattern | None
    repeated_complaint: PolicyPattern | None

    @classmethod
    def of(cls, policy: Policy) -> TriageCues:
        """Fold the keywords and compile the escalation cues of `policy`."""
        keywords = tuple(
            (e.scenario, tuple(fold(k).lower() for k in e.keywords)) for e in policy.scenario_keywords
        )
        return cls(
            keywords,
            PolicyPattern.of("escalation.threats", policy.escalation.threats),
            PolicyPattern.of("escalation.repeated_complaint", policy.escalation.repeated_complaint),
        )


@dataclass(frozen=True)
class CompiledPolicy:
    """A policy with everything built once: its guards by where they apply, the prefilter (of the
    phrase rules' patterns, then the guards' prefiltered cues) and the triage cues. Build it with
    `compile_policy` and pass it where needed.

    `prefiltered_cues`: the owner of each prefiltered cue pattern, numbered after the phrase
    patterns (`cues_from` is the number of the first).
    """

    policy: Policy
    guards: dict[Applies, tuple[Guard, ...]]
    prefilter: Prefilter
    triage: TriageCues
    disabled: frozenset[str]
    prefiltered_cues: tuple[str, ...] = ()
    cues_from: int = 0

    def ruled_out(self, may_match: frozenset[int] | None) -> frozenset[str]:
        """The owners of the prefiltered cues that cannot match, given the prefilter's candidates."""
        if may_match is None:
            return frozenset()
        return frozenset(
            owner
            for number, owner in enumerate(self.prefiltered_cues, self.cues_from)
            if number not in may_match
        )


def compile_policy(policy: Policy, *, prefilter: bool = True) -> CompiledPolicy:
    """Build the guards of `policy`; `prefilter=False` searches every phrase rule on every text."""
    phrases, patterns = _phrase_rules(policy)
    guards: dict[Applies, list[Guard]] = {"every_reply": [], "model_drafts": [], "rewrites": []}
    for entry in REGISTRY:
        guard = entry.build(policy, phrases)
        if guard is not None:
            guards[entry.applies].append(guard)
    cues: list[PolicyPattern] = [
        cue for found in guards.values() for guard in found for cue in getattr(guard, "prefiltered_cues", ())
    ]
    return CompiledPolicy(
        policy=policy,
        guards={applies: tuple(found) for applies, found in guards.items()},
        prefilter=build_prefilter([*patterns, *(c.source for c in cues)]) if prefilter else NoPrefilter(),
        triage=TriageCues.of(policy),
        disabled=frozenset(policy.meta.disable),
        prefiltered_cues=tuple(c.owner for c in cues),
        cues_from=len(patterns),
    )


def _phrase_rules(policy: Policy) -> tuple[dict[Category, list[CompiledPhraseRule]], list[str]]:
    """The phrase rules of every category, compiled and numbered; and all their patterns in order."""
    by_category = policy.phrase_rules()
    compiled: dict[Category, list[CompiledPhraseRule]] = {}
    patterns: list[str] = []
    for category, rules in by_category.items():
        compiled[category] = []
        for rule in rules:
            compiled[category].append(CompiledPhraseRule.of(category, rule, first_pattern=len(patterns)))
            patterns.extend(rule.patterns)
    return compiled, patterns


@functools.cache
def default_compiled() -> CompiledPolicy:
    """The built-in policy, compiled once per process."""
    return compile_policy(default_policy())


def check(
    text: str,
    *,
    scenario: Scenario | None = None,
    channel: Channel = "online",
    customer: str | None = None,
    history: Sequence[Turn] = (),
    turn: TurnPosition | None = None,
    policy: CompiledPolicy | None = None,
    draft: DraftInputs | None = None,
    today: dt.date | None = None,
    explain: bool = False,
) -> GuardReport:
    """Check a reply; violations are sorted by position in `text`.

    `customer`: the customer's message this replies to; `history`: the earlier turns of the
    conversation, oldest first; `turn`: "first" when this is the first substantive reply (it owes
    the required structure), "follow_up" when not, None to tell from the history. `policy`: a
    `compile_policy(...)` result (default: the built-in policy). `draft`: set for model-written
    text, which also gets the model-draft checks (and, with `draft.original`, the rewrite checks).
    `today`: the day the reply is sent, for the due dates of deadlines (default: today).
    `explain`: also report the rules' matches that are no finding, with the reason (`suppressed`).
    """
    _validate_arguments(text, scenario, channel, customer, policy)
    history = _turns(history)
    if turn is not None and turn not in ("first", "follow_up"):
        raise ValueError(f"turn must be 'first', 'follow_up' or None, not {turn!r}")
    compiled = policy or default_compiled()
    doc = Document.of(text, customer)
    may_match = compiled.prefilter.candidates(doc.norm)
    suppressed: list[Suppressed] | None = [] if explain else None
    ctx = CheckContext(
        doc,
        scenario,
        channel,
        may_match,
        draft,
        history,
        turn,
        today or dt.date.today(),
        suppressed,
        ruled_out=compiled.ruled_out(may_match),
    )
    violations: list[Violation] = []
    for guard in _guards_for(compiled, draft):
        violations.extend(guard.check(ctx))
    if draft is not None and compiled.disabled:
        # Draft-check rules stay in the policy when disabled; their findings are dropped here.
        violations = [v for v in violations if v.rule_id not in compiled.disabled]
    violations.sort(key=_position)
    return GuardReport(text, tuple(violations), scenario, channel, tuple(suppressed or ()))


def _turns(history: Sequence[object]) -> tuple[Turn, ...]:
    """The history as Turns; (speaker, text) pairs and {"speaker", "text"} dicts are accepted."""
    turns = []
    for number, item in enumerate(history, 1):
        pair: tuple[object, object] | None = None
        if isinstance(item, dict):
            pair = (item.get("speaker"), item.get("text"))
        elif isinstance(item, tuple | list) and len(item) == 2:
            pair = (item[0], item[1])
        if pair is None or pair[0] not in ("customer", "agent") or not isinstance(pair[1], str):
            raise ValueError(f"history turn {number}: give a speaker ('customer' or 'agent') and a text")
        turns.append(Turn("customer" if pair[0] == "customer" else "agent", pair[1]))
    return tuple(turns)


def _guards_for(compiled: CompiledPolicy, draft: DraftInputs | None) -> tuple[Guard, ...]:
    """Every-reply guards; with `draft`, the model-draft ones; with `draft.original`, the rewrite ones."""
    guards = compiled.guards["every_reply"]
    if draft is not None:
        guards += compiled.guards["model_drafts"]
        if draft.original is not None:
            guards += compiled.guards["rewrites"]
    return guards


def _position(violation: Violation) -> tuple[int, int, int, str]:
    """Sort key: by position, then category order, then rule id."""
    return (
        violation.start,
        violation.end,
        _CATEGORY_ORDER.get(violation.category, len(CATEGORIES)),
        violation.rule_id,
    )


def _validate_arguments(
    text: object, scenario: object, channel: object, customer: object, policy: object
) -> None:
    """Raise a clear error for arguments `check` cannot use."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    if customer is not None and not isinstance(customer, str):
        raise TypeError(f"customer must be a str or None, not {type(customer).__name__}")
    if scenario is not None and scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; choose one of: {', '.join(SCENARIOS)}")
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}; choose one of: {', '.join(CHANNELS)}")
    if policy is not None and not isinstance(policy, CompiledPolicy):
        raise TypeError(
            f"policy must be a CompiledPolicy, not {type(policy).__name__}: "
            "compile it once with guards.compile_policy(policy) and pass the result to every check"
        )
