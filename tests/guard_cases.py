"""The table shape shared by the phrase-guard tests: a reply in context, and its findings."""

from __future__ import annotations

from typing import NamedTuple

import guards
from guards.policy import Channel, Scenario


class Case(NamedTuple):
    """A reply, its context, and the (rule_id, matched original text) findings expected."""

    text: str
    expected: tuple[tuple[str, str], ...] = ()
    channel: Channel = "online"
    scenario: Scenario | None = None
    customer: str | None = None


def category_findings(case: Case, category: str) -> list[tuple[str, str]]:
    """The (rule_id, match) findings of one category, checking that every span indexes the original."""
    report = guards.check(case.text, scenario=case.scenario, channel=case.channel, customer=case.customer)
    found = [v for v in report.violations if v.category == category]
    for violation in found:
        assert case.text[violation.start : violation.end] == violation.match
    return sorted((v.rule_id, v.match) for v in found)
