"""missing_structure: soothe, apology, details request and a solution with a concrete deadline."""

from __future__ import annotations

import re
from dataclasses import dataclass

from guards.context import CheckContext
from guards.phrases import violation_for
from guards.policy import Category, DetailItem, Policy, Scenario, ScenarioStructure, StructureElement
from guards.text import Document, Span, normalize_pattern
from guards.violation import Violation


@dataclass(frozen=True)
class _Detail:
    item: DetailItem
    given: re.Pattern[str]
    request: re.Pattern[str]


@dataclass(frozen=True)
class _Structure:
    spec: ScenarioStructure
    details: tuple[_Detail, ...]


def _alternation(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{normalize_pattern(p)})" for p in patterns) or "(?!)")


class MissingStructureGuard:
    """Flags a required element the reply lacks, for the scenarios that require structure."""

    category: Category = "missing_structure"

    def __init__(self, policy: Policy) -> None:
        section = policy.missing_structure
        self._elements: dict[str, tuple[StructureElement, re.Pattern[str]]] = {
            e.element: (e, _alternation(e.cues)) for e in section.elements
        }
        self._structures: dict[Scenario, _Structure] = {
            s.scenario: _Structure(
                s, tuple(_Detail(d, _alternation(d.given), _alternation(d.request)) for d in s.details)
            )
            for s in section.scenarios
        }
        self._vague = _alternation(section.vague_deadlines)

    def check(self, ctx: CheckContext) -> list[Violation]:
        """One finding per required element that is missing."""
        structure = self._structures.get(ctx.scenario) if ctx.scenario else None
        if structure is None:
            return []
        found: list[Violation] = []
        for name in structure.spec.elements:
            element, cues = self._elements[name]
            if name == "details_request":
                missing = self._missing_details(ctx, structure, cues)
                if missing is not None:
                    found.append(self._emit(ctx.doc, element, None, missing))
            elif name == "solution":
                if not (_has_unquoted(ctx.doc, cues) and self._has_concrete_deadline(ctx)):
                    found.append(self._emit(ctx.doc, element, _first_unquoted(ctx.doc, self._vague), None))
            elif not _has_unquoted(ctx.doc, cues):
                found.append(self._emit(ctx.doc, element, None, None))
        return found

    def _missing_details(
        self, ctx: CheckContext, structure: _Structure, cues: re.Pattern[str]
    ) -> list[str] | None:
        """None when the reply asks for what is missing (or nothing is); else the missing names."""
        customer = ctx.doc.customer
        missing = [d for d in structure.details if customer is None or not d.given.search(customer)]
        if structure.details and not missing:
            return None
        asks = _has_unquoted(ctx.doc, cues)
        if asks and (not missing or any(_has_unquoted(ctx.doc, d.request) for d in missing)):
            return None
        return [d.item.name for d in missing]

    def _has_concrete_deadline(self, ctx: CheckContext) -> bool:
        return any(t.kind != "immediate" for t in ctx.times)

    def _emit(
        self, doc: Document, element: StructureElement, at: Span | None, details: list[str] | None
    ) -> Violation:
        start, end = at if at is not None else (len(doc.norm), len(doc.norm))
        message = element.message + (f"（尚缺：{'、'.join(details)}）" if details else "")
        return violation_for(
            doc,
            self.category,
            element.id,
            element.severity,
            start,
            end,
            message,
            element.suggestion,
            str(element.source),
        )


def _has_unquoted(doc: Document, pattern: re.Pattern[str]) -> bool:
    return _first_unquoted(doc, pattern) is not None


def _first_unquoted(doc: Document, pattern: re.Pattern[str]) -> Span | None:
    for match in pattern.finditer(doc.norm):
        if match.end() > match.start() and not doc.is_quoted(*match.span()):
            return Span(*match.span())
    return None
