"""Agents' feedback as eval cases (the case-file format of `evals/cases/`)."""

from __future__ import annotations

from collections.abc import Iterable

from drafting.ui.feedback import RATING_MARKS, FeedbackRecord
from evals.cases import EvalCase
from evals.expectations import Expectation
from guards.text import fold


def feedback_case(record: FeedbackRecord) -> EvalCase:
    """An eval case that replays the feedback's request and expects what the agent wanted."""
    return EvalCase(
        id=f"feedback-{record.id or 0}-{record.rating}",
        kind=record.kind,
        origin=_origin(record),
        message=record.message or None,
        scenario=record.scenario,
        channel=record.channel,
        address_as=record.address_as,
        facts=record.facts,
        history=record.history,
        agent_text=record.agent_text or None,
        tone=record.tone or "标准",
        expect=expectations(record),
    )


def feedback_cases(records: Iterable[FeedbackRecord]) -> list[EvalCase]:
    """One case per record, in the order given."""
    return [feedback_case(record) for record in records]


def expectations(record: FeedbackRecord) -> list[Expectation]:
    """guards-pass always; what the agent's corrections removed and kept, when they edited."""
    expect = [Expectation(type="guards-pass")]
    if record.escalate:
        expect.append(Expectation(type="escalation-flagged"))
    if record.kind == "rewrite":
        expect.append(Expectation(type="facts-preserved"))
    removed = _removed_phrases(record)
    if removed:
        expect.append(Expectation(type="not-contains", value=removed))
    kept = _kept_fixes(record)
    if kept:
        expect.append(Expectation(type="contains", value=kept))
    return expect


def _removed_phrases(record: FeedbackRecord) -> list[str]:
    """Flagged phrases of the model's reply that the agent's final text no longer has."""
    final = fold(record.final_text)
    return list(dict.fromkeys(m for m in record.model_findings if m.strip() and fold(m) not in final))


def _kept_fixes(record: FeedbackRecord) -> list[str]:
    """Suggested wordings the agent applied and kept in the final text."""
    final = fold(record.final_text)
    kept = (f.replacement for f in record.applied_fixes if f.replacement and fold(f.replacement) in final)
    return list(dict.fromkeys(kept))


def _origin(record: FeedbackRecord) -> str:
    origin = f"agent feedback {RATING_MARKS[record.rating]} {record.created_at[:10]}".rstrip()
    return f"{origin}: {record.note}" if record.note else origin
