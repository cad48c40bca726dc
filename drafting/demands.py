"""What a customer demands (refund, compensation, fee waiver, a deadline, someone else's data), and
the guard that blocks a draft granting a demand the policy does not authorise.

The demand kinds, their cues (Chinese and English) and what a grant looks like are data:
`prompts/compose.toml`. A demand is authorised when the policy's
`unkeepable_promise.authorized_compensation` covers the customer's words for it.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from guards import CheckContext, Policy, Violation
from guards.policy import Regex, Severity, Source
from guards.text import Span, fold, normalize_pattern, strip_invisible

DemandKind = Literal["refund", "compensation", "fee_waiver", "deadline", "other_data"]
DEMAND_KINDS: tuple[DemandKind, ...] = ("refund", "compensation", "fee_waiver", "deadline", "other_data")


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DemandSpec(_Data):
    """One kind of demand: its label, the customer's cues and a reply's grants."""

    kind: DemandKind
    label: str
    cues: list[Regex] = Field(min_length=1)
    grants: list[Regex] = Field(min_length=1)


class GrantCheck(_Data):
    """The finding a granted demand produces."""

    id: str
    severity: Severity
    message: str
    suggestion: str
    source: Source
    unless: list[Regex] = Field(default_factory=list)


class ProblemSlot(_Data):
    """Limits of the customer's problem as the reply quotes it."""

    max_chars: int = Field(ge=4)
    rejects: list[Regex] = Field(default_factory=list)


class FactCarrier(_Data):
    """The sentence a rewrite carries the facts of the agent's dropped clauses in ({facts})."""

    zh: str = Field(pattern=r"\{facts\}")
    en: str = Field(pattern=r"\{facts\}")
    source: Source


class ComposeData(_Data):
    """prompts/compose.toml."""

    grant_check: GrantCheck
    demands: list[DemandSpec]
    problem: ProblemSlot
    fact_carrier: FactCarrier


@functools.cache
def compose_data() -> ComposeData:
    """The compose strategy's data, read once."""
    text = resources.files("prompts").joinpath("compose.toml").read_text(encoding="utf-8")
    return ComposeData.model_validate(tomllib.loads(text))


def _alternation(patterns: Sequence[str]) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{normalize_pattern(p)})" for p in patterns)) if patterns else None


@functools.cache
def _compiled_cues() -> tuple[tuple[DemandKind, re.Pattern[str]], ...]:
    return tuple(
        (d.kind, re.compile("|".join(f"(?:{normalize_pattern(p)})" for p in d.cues)))
        for d in compose_data().demands
    )


@dataclass(frozen=True)
class Demand:
    """A demand the customer made, with the words that made it."""

    kind: DemandKind
    words: str


def find_demands(texts: Sequence[str]) -> list[Demand]:
    """The demands in the customer's texts (earlier turns included), one per kind."""
    found: dict[DemandKind, Demand] = {}
    for text in texts:
        folded = fold(strip_invisible(text))
        for kind, pattern in _compiled_cues():
            match = pattern.search(folded)
            if match and kind not in found:
                found[kind] = Demand(kind, match.group())
    return list(found.values())


def unauthorised(demands: Sequence[Demand], policy: Policy) -> list[Demand]:
    """The demands the policy's authorised compensation does not cover."""
    authorised = _alternation(policy.unkeepable_promise.authorized_compensation)
    return [d for d in demands if authorised is None or not authorised.search(d.words)]


class DemandGrantGuard:
    """Blocks a reply that grants one of the customer's unauthorised demands, however it is worded."""

    category: Literal["unkeepable_promise"] = "unkeepable_promise"

    def __init__(self, demands: Sequence[Demand]) -> None:
        data = compose_data()
        self._rule = data.grant_check
        self._unless = _alternation(data.grant_check.unless)
        kinds = {d.kind for d in demands}
        self._grants = [
            (spec, re.compile("|".join(f"(?:{normalize_pattern(p)})" for p in spec.grants)))
            for spec in data.demands
            if spec.kind in kinds
        ]

    def check(self, ctx: CheckContext) -> list[Violation]:
        """A finding at every grant of a demanded kind outside a refusing or checking clause."""
        doc = ctx.doc
        found: list[Violation] = []
        for _spec, pattern in self._grants:
            for match in pattern.finditer(doc.norm):
                clause = doc.clause_bounds(match.start(), match.end())
                if self._unless is not None and self._unless.search(doc.norm, clause.start, clause.end):
                    continue
                found.append(self._violation(ctx, Span(match.start(), match.end())))
        return found

    def _violation(self, ctx: CheckContext, span: Span) -> Violation:
        doc = ctx.doc
        original = doc.original_span(span.start, span.end)
        matched = doc.norm[span.start : span.end]
        return Violation(
            category=self.category,
            rule_id=self._rule.id,
            severity=self._rule.severity,
            start=original.start,
            end=original.end,
            match=doc.original[original.start : original.end],
            message=self._rule.message.replace("{found}", matched),
            suggestion=self._rule.suggestion,
            source=str(self._rule.source),
        )
