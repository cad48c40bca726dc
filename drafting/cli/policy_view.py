"""A flat view of a policy for `huashu policy show`: every rule as one row, plus the other sections."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from guards import CHANNELS, SCENARIOS, Category, Policy
from guards.policy import ChannelSeverity, PhraseRule, PunctuationRule, duration_label

# What the built-in punctuation checks look for (they have no patterns in the policy file).
_PUNCTUATION_CHECKS = {
    "exclamation": "感叹号 ！ / !",
    "repeated_punctuation": "连续的问号/感叹号 ？？ / ！！",
    "all_caps": "全大写的英文单词（tone.allowed_caps 里的缩写除外）",
}


@dataclass(frozen=True)
class RuleRow:
    """One rule as `policy show` lists it."""

    id: str
    category: Category
    severity: str
    patterns: list[str]
    message: str
    suggestion: str
    source: str
    detects: str = ""
    unless: list[str] = field(default_factory=list)
    not_when: list[str] = field(default_factory=list)
    scope: str = ""
    note: str = ""

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return asdict(self)


def rule_rows(policy: Policy) -> list[RuleRow]:
    """Every rule of the policy with its category, in file order (commitments are listed apart)."""
    rows = [_phrase_row(r, "forbidden_phrase") for r in policy.forbidden_phrase]
    rows += [_phrase_row(r, "blame_or_argue") for r in policy.blame_or_argue]
    rows += [_phrase_row(r, "unkeepable_promise") for r in policy.unkeepable_promise.phrases]
    rows += [_phrase_row(r, "tone") for r in policy.tone.phrases]
    tone = policy.tone
    punctuation = {"exclamation": tone.exclamation, "repeated_punctuation": tone.repeated_punctuation}
    punctuation["all_caps"] = tone.all_caps
    rows += [_punctuation_row(rule, _PUNCTUATION_CHECKS[name]) for name, rule in punctuation.items()]
    rows += [
        RuleRow(
            r.id,
            "privacy",
            r.severity,
            [],
            r.message,
            r.suggestion,
            str(r.source),
            detects=f"个人信息：{r.kind}",
        )
        for r in policy.privacy.rules
    ]
    rows += [
        RuleRow(
            e.id,
            "missing_structure",
            e.severity,
            list(e.cues),
            e.message,
            e.suggestion,
            str(e.source),
            detects=f"结构要素：{e.element}（patterns 是识别它的提示词）",
        )
        for e in policy.missing_structure.elements
    ]
    return rows


def commitment_rows(policy: Policy) -> list[dict[str, object]]:
    """The time commitments: which scenario/channels, the deadline, the cue words and source."""
    return [
        {
            "id": c.id,
            "scenario": c.scenario,
            "channels": list(c.channels),
            "within": c.within,
            "within_label": duration_label(c.within),
            "usually": c.usually,
            "default_for_scenario": c.default_for_scenario,
            "actions": list(c.actions),
            "phrase": c.phrase,
            "source": str(c.source),
        }
        for c in policy.unkeepable_promise.commitments
    ]


def policy_view(policy: Policy, category: Category | None = None) -> dict[str, object]:
    """The whole policy as `policy show --format json` prints it; `category` narrows it."""
    view: dict[str, object] = {"meta": policy.meta.model_dump()}
    view["rules"] = [r.to_dict() for r in rule_rows(policy) if category in (None, r.category)]
    if category in (None, "unkeepable_promise"):
        promises = policy.unkeepable_promise
        view["commitments"] = commitment_rows(policy)
        view["deadline_rules"] = promises.deadlines.model_dump(mode="json")
        view["authorized_compensation"] = list(promises.authorized_compensation)
    if category in (None, "missing_structure"):
        view["structure"] = policy.missing_structure.model_dump(mode="json", exclude={"elements"})
    if category is None:
        view["decisions"] = [d.model_dump(mode="json") for d in policy.decisions]
        view["not_enforced"] = [n.model_dump(mode="json") for n in policy.not_enforced]
    return view


def _phrase_row(rule: PhraseRule, category: Category) -> RuleRow:
    return RuleRow(
        rule.id,
        category,
        rule.severity,
        list(rule.patterns),
        rule.message,
        rule.suggestion,
        str(rule.source),
        unless=list(rule.unless),
        not_when=list(rule.not_when),
        scope=_scope(rule),
        note=rule.note,
    )


def _punctuation_row(rule: PunctuationRule, detects: str) -> RuleRow:
    return RuleRow(
        rule.id,
        "tone",
        _channel_severity(rule.severity),
        [],
        rule.message,
        rule.suggestion,
        str(rule.source),
        detects=detects,
        note=rule.note,
    )


def _channel_severity(severity: ChannelSeverity) -> str:
    """'online: warn, email: warn', or 'off' when no channel is checked."""
    parts = [f"{name}: {value}" for name, value in severity.model_dump().items() if value is not None]
    return ", ".join(parts) or "off"


def _scope(rule: PhraseRule) -> str:
    """Where a phrase rule applies, when it is narrower than every channel and scenario."""
    parts = []
    if set(rule.channels) != set(CHANNELS):
        parts.append(f"channels: {', '.join(rule.channels)}")
    if set(rule.scenarios) != set(SCENARIOS):
        parts.append(f"scenarios: {', '.join(rule.scenarios)}")
    if not rule.skip_quoted:
        parts.append("also inside quotes")
    return "; ".join(parts)
