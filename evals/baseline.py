"""The baseline: which expectations each case met when its cassette was last accepted.

A replay replays the same model answers, so its verdicts change only when huashu's own
checks change (guards, policy, expectations, the engine's handling of the answers). CI
compares the replay with the baseline (evals/cassettes/<model>/baseline.json): an
expectation that passed there and fails now is a regression. `huashu eval --save-baseline`
accepts the current verdicts; recording a case updates its entry too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from drafting.errors import HuashuError
from evals.runner import CaseResult, EvalRun

BASELINE = "baseline.json"


class CaseBaseline(BaseModel):
    """The verdicts of one case's expectations, in order."""

    model_config = ConfigDict(extra="forbid")

    expectations: list[str]
    passed: list[bool]


class Baseline(BaseModel):
    """Every accepted case's verdicts, for one model folder."""

    model_config = ConfigDict(extra="forbid")

    cases: dict[str, CaseBaseline] = Field(default_factory=dict)


@dataclass(frozen=True)
class Regression:
    """A case whose verdicts got worse than (or no longer fit) its baseline."""

    case_id: str
    message: str


def load_baseline(folder: Path) -> Baseline:
    """The folder's baseline (empty when there is none)."""
    path = folder / BASELINE
    try:
        return Baseline.model_validate_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Baseline()
    except ValidationError as exc:
        raise HuashuError(
            f"{path}: not a valid eval baseline ({exc.errors()[0]['msg']})",
            hint="write it again with: huashu eval --save-baseline",
        ) from None


def _entry(result: CaseResult) -> CaseBaseline:
    return CaseBaseline(
        expectations=[r.expectation.label() for r in result.results],
        passed=[r.verdict.passed for r in result.results],
    )


def update_baseline(folder: Path, results: Iterable[CaseResult]) -> Baseline:
    """Accept the verdicts of the judged cases among `results` (stale and missing ones keep their entry)."""
    baseline = load_baseline(folder)
    for result in results:
        if result.status in ("ok", "error"):
            baseline.cases[result.case.id] = _entry(result)
    data = baseline.model_dump(mode="json")
    data["cases"] = dict(sorted(data["cases"].items()))
    (folder / BASELINE).write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return baseline


def regressions(baseline: Baseline, run: EvalRun, save_hint: str) -> list[Regression]:
    """Cases whose expectations passed in the baseline and fail now, or that have no fitting entry."""
    found: list[Regression] = []
    for result in run.results:
        if result.status not in ("ok", "error"):
            continue
        accepted = baseline.cases.get(result.case.id)
        now = _entry(result)
        if accepted is None or accepted.expectations != now.expectations:
            message = f"case {result.case.id}: no baseline for its expectations; {save_hint}"
            found.append(Regression(result.case.id, message))
            continue
        lost = [
            f"{label} ({r.verdict.reason})"
            for label, before, r in zip(now.expectations, accepted.passed, result.results, strict=True)
            if before and not r.verdict.passed
        ]
        if lost:
            found.append(Regression(result.case.id, f"case {result.case.id}: now fails {'; '.join(lost)}"))
    return found
