"""The policy model: every rule huashu enforces, as data loaded from TOML."""

from __future__ import annotations

import re
from typing import Annotated, Literal, get_args

import regex
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from guards.clauses import ContextFact

Severity = Literal["block", "warn"]
Category = Literal[
    "forbidden_phrase",
    "unkeepable_promise",
    "blame_or_argue",
    "tone",
    "privacy",
    "missing_structure",
]
Scenario = Literal["consult", "complaint", "after_sales", "urgent", "care", "shipping", "price"]
Channel = Literal["online", "phone", "email"]
StructureElementName = Literal["soothe", "apology", "details_request", "solution"]
PrivacyKind = Literal["mobile", "id_card", "bank_card", "email", "address", "other_customer"]

# Categories of the checks that only model-written drafts get (kept apart from the six above).
DraftCheckCategory = Literal["model_artifact", "facts_changed"]
DRAFT_CHECK_CATEGORIES: tuple[DraftCheckCategory, ...] = get_args(DraftCheckCategory)
# A deadline longer than the standard's: a deviation to warn about, not an unkeepable promise.
SLOW_DEADLINE: Literal["slow_deadline"] = "slow_deadline"
FindingCategory = Category | DraftCheckCategory | Literal["slow_deadline"]

CATEGORIES: tuple[Category, ...] = get_args(Category)
SCENARIOS: tuple[Scenario, ...] = get_args(Scenario)
CHANNELS: tuple[Channel, ...] = get_args(Channel)

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(min|h|d|wd)\s*$")
_HOURS_PER_UNIT = {"min": 1 / 60, "h": 1.0, "d": 24.0, "wd": 24.0}


class Model(BaseModel):
    """Base for every policy model: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# A backreference (\1, (?P=name)) or a conditional group ((?(1)…)) in a pattern's text.
_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=|\(\?\(")
# A group with an unbounded repeat inside that is itself repeated without bound: (a+)+, (a|b*)*.
# Such a pattern backtracks exponentially on a text that almost matches.
_NESTED_REPEAT = re.compile(r"\((?:[^()\\]|\\.)*(?<!\\)(?:[*+]|\{\d*,\})(?:[^()\\]|\\.)*\)(?:[*+]|\{\d*,\})")


def _check_regex(pattern: str) -> str:
    try:
        compiled = regex.compile(pattern)
        re.compile(pattern)
    except (regex.error, re.error) as exc:
        raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from exc
    # The guards join a list's patterns into one regex, so a pattern must not depend on being alone.
    if re.compile(pattern).flags & ~re.UNICODE:
        raise ValueError(f"{pattern!r}: flags like (?i) must be scoped, e.g. (?i:abc)")
    if compiled.groupindex:
        raise ValueError(f"{pattern!r}: named groups are not supported; use (...) or (?:...)")
    if _BACKREFERENCE.search(pattern):
        raise ValueError(f"{pattern!r}: backreferences (\\1, (?(1)…)) are not supported")
    if compiled.fullmatch("") is not None:
        raise ValueError(
            f"{pattern!r}: matches the empty string, so it would flag every reply; make a part required"
        )
    if _NESTED_REPEAT.search(pattern):
        raise ValueError(
            f"{pattern!r}: a repeated group holds a repeat, e.g. (a+)+; it can take minutes on a short reply"
        )
    return pattern


# A policy regex; validated per item, so an error names the index (patterns[2]).
Regex = Annotated[str, AfterValidator(_check_regex)]


_UNIT_LABELS = {"min": "分钟", "h": "小时", "d": "天", "wd": "个工作日"}


def duration_label(text: str) -> str:
    """A policy duration as the customer reads it: '2wd' → '2个工作日'."""
    match = _DURATION.match(text)
    if not match:
        return text
    number = match.group(1).removesuffix(".0")
    return f"{number}{_UNIT_LABELS[match.group(2)]}"


def duration_hours(text: str) -> float:
    """Hours in a policy duration such as '30min', '24h', '3d' or '2wd' (working days)."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"invalid duration {text!r}: use a number and min, h, d or wd, e.g. '2wd'")
    return float(match.group(1)) * _HOURS_PER_UNIT[match.group(2)]


class Source(Model):
    """Where a rule comes from: a document and the line quoted from it."""

    file: str = Field(min_length=1)
    line: str = Field(min_length=1)

    def __str__(self) -> str:
        return f"{self.file}: “{self.line}”"


class PhraseRule(Model):
    """A rule that fires on phrases (regular expressions) found in the agent's own words."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_.-]*$")
    severity: Severity
    patterns: list[Regex] = Field(min_length=1)
    message: str = Field(min_length=1)
    suggestion: str = ""
    source: Source
    unless: list[Regex] = Field(default_factory=list)
    # Facts of the clause around a match that make it no finding (see guards/clauses.py).
    not_when: list[ContextFact] = Field(default_factory=list)
    channels: list[Channel] = Field(default_factory=lambda: list(CHANNELS))
    scenarios: list[Scenario] = Field(default_factory=lambda: list(SCENARIOS))
    skip_quoted: bool = True
    skip_echo: bool = True
    examples: list[str] = Field(default_factory=list)
    note: str = ""

    def expanded(self, vocabulary: dict[str, list[str]]) -> PhraseRule:
        """The rule with every {name} of `vocabulary` in its patterns spelled out."""
        return self.model_copy(
            update={
                "patterns": [expand(p, vocabulary) for p in self.patterns],
                "unless": [expand(p, vocabulary) for p in self.unless],
            }
        )


class Commitment(Model):
    """A time commitment the company can keep, for a scenario (or any) and channels."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_.-]*$")
    scenario: Scenario | None = None
    channels: list[Channel] = Field(default_factory=lambda: list(CHANNELS))
    actions: list[Regex] = Field(min_length=1)
    within: str
    usually: str | None = None
    default_for_scenario: bool = False
    phrase: str = Field(min_length=1)
    source: Source

    @field_validator("within", "usually")
    @classmethod
    def _valid_duration(cls, value: str | None) -> str | None:
        if value is not None:
            duration_hours(value)
        return value

    @property
    def within_hours(self) -> float:
        """The deadline in hours (a working day counts as 24 hours)."""
        return duration_hours(self.within)

    @property
    def usually_hours(self) -> float | None:
        """The hedged ('usually') deadline in hours, if the policy gives one."""
        return duration_hours(self.usually) if self.usually else None


class DeadlineRules(Model):
    """How parsed time commitments are judged against the commitments."""

    too_fast_severity: Severity = "block"
    too_slow_severity: Severity = "warn"
    too_fast_message: str = "承诺的时限“{found}”短于规范可兑现的时限（{within}），做不到就是失信。"
    too_slow_message: str = "承诺的时限“{found}”长于规范要求（{within}）。"
    hedges: list[Regex] = Field(default_factory=list)
    source: Source


class PromiseSection(Model):
    """Rules for promises the company cannot keep."""

    phrases: list[PhraseRule] = Field(default_factory=list)
    authorized_compensation: list[Regex] = Field(default_factory=list)
    commitments: list[Commitment] = Field(default_factory=list)
    deadlines: DeadlineRules


class ChannelSeverity(Model):
    """A severity per channel; a channel left out is not checked."""

    online: Severity | None = None
    phone: Severity | None = None
    email: Severity | None = None

    def for_channel(self, channel: Channel) -> Severity | None:
        """The severity for one channel, or None when the rule does not apply there."""
        value: Severity | None = getattr(self, channel)
        return value


class PunctuationRule(Model):
    """A tone rule on punctuation or letter case, with per-channel severity."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_.-]*$")
    severity: ChannelSeverity
    message: str
    suggestion: str = ""
    source: Source
    note: str = ""
    # Per channel: words after which the mark is the documents' own template (邮件“您好!”).
    allowed_after: dict[Channel, list[Regex]] = Field(default_factory=dict)


class ToneSection(Model):
    """Tone rules: phrases, exclamation marks, repeated punctuation, ALL CAPS."""

    phrases: list[PhraseRule] = Field(default_factory=list)
    exclamation: PunctuationRule
    repeated_punctuation: PunctuationRule
    all_caps: PunctuationRule
    allowed_caps: list[str] = Field(default_factory=list)
    shouting_words: list[str] = Field(default_factory=list)


class PrivacyRule(Model):
    """A kind of personal data that must not appear in a reply."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_.-]*$")
    kind: PrivacyKind
    severity: Severity
    message: str
    suggestion: str = ""
    source: Source


class PrivacySection(Model):
    """Personal-data rules and the context that makes a number not personal."""

    rules: list[PrivacyRule] = Field(default_factory=list)
    not_personal_cues: list[Regex] = Field(default_factory=list)
    bank_card_cues: list[Regex] = Field(default_factory=list)
    company_address_cues: list[Regex] = Field(default_factory=list)
    id_card_cues: list[Regex] = Field(default_factory=list)
    other_customer_cues: list[Regex] = Field(default_factory=list)
    other_customer_data: list[Regex] = Field(default_factory=list)
    address_places: list[str] = Field(default_factory=list)
    address_numbers: list[str] = Field(default_factory=list)
    company_emails: list[str] = Field(default_factory=list)
    role_mailboxes: list[str] = Field(default_factory=list)


class StructureElement(Model):
    """One element a reply must contain, found by cue phrases."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_.-]*$")
    element: StructureElementName
    cues: list[Regex] = Field(default_factory=list)
    severity: Severity
    message: str
    suggestion: str = ""
    source: Source


class DetailItem(Model):
    """A detail the agent needs; `given` finds it in the customer message, `request` in the reply."""

    name: str
    given: list[Regex] = Field(min_length=1)
    request: list[Regex] = Field(min_length=1)


class ScenarioStructure(Model):
    """The elements required in one scenario, and the details to ask for."""

    scenario: Scenario
    elements: list[StructureElementName]
    details: list[DetailItem] = Field(default_factory=list)
    source: Source


class StructureSection(Model):
    """Required reply structure per scenario.

    The structure is owed by the first substantive reply: an earlier agent turn that is more
    than `greetings` makes the reply a follow-up. A details request is not needed when the
    agent says it already has the record (`record_known`) or quotes the case's own identifiers
    (`record_identifiers`: an order number, 尾号1234); it is any polite request (a cue of
    the details_request element), or a direct question (a sentence ending in one of
    `question_marks`), that names a missing detail or one of `information_words`.
    """

    elements: list[StructureElement] = Field(default_factory=list)
    scenarios: list[ScenarioStructure] = Field(default_factory=list)
    vague_deadlines: list[str] = Field(default_factory=list)
    greetings: list[Regex] = Field(default_factory=list)
    record_known: list[Regex] = Field(default_factory=list)
    record_identifiers: list[Regex] = Field(default_factory=list)
    information_words: list[Regex] = Field(default_factory=list)
    question_marks: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _elements_defined(self) -> StructureSection:
        defined = {e.element for e in self.elements}
        for s in self.scenarios:
            missing = [name for name in s.elements if name not in defined]
            if missing:
                raise ValueError(f"scenario {s.scenario!r} requires undefined elements {missing}")
        return self


class EscalationSection(Model):
    """When a customer's message means the ticket must be escalated."""

    threats: list[Regex] = Field(default_factory=list)
    repeated_complaint: list[Regex] = Field(default_factory=list)
    source: Source


class ScenarioKeywords(Model):
    """Keywords that pick a scenario when the model does not (deterministic fallback)."""

    scenario: Scenario
    keywords: list[str] = Field(min_length=1)


# The slots a model phrase may name; the compose strategy fills them from the understood ticket.
PHRASE_SLOTS = ("problem", "missing")
_SLOT = re.compile(r"\{(\w*)\}")


class ModelPhrase(Model):
    """A model phrase from the documents: an example for the model, a variant for composed replies.

    `language` "en" marks an English rendering (its source is the Chinese line it translates);
    `action` names what a solution or commitment phrase does (安排质检, 维修…); `text` may name
    the slots {problem} (the customer's problem in their own words) and {missing} (the details
    still to ask for).
    """

    element: Literal["greeting", "soothe", "apology", "details_request", "solution", "commitment", "closing"]
    text: str = Field(min_length=1)
    scenario: Scenario | None = None
    channel: Channel | None = None
    language: Literal["zh", "en"] = "zh"
    action: str = ""
    source: Source

    @field_validator("text")
    @classmethod
    def _known_slots(cls, value: str) -> str:
        unknown = [name for name in _SLOT.findall(value) if name not in PHRASE_SLOTS]
        if unknown:
            raise ValueError(f"unknown slot {{{unknown[0]}}}; known slots: {', '.join(PHRASE_SLOTS)}")
        return value

    @property
    def slots(self) -> tuple[str, ...]:
        """The slots the text names, in order."""
        return tuple(_SLOT.findall(self.text))


class Decision(Model):
    """Where the documents disagree: what the policy does and why."""

    topic: str
    decision: str
    reason: str
    sources: list[Source] = Field(min_length=1)


class NotEnforced(Model):
    """A rule in the documents that huashu consciously does not check, with the reason."""

    topic: str
    reason: str
    source: Source


class DraftCheckRule(Model):
    """A check of model-written drafts: id, severity, message (may name {found}) and source."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_.-]*$")
    severity: Severity
    message: str = Field(min_length=1)
    suggestion: str = ""
    source: Source


class PatternDraftCheck(DraftCheckRule):
    """A draft check that fires on phrases (regular expressions)."""

    patterns: list[Regex] = Field(min_length=1)


class LeakDraftCheck(PatternDraftCheck):
    """Leaked instructions: the patterns, plus any clause of the prompt's instructions copied."""

    min_chars: int = Field(default=6, ge=1)


class SimilarityDraftCheck(DraftCheckRule):
    """A draft check on near-identical sentences: `similarity` is the threshold (0.5–1)."""

    similarity: float = Field(ge=0.5, le=1.0)
    min_chars: int = Field(default=6, ge=1)


class MixedLanguageDraftCheck(DraftCheckRule):
    """Foreign words in a Chinese reply: lowercase Latin words of `min_letters` or more."""

    min_letters: int = Field(default=4, ge=2)
    chinese_share: float = Field(default=0.5, ge=0.0, le=1.0)


class FactDraftCheck(DraftCheckRule):
    """Facts a rewrite must keep; numbers, ids and dates are found by code, products by pattern."""

    product_patterns: list[Regex] = Field(default_factory=list)


class DraftChecks(Model):
    """Checks of model output only (leaked instructions, repeats, copied example, changed facts)."""

    leaked_instructions: LeakDraftCheck
    repeated_sentence: SimilarityDraftCheck
    mixed_language: MixedLanguageDraftCheck | None = None
    copied_example: SimilarityDraftCheck
    facts_missing: FactDraftCheck
    invented_facts: DraftCheckRule
    added_commitment: DraftCheckRule
    added_compensation: PatternDraftCheck
    escalation_repeat_turns: int = Field(default=2, ge=1)
    escalation_repeat_source: Source | None = None


class Meta(Model):
    """Name and version of a policy file."""

    name: str
    version: str
    description: str = ""
    extends: Literal["default", "none"] = "default"
    disable: list[str] = Field(default_factory=list)


# A word list of the vocabulary used in a pattern: {third_party}. Quantifiers ({2}, {0,8}) hold digits.
_VOCABULARY_NAME = re.compile(r"\{([a-z_]+)\}")


def vocabulary_names(pattern: str) -> set[str]:
    """The {name}s a pattern uses."""
    return set(_VOCABULARY_NAME.findall(pattern))


def expand(pattern: str, vocabulary: dict[str, list[str]]) -> str:
    """`pattern` with each {name} replaced by the alternation of that vocabulary list."""
    return _VOCABULARY_NAME.sub(lambda m: "(?:" + "|".join(vocabulary[m.group(1)]) + ")", pattern)


class Policy(Model):
    """A complete policy: all rules, commitments, structure, decisions and exclusions.

    `vocabulary` names word lists that phrase-rule patterns use as {name}, so a family of rules
    shares one list (the third parties blame can be shifted to, the words of a guarantee).
    """

    meta: Meta
    vocabulary: dict[str, list[str]] = Field(default_factory=dict)
    forbidden_phrase: list[PhraseRule] = Field(default_factory=list)
    blame_or_argue: list[PhraseRule] = Field(default_factory=list)
    unkeepable_promise: PromiseSection
    tone: ToneSection
    privacy: PrivacySection
    missing_structure: StructureSection
    escalation: EscalationSection
    scenario_keywords: list[ScenarioKeywords] = Field(default_factory=list)
    model_phrases: list[ModelPhrase] = Field(default_factory=list)
    decisions: list[Decision] = Field(default_factory=list)
    not_enforced: list[NotEnforced] = Field(default_factory=list)
    draft_checks: DraftChecks | None = None

    def phrase_rules(self) -> dict[Category, list[PhraseRule]]:
        """The phrase rules of each category, with the vocabulary spelled out in their patterns."""
        sections = {
            "forbidden_phrase": self.forbidden_phrase,
            "unkeepable_promise": self.unkeepable_promise.phrases,
            "blame_or_argue": self.blame_or_argue,
            "tone": self.tone.phrases,
        }
        return {
            category: [rule.expanded(self.vocabulary) for rule in rules]  # type: ignore[misc]
            for category, rules in sections.items()
        }

    @model_validator(mode="after")
    def _vocabulary_and_examples(self) -> Policy:
        for rules in (
            self.forbidden_phrase,
            self.blame_or_argue,
            self.unkeepable_promise.phrases,
            self.tone.phrases,
        ):
            for rule in rules:
                for pattern in (*rule.patterns, *rule.unless):
                    unknown = [n for n in _VOCABULARY_NAME.findall(pattern) if n not in self.vocabulary]
                    if unknown:
                        raise ValueError(f"rule {rule.id!r}: {{{unknown[0]}}} is not in [vocabulary]")
                expanded = rule.expanded(self.vocabulary)
                for pattern in expanded.patterns:
                    _check_regex(pattern)
                for example in rule.examples:
                    if not any(regex.search(p, example) for p in expanded.patterns):
                        raise ValueError(
                            f"rule {rule.id!r}: example {example!r} is matched by none of its patterns"
                        )
        return self

    @model_validator(mode="after")
    def _unique_rule_ids(self) -> Policy:
        seen: set[str] = set()
        for rule_id in self.rule_ids():
            if rule_id in seen:
                raise ValueError(f"rule id {rule_id!r} is used twice")
            seen.add(rule_id)
        return self

    def rule_ids(self) -> list[str]:
        """Every rule id in the policy, in file order."""
        ids = [r.id for r in self.forbidden_phrase]
        ids += [r.id for r in self.blame_or_argue]
        ids += [r.id for r in self.unkeepable_promise.phrases]
        ids += [c.id for c in self.unkeepable_promise.commitments]
        ids += [r.id for r in self.tone.phrases]
        ids += [self.tone.exclamation.id, self.tone.repeated_punctuation.id, self.tone.all_caps.id]
        ids += [r.id for r in self.privacy.rules]
        ids += [e.id for e in self.missing_structure.elements]
        return ids
