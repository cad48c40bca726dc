"""missing_structure: soothe, apology, details request and a solution with a concrete deadline."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from guards.context import CheckContext
from guards.patterns import PolicyPattern
from guards.policy import (
    Category,
    DetailItem,
    Policy,
    Scenario,
    ScenarioStructure,
    StructureElement,
    StructureElementName,
)
from guards.text import Document, Span
from guards.violation import RuleFinding, Violation


@dataclass(frozen=True)
class _Detail:
    """A detail the agent needs: found in the customer's message, or asked for in the reply."""

    item: DetailItem
    given: PolicyPattern
    request: PolicyPattern


@dataclass(frozen=True)
class _Structure:
    """The elements one scenario requires, and its details."""

    spec: ScenarioStructure
    details: tuple[_Detail, ...]


@dataclass(frozen=True)
class _Element:
    """A structure element with its cue words compiled."""

    spec: StructureElement
    cues: PolicyPattern
    finding: RuleFinding

    @classmethod
    def of(cls, category: Category, spec: StructureElement) -> _Element:
        """Compile one element of the policy."""
        finding = RuleFinding(
            category, spec.id, spec.severity, spec.message, spec.suggestion, str(spec.source)
        )
        return cls(spec, _alternation(spec.id, spec.cues), finding)


_ElementCheck = Callable[[CheckContext, _Structure, _Element], "Violation | None"]


def _alternation(owner: str, patterns: list[str]) -> PolicyPattern:
    """The patterns as one; an empty list never matches."""
    return PolicyPattern.of(owner, patterns) or PolicyPattern.one(owner, "(?!)")


# An earlier agent turn with fewer Chinese characters (or, in English, fewer words) than this,
# once greetings are taken out, did not take up the customer's problem.
_SUBSTANTIVE_CHARACTERS = 4
_SUBSTANTIVE_WORDS = 4
_CJK = re.compile("[\u4e00-\u9fff]")
_LATIN_WORD = re.compile("[A-Za-z]+")


class MissingStructureGuard:
    """Flags a required element the reply lacks, for the scenarios that require structure."""

    category: Category = "missing_structure"

    def __init__(self, policy: Policy) -> None:
        section = policy.missing_structure
        self._elements = {e.element: _Element.of(self.category, e) for e in section.elements}
        self._structures: dict[Scenario, _Structure] = {
            s.scenario: _Structure(
                s,
                tuple(
                    _Detail(d, _alternation(f"{d.name} (given)", d.given), _alternation(d.name, d.request))
                    for d in s.details
                ),
            )
            for s in section.scenarios
        }
        self._vague = _alternation("missing_structure.vague_deadlines", section.vague_deadlines)
        self._greetings = _alternation("missing_structure.greetings", section.greetings)
        self._record_known = _alternation("missing_structure.record_known", section.record_known)
        # Kept apart from the words: one alternation of both searched three times slower.
        self._record_identifiers = _alternation(
            "missing_structure.record_identifiers", section.record_identifiers
        )
        self._information = _alternation("missing_structure.information_words", section.information_words)
        self._question_marks = tuple(section.question_marks)
        # Elements judged by more than their cue words; the others need one unquoted cue.
        special: dict[StructureElementName, _ElementCheck] = {
            "details_request": self._check_details,
            "solution": self._check_solution,
        }
        # Per scenario: how each required element is checked, in the policy's order.
        self._checks = {
            scenario: tuple((special.get(n, self._check_cues), self._elements[n]) for n in s.spec.elements)
            for scenario, s in self._structures.items()
        }
        # Searched in the reply and usually absent: the engine's prefilter rules them out. (The
        # elements' cues are usually present in a reply that owes the structure: scanning for
        # them would cost more than it saves.)
        self.prefiltered_cues = (self._vague, self._record_known, self._record_identifiers)

    def check(self, ctx: CheckContext) -> list[Violation]:
        """One finding per required element that is missing."""
        checks = self._checks.get(ctx.scenario) if ctx.scenario else None
        if checks is None or not self._owes_structure(ctx):
            return []
        structure = self._structures[ctx.scenario]  # type: ignore[index]
        found: list[Violation] = []
        for element_check, element in checks:
            finding = element_check(ctx, structure, element)
            if finding is not None:
                found.append(finding)
        return found

    def _owes_structure(self, ctx: CheckContext) -> bool:
        """The first substantive reply owes the structure; a follow-up is judged only for what it says."""
        if ctx.turn is not None:
            return ctx.turn == "first"
        return not any(self._substantive(turn) for turn in ctx.agent_turns)

    def _substantive(self, agent_turn: str) -> bool:
        """True when an earlier agent turn is more than a greeting or a request to wait."""
        rest = agent_turn
        for match in self._greetings.finditer(agent_turn):
            rest = rest.replace(match.group(), "")
        return (
            len(_CJK.findall(rest)) >= _SUBSTANTIVE_CHARACTERS
            or len(_LATIN_WORD.findall(rest)) >= _SUBSTANTIVE_WORDS
        )

    def _check_cues(self, ctx: CheckContext, structure: _Structure, element: _Element) -> Violation | None:
        """Soothe, apology: present when one of the cue words is the agent's own."""
        if _first_unquoted(ctx, element.cues) is not None:
            return None
        return self._emit(ctx.doc, element, None, [])

    def _check_details(self, ctx: CheckContext, structure: _Structure, element: _Element) -> Violation | None:
        """Asked for: a polite request for information still missing (none needed if all is given
        or the agent already has the record)."""
        if self._has_record(ctx):
            return None
        missing: list[_Detail] = []
        given: list[_Detail] = []
        for detail in structure.details:
            (given if detail.given.search(ctx.customer_words) else missing).append(detail)
        if structure.details and not missing:
            return None
        sentences = _request_sentences(ctx, element, self._question_marks)
        if _asks_for(ctx.doc, sentences, missing, given, self._information):
            return None
        return self._emit(ctx.doc, element, None, [d.item.name for d in missing])

    def _has_record(self, ctx: CheckContext) -> bool:
        """True when the agent says, now or earlier, that it already has the order or record, or
        quotes the case's own identifiers (an order number, 尾号1234)."""
        for pattern in (self._record_known, self._record_identifiers):
            if _first_unquoted(ctx, pattern) is not None:
                return True
            if any(pattern.search(turn) for turn in ctx.agent_turns):
                return True
        return False

    def _check_solution(
        self, ctx: CheckContext, structure: _Structure, element: _Element
    ) -> Violation | None:
        """A solution with a concrete time (and one of the element's cues, when it lists any); the
        finding points at a vague word (尽快) if any."""
        if ctx.names_a_time and (not element.spec.cues or _first_unquoted(ctx, element.cues) is not None):
            return None
        return self._emit(ctx.doc, element, _first_unquoted(ctx, self._vague), [])

    def _emit(self, doc: Document, element: _Element, at: Span | None, details: list[str]) -> Violation:
        """The finding for a missing element: at `at`, else an empty span at the end of the reply."""
        start, end = at if at is not None else (len(doc.norm), len(doc.norm))
        if not details:
            return element.finding.at(doc, start, end)
        return element.finding.at(doc, start, end, f"{element.spec.message}（尚缺：{'、'.join(details)}）")


def _request_sentences(
    ctx: CheckContext, element: _Element, question_marks: tuple[str, ...]
) -> Iterator[Span]:
    """The sentences that may ask the customer for something: those with a request cue of the
    agent's own (麻烦您提供…), then the direct questions (those ending in a question mark)."""
    doc = ctx.doc
    if ctx.may_contain(element.cues):
        for cue in element.cues.finditer(doc.norm):
            if cue.end() > cue.start() and not doc.is_quoted(*cue.span()):
                yield doc.sentence_bounds(cue.start(), cue.end())
    for mark in question_marks:
        position = doc.norm.find(mark)
        while position >= 0:
            if not doc.is_quoted(position, position + len(mark)):
                yield doc.sentence_bounds(position, position)
            position = doc.norm.find(mark, position + len(mark))


def _asks_for(
    doc: Document,
    sentences: Iterable[Span],
    missing: list[_Detail],
    given: list[_Detail],
    information: PolicyPattern,
) -> bool:
    """True when one of the request `sentences` asks for information still missing: it names a
    `missing` detail, or asks for anything else (序列号, 故障开始时间 …) besides details the
    customer already gave; asking again only for given details is no request."""
    text = doc.norm
    judged: set[Span] = set()
    for start, end in sentences:
        if (start, end) in judged:
            continue  # several cues in one sentence: judge it once
        judged.add(Span(start, end))
        if not missing or any(d.request.search(text, start, end) for d in missing):
            return True
        if information.search(_without(text[start:end], given)) is not None:
            return True
    return False


def _without(sentence: str, given: list[_Detail]) -> str:
    """The sentence with the words that ask for details already given taken out (请提供订单号 when
    the customer gave it asks for nothing new)."""
    for detail in given:
        for match in list(detail.request.finditer(sentence)):
            sentence = sentence.replace(match.group(), "")
    return sentence


def _first_unquoted(ctx: CheckContext, pattern: PolicyPattern) -> Span | None:
    """The first match of `pattern` in the reply in the agent's own words."""
    if not ctx.may_contain(pattern):
        return None
    doc = ctx.doc
    for match in pattern.finditer(doc.norm):
        if match.end() > match.start() and not doc.is_quoted(*match.span()):
            return Span(*match.span())
    return None
