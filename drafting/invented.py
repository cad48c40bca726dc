"""The invented-facts check of model drafts: no number, id, date or product the ticket never gave.

A drafted reply may state only facts that come from what the model was given: the customer's
message, the conversation, the order facts, or the policy's own customer-facing text (its model
and commitment phrases, the fixes of its findings). A small model fills a reply with a product of
its worked example or a made-up order number; this check blocks such a draft, whatever the
wording. Its rule and its extra patterns are data: `prompts/invented.toml`.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Literal

from pydantic import ConfigDict, Field

from drafting.detect import language_of
from guards import CheckContext, Policy, Violation
from guards.draft_artifacts import draft_violation
from guards.fact_guard import Facts, find_facts
from guards.patterns import PolicyPattern
from guards.policy import DraftCheckRule, Regex
from guards.text import Document, Span, normalize_pattern


class InventedFactsData(DraftCheckRule):
    """prompts/invented.toml: a draft check (id, severity, message, source) and its word lists."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    nouns: list[Regex] = Field(default_factory=list)
    not_facts: list[Regex] = Field(default_factory=list)


@functools.cache
def invented_data() -> InventedFactsData:
    """The check's data, read once."""
    text = resources.files("prompts").joinpath("invented.toml").read_text(encoding="utf-8")
    return InventedFactsData.model_validate(tomllib.loads(text))


@dataclass(frozen=True)
class KnownFacts:
    """The facts a reply may state: those of the given texts (normalised, for substring checks too)."""

    facts: Facts
    text: str

    def knows_id(self, key: str) -> bool:
        """True when an id was given (or is part of a longer id that was)."""
        return key in self.facts.ids or key in self.text.upper()

    def knows_word(self, key: str) -> bool:
        """True when a date word, Latin word or product name was given."""
        return key in self.facts.words or key in self.text.lower()


class FactReader:
    """Reads facts with one policy's product patterns; knows the policy's own customer-facing facts."""

    def __init__(self, policy: Policy, policy_texts: Sequence[str]) -> None:
        data = invented_data()
        checks = policy.draft_checks
        patterns = [*(checks.facts_missing.product_patterns if checks else []), *data.nouns]
        self._products = [PolicyPattern.one(data.id, p) for p in patterns]
        self._not_facts = [re.compile(normalize_pattern(p)) for p in data.not_facts]
        self.policy = self.known(policy_texts)

    def read(self, norm: str) -> Facts:
        """The facts of a normalised text, counting words of ordinary speech left out."""
        for pattern in self._not_facts:
            norm = pattern.sub(lambda m: " " * len(m.group()), norm)
        return find_facts(norm, self._products)

    def known(self, texts: Sequence[str]) -> KnownFacts:
        """The facts of `texts`, taken together."""
        norm = Document.of("\n".join(texts)).norm
        return KnownFacts(self.read(norm), norm)


class InventedFactsGuard:
    """Blocks a drafted reply stating a number, id, date word or product nobody gave."""

    category: Literal["facts_changed"] = "facts_changed"

    def __init__(self, reader: FactReader, given: Sequence[str]) -> None:
        self._reader = reader
        self._given = reader.known(given)
        # An English-writing customer gets an English reply: its words are not product names.
        self._latin_words = language_of("\n".join(given)) == "zh"

    def check(self, ctx: CheckContext) -> list[Violation]:
        """A finding at every fact of the reply that neither the ticket nor the policy holds."""
        facts = self._reader.read(ctx.doc.norm)
        known = (self._given, self._reader.policy)
        spans = [s for key, s in facts.ids.items() if not any(k.knows_id(key) for k in known)]
        spans += [s for value, s in facts.numbers.items() if not any(value in k.facts.numbers for k in known)]
        for key, span in facts.words.items():
            latin = key.isascii()
            if (self._latin_words or not latin) and not any(k.knows_word(key) for k in known):
                spans.append(span)
        return [self._violation(ctx.doc, span) for span in sorted(spans, key=lambda s: s.start)]

    def _violation(self, doc: Document, span: Span) -> Violation:
        return draft_violation(doc, invented_data(), self.category, span)
