"""Aggregates of an eval run, and the run as JSON (what `--out` writes and `--compare` reads)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from evals.runner import CaseResult, EvalRun

JSON_FORMAT = 1


@dataclass(frozen=True)
class Rate:
    """`passed` of `total`."""

    passed: int
    total: int

    @property
    def value(self) -> float | None:
        """The share passed, or None when there is nothing to count."""
        return self.passed / self.total if self.total else None


@dataclass
class Summary:
    """The figures of a run: pass rates, violations before and after feedback, cost and time."""

    cases: int
    by_status: dict[str, int]
    case_pass: Rate
    expectations: Rate
    by_expectation: dict[str, Rate]
    by_scenario: dict[str, Rate]
    by_channel: dict[str, Rate]
    by_kind: dict[str, Rate]
    blocked_first_attempt: Rate
    blocked_after_feedback: Rate
    mean_attempts: float | None
    prompt_tokens: int
    completion_tokens: int
    mean_tokens: float | None
    latency_mean_s: float | None
    latency_median_s: float | None
    latency_p90_s: float | None
    rules_first_attempt: dict[str, int] = field(default_factory=dict)
    rules_final: dict[str, int] = field(default_factory=dict)


def scenario_of(result: CaseResult) -> str:
    """The scenario a case is about: given, else named by its `scenario` expectation, else the draft's."""
    case = result.case
    if case.scenario != "auto":
        return case.scenario
    named = next((str(e.value) for e in case.expect if e.type == "scenario" and e.value), None)
    if named:
        return named
    return result.draft.scenario if result.draft else "auto"


def _rates(results: Iterable[CaseResult], key: Callable[[CaseResult], str]) -> dict[str, Rate]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for result in results:
        counts[key(result)][0] += result.passed
        counts[key(result)][1] += 1
    return {name: Rate(p, t) for name, (p, t) in sorted(counts.items())}


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _rule_counts(ids: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for rule_id in ids:
        counts[rule_id] += 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def summarize(run: EvalRun) -> Summary:
    """The aggregates of a run; stale and missing cases are counted apart, never as results."""
    judged = [r for r in run.results if r.status in ("ok", "error")]
    drafts = [r.draft for r in judged if r.draft is not None]
    verdicts = [(x.expectation.type, x.verdict.passed) for r in judged for x in r.results]
    by_expectation: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for name, passed in verdicts:
        by_expectation[name][0] += passed
        by_expectation[name][1] += 1
    latencies = [r.latency_s for r in judged if r.latency_s is not None]
    prompt = sum(d.usage.prompt_tokens for d in drafts)
    completion = sum(d.usage.completion_tokens for d in drafts)
    status: dict[str, int] = defaultdict(int)
    for result in run.results:
        status[result.status] += 1
    return Summary(
        cases=len(run.results),
        by_status=dict(sorted(status.items())),
        case_pass=Rate(sum(r.passed for r in judged), len(judged)),
        expectations=Rate(sum(p for _, p in verdicts), len(verdicts)),
        by_expectation={k: Rate(*v) for k, v in sorted(by_expectation.items())},
        by_scenario=_rates(judged, scenario_of),
        by_channel=_rates(judged, lambda r: r.case.channel),
        by_kind=_rates(judged, lambda r: r.case.kind),
        blocked_first_attempt=Rate(sum(not d.attempts[0].passed for d in drafts), len(drafts)),
        blocked_after_feedback=Rate(sum(not d.passed for d in drafts), len(drafts)),
        mean_attempts=statistics.fmean(len(d.attempts) for d in drafts) if drafts else None,
        prompt_tokens=prompt,
        completion_tokens=completion,
        mean_tokens=(prompt + completion) / len(drafts) if drafts else None,
        latency_mean_s=statistics.fmean(latencies) if latencies else None,
        latency_median_s=statistics.median(latencies) if latencies else None,
        latency_p90_s=_percentile(latencies, 0.9),
        rules_first_attempt=_rule_counts(v.rule_id for d in drafts for v in d.attempts[0].blocking),
        rules_final=_rule_counts(v.rule_id for d in drafts for v in d.report.blocking),
    )


def _case_json(result: CaseResult) -> dict[str, Any]:
    case, draft = result.case, result.draft
    data: dict[str, Any] = {
        "id": case.id,
        "kind": case.kind,
        "scenario": scenario_of(result),
        "channel": case.channel,
        "origin": case.origin,
        "status": result.status,
        "passed": result.passed,
        "error": result.error,
        "latency_s": result.latency_s,
        "expectations": [
            {
                "type": x.expectation.type,
                "label": x.expectation.label(),
                "passed": x.verdict.passed,
                "score": round(x.verdict.score, 4),
                "reason": x.verdict.reason,
            }
            for x in result.results
        ],
    }
    if draft is not None:
        data["draft"] = {
            "text": draft.text,
            "passed": draft.passed,
            "scenario": draft.scenario,
            "escalate": draft.escalate,
            "attempts": [
                {"number": a.number, "passed": a.passed, "blocking": [v.rule_id for v in a.blocking]}
                for a in draft.attempts
            ],
            "usage": draft.usage.model_dump(),
        }
    return data


def _summary_json(summary: Summary) -> dict[str, Any]:
    data = asdict(summary)
    for name, value in list(data.items()):
        if isinstance(value, dict) and {"passed", "total"} <= set(value):
            data[name] = {**value, "rate": Rate(**value).value}
        elif isinstance(value, dict) and all(isinstance(v, dict) for v in value.values()):
            data[name] = {k: {**v, "rate": Rate(v["passed"], v["total"]).value} for k, v in value.items()}
    return data


def run_json(run: EvalRun, summary: Summary | None = None) -> dict[str, Any]:
    """The run as a JSON-ready dict: meta, summary, cases."""
    summary = summary or summarize(run)
    return {
        "format": JSON_FORMAT,
        "meta": {
            "model": run.model,
            "strategy": run.strategy,
            "folder": run.folder,
            "mode": run.mode,
            "prompt_version": run.prompt_version,
            "recorded_prompt_version": run.recorded_prompt_version,
            "policy_fingerprint": run.policy_fingerprint,
            "started_at": run.started_at,
            "duration_s": round(run.duration_s, 2),
        },
        "summary": _summary_json(summary),
        "cases": [_case_json(r) for r in run.results],
    }
