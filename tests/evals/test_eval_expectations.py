"""Each expectation passes on a draft that meets it and fails, naming what is missing, otherwise."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from eval_helpers import case_of, draft_for, reply

from drafting.detect import to_traditional
from drafting.fake import PASSING_COMPLAINT_SECTIONS, reply_json
from evals.cases import EvalCase
from evals.expectations import EXPECTATIONS, Expectation, Outcome, Verdict, evaluate
from guards import default_policy


def _judge(case: EvalCase, expectation: dict[str, Any], *answers: str) -> Verdict:
    draft = draft_for(case, *answers)
    return evaluate(Expectation.model_validate(expectation), Outcome(case, draft, default_policy()))


def _judge_pair(pair: tuple[EvalCase, str], expectation: dict[str, Any]) -> Verdict:
    case, answer = pair
    return _judge(case, expectation, answer)


@dataclass(frozen=True)
class Example:
    """An expectation with a case and model answer that meet it, and one that does not."""

    expectation: dict[str, Any]
    passing: Callable[[], tuple[EvalCase, str]]
    failing: Callable[[], tuple[EvalCase, str]]
    missing: str  # what the failing reason must name


REWRITE = {"kind": "rewrite", "agent_text": "这个我也不知道。订单A20241123001已经付款了，金额199元。"}
ENGLISH = "Hello, we are sorry for the trouble. We will contact you within 2 working days."

EXAMPLES: dict[str, Example] = {
    "guards-pass": Example(
        {"type": "guards-pass"},
        lambda: (case_of(), reply()),
        lambda: (case_of(), reply(solution="这个问题我也不知道")),
        "fp.dont_know",
    ),
    "sections-present": Example(
        {"type": "sections-present"},
        lambda: (case_of(), reply()),
        lambda: (case_of(), reply(apology="", soothe="好的")),
        "ms.apology",
    ),
    "deadline-within-policy": Example(
        {"type": "deadline-within-policy"},
        lambda: (case_of(), reply()),
        lambda: (case_of(), reply(commitment="我们会尽快联系您")),
        "no concrete deadline",
    ),
    "contains": Example(
        {"type": "contains", "value": "张先生"},
        lambda: (case_of(), reply()),
        lambda: (case_of(), reply(greeting="您好")),
        "“张先生”",
    ),
    "script": Example(
        {"type": "script", "value": "traditional"},
        lambda: (case_of(), reply(**{k: to_traditional(v) for k, v in PASSING_COMPLAINT_SECTIONS.items()})),
        lambda: (case_of(), reply()),
        "simplified Chinese",
    ),
    "contains-any": Example(
        {"type": "contains-any", "value": ["照片", "图片"]},
        lambda: (case_of(), reply(details_request="麻烦您拍一张照片给我")),
        lambda: (case_of(), reply()),
        "none of",
    ),
    "regex": Example(
        {"type": "regex", "value": r"\d+个工作日"},
        lambda: (case_of(), reply()),
        lambda: (case_of(), reply(commitment="我们会尽快联系您")),
        "no match",
    ),
    "language": Example(
        {"type": "language", "value": "en"},
        lambda: (case_of(message="My app keeps crashing."), reply_json_english()),
        lambda: (case_of(message="My app keeps crashing."), reply()),
        "Chinese",
    ),
    "length": Example(
        {"type": "length", "max": 140},
        lambda: (case_of(), reply()),
        lambda: (case_of(), reply(solution="我已经将您反映的情况详细记录下来" * 6)),
        "longer than 140",
    ),
    "facts-preserved": Example(
        {"type": "facts-preserved"},
        lambda: (case_of(**REWRITE), reply(solution="订单A20241123001的199元款项已经收到，我为您查询一下")),
        lambda: (case_of(**REWRITE), reply(solution="我为您查询一下")),
        "A20241123001",
    ),
    "escalation-flagged": Example(
        {"type": "escalation-flagged"},
        lambda: (case_of(message="再不解决我就打12315投诉你们！"), reply()),
        lambda: (case_of(), reply()),
        "not flagged",
    ),
    "scenario": Example(
        {"type": "scenario", "value": "complaint"},
        lambda: (case_of(scenario="auto"), reply("complaint")),
        lambda: (case_of(scenario="auto"), reply("price")),
        "scenario price",
    ),
}


def reply_json_english() -> str:
    """An English reply in the model's JSON."""
    return reply_json(
        "complaint", greeting="Hello", apology="We are sorry for the trouble.", solution=ENGLISH
    )


def test_every_registered_type_has_an_example() -> None:
    assert set(EXAMPLES) == set(EXPECTATIONS)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_passes_when_met(name: str) -> None:
    example = EXAMPLES[name]
    verdict = _judge_pair(example.passing(), example.expectation)
    assert verdict.passed, verdict.reason
    assert verdict.score == 1.0


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_fails_naming_what_is_missing(name: str) -> None:
    example = EXAMPLES[name]
    verdict = _judge_pair(example.failing(), example.expectation)
    assert not verdict.passed
    assert verdict.score < 1.0
    assert example.missing in verdict.reason


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_negation_inverts_pass_and_score(name: str) -> None:
    example = EXAMPLES[name]
    negated = {**example.expectation, "type": f"not-{example.expectation['type']}"}
    on_met = _judge_pair(example.passing(), negated)
    on_unmet = _judge_pair(example.failing(), negated)
    assert not on_met.passed and on_met.score == 0.0
    assert on_met.reason.startswith("unexpected: ")
    assert on_unmet.passed and on_unmet.score > 0.0


def test_contains_folds_traditional_chinese() -> None:
    verdict = _judge(case_of(), {"type": "contains", "value": "處理進展"}, reply())
    assert verdict.passed, verdict.reason


def test_contains_scores_the_share_found() -> None:
    verdict = _judge(case_of(), {"type": "contains", "value": ["张先生", "李女士"]}, reply())
    assert not verdict.passed and verdict.score == 0.5
    assert "“李女士”" in verdict.reason and "张先生" not in verdict.reason


def test_not_contains_names_the_unwanted_text() -> None:
    verdict = _judge(
        case_of(), {"type": "not-contains", "value": "全额退款"}, reply(solution="我们为您全额退款")
    )
    assert not verdict.passed
    assert verdict.reason == "unexpected: contains “全额退款”"


def test_deadline_shorter_than_the_policy_fails_with_the_rule() -> None:
    verdict = _judge(case_of(), {"type": "deadline-within-policy"}, reply(commitment="我们今天就给您答复"))
    assert not verdict.passed
    assert "up.deadline.complaint_followup" in verdict.reason


def test_sections_present_checks_named_sections() -> None:
    verdict = _judge(
        case_of(), {"type": "sections-present", "value": ["greeting", "closing"]}, reply(closing="")
    )
    assert not verdict.passed and verdict.score == 0.5
    assert "closing (empty)" in verdict.reason


def test_unknown_section_is_reported() -> None:
    verdict = _judge(case_of(), {"type": "sections-present", "value": ["farewell"]}, reply())
    assert not verdict.passed and "farewell" in verdict.reason


def test_facts_preserved_checks_listed_strings_for_drafts() -> None:
    case = case_of(facts={"订单号": "202411230001"})
    expectation = {"type": "facts-preserved", "value": ["202411230001"]}
    assert not _judge(case, expectation, reply()).passed
    kept = _judge(case, expectation, reply(solution="订单202411230001的情况我已记录，会为您核实处理"))
    assert kept.passed, kept.reason


def test_length_reports_short_replies() -> None:
    verdict = _judge(case_of(), {"type": "length", "min": 500}, reply())
    assert not verdict.passed and "shorter than 500" in verdict.reason


def test_escalation_reason_quotes_the_customer() -> None:
    case = case_of(message="再不解决我就找媒体曝光！")
    verdict = _judge(case, {"type": "escalation-flagged"}, reply())
    assert verdict.passed and "媒体" in verdict.reason


def test_repeated_complaint_in_history_is_escalated() -> None:
    history = [{"role": "customer", "text": "你们的软件闪退，我要投诉"}]
    case = case_of(message="还是闪退，我再次投诉！", history=history)
    assert _judge(case, {"type": "escalation-flagged"}, reply()).passed


def test_language_zh_on_a_chinese_reply() -> None:
    verdict = _judge(case_of(), {"type": "language", "value": "zh"}, reply())
    assert verdict.passed and "Chinese" in verdict.reason


def test_guards_pass_judges_the_final_attempt() -> None:
    case = case_of()
    first = reply(solution="这个问题我也不知道")
    draft = draft_for(case, first, reply())
    assert len(draft.attempts) == 2 and not draft.attempts[0].passed
    verdict = evaluate(Expectation(type="guards-pass"), Outcome(case, draft, default_policy()))
    assert verdict.passed, verdict.reason


def test_not_contains_with_a_list_means_none_of_them() -> None:
    expectation = {"type": "not-contains", "value": ["全额退款", "双倍赔偿"]}
    one_present = _judge(case_of(), expectation, reply(solution="我们为您全额退款"))
    assert not one_present.passed and one_present.score == 0.5
    assert one_present.reason == "unexpected: contains “全额退款”"
    assert _judge(case_of(), expectation, reply()).passed
