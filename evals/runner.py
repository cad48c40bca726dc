"""Run eval cases: replay each case's cassette (or record it from a live model) and judge the draft.

A case's outcome is one of:
    ok       a draft was made (passed or not); its expectations were judged
    error    the model's answer was unusable (recorded that way), or recording failed
    stale    the cassette no longer matches the requests (prompts, policy or engine changed)
    missing  no cassette for this case and model
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from drafting.client import OpenAIChatClient
from drafting.engine import Drafter
from drafting.errors import HuashuError, ModelOutputError, RequestRejectedError
from drafting.models import Draft, Strategy
from drafting.settings import NO_KEY, Settings
from evals.cases import EvalCase
from evals.cassettes import (
    CaseRecording,
    Manifest,
    cassette,
    cassette_path,
    file_leaks,
    load_manifest,
    prompt_version,
    replay_mismatch,
    rerecord_command,
    save_manifest,
    strategy_folder,
)
from evals.expectations import Expectation, Outcome, Verdict, evaluate
from guards import Policy, default_policy, policy_fingerprint

CaseStatus = Literal["ok", "error", "stale", "missing"]
# Eval requests are deterministic: greedy decoding, so a re-recording gives the same replies.
EVAL_TEMPERATURE = 0.0
# A draft on a small CPU model can take minutes while other work shares the cores.
RECORD_TIMEOUT_S = 900.0
_REPLAY_KEY = NO_KEY
# Failures that belong to the case, not to the endpoint's health: an unusable answer, or a
# request the endpoint refuses (e.g. the re-asks outgrew the model's context). They are
# recorded, and the replay fails the same way; anything else (connection, 5xx) is not kept.
CASE_OUTCOME_ERRORS = (ModelOutputError, RequestRejectedError)


@dataclass(frozen=True)
class ExpectationResult:
    """One expectation of a case and its verdict."""

    expectation: Expectation
    verdict: Verdict


@dataclass
class CaseResult:
    """What happened to one case."""

    case: EvalCase
    status: CaseStatus
    draft: Draft | None = None
    results: list[ExpectationResult] = field(default_factory=list)
    error: str = ""
    latency_s: float | None = None
    recorded_now: bool = False

    @property
    def passed(self) -> bool:
        """True when a draft was made and every expectation passed."""
        return self.status == "ok" and all(r.verdict.passed for r in self.results)


@dataclass
class EvalRun:
    """A whole run: which model and prompt version, and every case's result."""

    model: str
    folder: str
    prompt_version: str
    recorded_prompt_version: str
    policy_fingerprint: str
    mode: Literal["replay", "record"]
    started_at: str
    results: list[CaseResult] = field(default_factory=list)
    duration_s: float = 0.0
    strategy: Strategy = "free"

    @property
    def unusable(self) -> list[CaseResult]:
        """Cases whose cassette is stale or missing (the run does not say anything about them)."""
        return [r for r in self.results if r.status in ("stale", "missing")]


CaseCallback = Callable[[CaseResult], None]


def judge(case: EvalCase, draft: Draft, policy: Policy) -> list[ExpectationResult]:
    """Every expectation of the case, judged on its draft."""
    outcome = Outcome(case, draft, policy)
    return [ExpectationResult(e, evaluate(e, outcome)) for e in case.expect]


def _failed_all(case: EvalCase, reason: str) -> list[ExpectationResult]:
    return [ExpectationResult(e, Verdict(False, 0.0, reason)) for e in case.expect]


def execute(case: EvalCase, drafter: Drafter) -> Draft:
    """Draft the case's ticket, or rewrite its agent text."""
    if case.kind == "draft":
        return drafter.draft(case.ticket())
    given = case.model_fields_set
    return drafter.rewrite(
        case.agent_text or "",
        customer=case.message,
        tone=case.tone,
        channel=case.channel if "channel" in given else None,
        scenario=case.scenario,
        address_as=case.address_as if "address_as" in given else None,
    )


def replay_settings(manifest: Manifest) -> Settings:
    """Settings that send exactly the recorded requests (no retries: a replay never waits)."""
    return Settings(
        base_url=manifest.base_url,
        api_key=_REPLAY_KEY,
        model=manifest.model,
        structured_mode=manifest.structured_mode,
        temperature=manifest.temperature,
        max_tokens=manifest.max_tokens,
        max_retries=0,
        source="eval cassettes",
    )


def recording_manifest(
    settings: Settings, existing: Manifest | None, max_attempts: int, strategy: Strategy = "free"
) -> Manifest:
    """The manifest for recording with `settings`; an existing folder keeps its request settings."""
    if not settings.base_url or not settings.model:
        raise HuashuError("no model endpoint to record from", hint="set HUASHU_BASE_URL and HUASHU_MODEL")
    fresh = Manifest(
        model=settings.model,
        strategy=strategy,
        base_url=settings.shown_url,  # stored: no user, password or key
        structured_mode=settings.structured_mode,
        temperature=EVAL_TEMPERATURE,
        max_tokens=settings.max_tokens,
        max_attempts=max_attempts,
    )
    if existing is None:
        return fresh
    # New cassettes must match the folder's others; only the endpoint's address may move.
    return existing.model_copy(update={"base_url": settings.shown_url})


def recording_settings(settings: Settings, manifest: Manifest) -> Settings:
    """The live settings with the manifest's request settings; no retries (a retry would be recorded).

    The live endpoint's own URL is kept: the manifest's has its credentials masked.
    """
    return replace(
        settings,
        model=manifest.model,
        structured_mode=manifest.structured_mode,
        temperature=manifest.temperature,
        max_tokens=manifest.max_tokens,
        max_retries=0,
        timeout_s=max(settings.timeout_s, RECORD_TIMEOUT_S),
    )


class EvalRunner:
    """Replays (or records, then replays) cases for one model folder."""

    def __init__(
        self,
        folder: Path,
        manifest: Manifest,
        *,
        policy: Policy | None = None,
        live: Settings | None = None,
        force: bool = False,
    ) -> None:
        self.folder = folder
        self.manifest = manifest
        self.policy = policy or default_policy()
        self.live = recording_settings(live, manifest) if live is not None else None
        self.force = force
        self.prompt_version = prompt_version(self.policy)
        self.policy_fingerprint = policy_fingerprint(self.policy)

    def run(self, cases: Iterable[EvalCase], on_case: CaseCallback | None = None) -> EvalRun:
        """Every case in turn; `on_case` hears each result as it is ready."""
        started = time.perf_counter()
        run = EvalRun(
            model=self.manifest.model,
            folder=f"{self.folder.parent.name}/{self.folder.name}",
            strategy=self.manifest.strategy,
            prompt_version=self.prompt_version,
            recorded_prompt_version=self.manifest.prompt_version,
            policy_fingerprint=self.policy_fingerprint,
            mode="record" if self.live else "replay",
            started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        for case in cases:
            result = self.run_case(case)
            run.results.append(result)
            if on_case is not None:
                on_case(result)
        run.recorded_prompt_version = self.manifest.prompt_version
        run.duration_s = time.perf_counter() - started
        return run

    def run_case(self, case: EvalCase) -> CaseResult:
        """One case: recorded first when recording and its cassette is absent (or forced)."""
        exists = cassette_path(self.folder, case.id).exists()
        if self.live is not None and (self.force or not exists):
            return self._record(case, self.live)
        if not exists:
            return CaseResult(
                case,
                "missing",
                results=_failed_all(case, "not recorded"),
                error=f"no cassette for case {case.id}; record it: "
                f"{rerecord_command(self.manifest.model, case.id, self.manifest.strategy)}",
            )
        return self._replay(case)

    def _drafter(self, settings: Settings) -> Drafter:
        # A fresh client per case: a structured-mode downgrade in one case must not change the
        # requests (and so the cassette match) of the next.
        return Drafter(
            OpenAIChatClient(settings),
            policy=self.policy,
            max_attempts=self.manifest.max_attempts,
            strategy=self.manifest.strategy,
        )

    def _replay(self, case: EvalCase) -> CaseResult:
        recording = self.manifest.cases.get(case.id)
        latency = recording.latency_s if recording else None
        drafter = self._drafter(replay_settings(self.manifest))
        try:
            with cassette(self.folder, f"{case.id}.yaml", record=False):
                draft = execute(case, drafter)
        except Exception as exc:  # vcrpy's mismatch may surface bare or wrapped by the SDK
            if replay_mismatch(exc) is not None:
                return self._stale(case, recording)
            if not isinstance(exc, HuashuError):
                raise
            failed = _failed_all(case, f"no draft: {exc}")
            return CaseResult(case, "error", results=failed, error=str(exc), latency_s=latency)
        return CaseResult(case, "ok", draft, judge(case, draft, self.policy), latency_s=latency)

    def _stale(self, case: EvalCase, recording: CaseRecording | None) -> CaseResult:
        then = recording.prompt_version if recording else "unknown"
        message = (
            f"case {case.id}: the cassette {self.folder.parent.name}/{self.folder.name}/{case.id}.yaml "
            "does not match the requests "
            f"huashu sends now (recorded with prompt version {then}, now {self.prompt_version}: prompts, "
            "policy or engine changed); re-record it: "
            f"{rerecord_command(self.manifest.model, case.id, self.manifest.strategy)}"
        )
        return CaseResult(case, "stale", results=_failed_all(case, "stale cassette"), error=message)

    def _record(self, case: EvalCase, live: Settings) -> CaseResult:
        partial = self.folder / f".recording-{case.id}.yaml"
        partial.unlink(missing_ok=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        drafter = self._drafter(live)
        started = time.perf_counter()
        draft: Draft | None = None
        model_error = ""
        try:
            with cassette(self.folder, partial.name, record=True, secrets=live.secrets) as tape:
                try:
                    draft = execute(case, drafter)
                except CASE_OUTCOME_ERRORS as exc:  # the case's own outcome: recorded, replayed alike
                    model_error = str(exc)
                calls = len(tape)
        except HuashuError as exc:
            partial.unlink(missing_ok=True)
            return CaseResult(
                case, "error", results=_failed_all(case, "recording failed"), error=f"recording failed: {exc}"
            )
        latency = time.perf_counter() - started
        leaks = file_leaks(partial, live.secrets)
        if leaks:  # never kept: the filters above should make this impossible
            partial.unlink(missing_ok=True)
            message = f"recording failed: the cassette would hold a credential ({leaks[0]})"
            return CaseResult(case, "error", results=_failed_all(case, "recording failed"), error=message)
        partial.replace(cassette_path(self.folder, case.id))
        self._remember(case.id, latency, calls)
        if draft is None:
            return CaseResult(
                case,
                "error",
                results=_failed_all(case, f"no draft: {model_error}"),
                error=model_error,
                latency_s=latency,
                recorded_now=True,
            )
        results = judge(case, draft, self.policy)
        return CaseResult(case, "ok", draft, results, latency_s=latency, recorded_now=True)

    def _remember(self, case_id: str, latency_s: float, calls: int) -> None:
        self.manifest.cases[case_id] = CaseRecording(
            prompt_version=self.prompt_version,
            recorded_at=datetime.now(UTC).isoformat(timespec="seconds"),
            latency_s=round(latency_s, 2),
            calls=calls,
            policy_fingerprint=self.policy_fingerprint,
        )
        versions = {r.prompt_version for r in self.manifest.cases.values()}
        self.manifest.prompt_version = versions.pop() if len(versions) == 1 else "mixed"
        save_manifest(self.folder, self.manifest)


def replay_runner(
    root: Path, model: str, *, strategy: Strategy = "free", policy: Policy | None = None
) -> EvalRunner:
    """A runner that replays the cassettes of `model` and `strategy` under `root` (no network)."""
    folder = strategy_folder(root, model, strategy)
    manifest = load_manifest(folder)
    if manifest is None:
        raise HuashuError(
            f"no recorded cassettes for model {model!r} and strategy {strategy!r} in {root}",
            hint=f"record them: {rerecord_command(model, strategy=strategy)}",
        )
    return EvalRunner(folder, manifest, policy=policy)


def record_runner(
    root: Path,
    live: Settings,
    *,
    max_attempts: int,
    strategy: Strategy = "free",
    policy: Policy | None = None,
    force: bool = False,
) -> EvalRunner:
    """A runner that records absent (or, with force, all) cassettes from the live endpoint."""
    if not live.model:
        raise HuashuError("no model to record", hint="set HUASHU_MODEL or pass --model")
    folder = strategy_folder(root, live.model, strategy)
    manifest = recording_manifest(live, load_manifest(folder), max_attempts, strategy)
    save_manifest(folder, manifest)
    return EvalRunner(folder, manifest, policy=policy, live=live, force=force)
