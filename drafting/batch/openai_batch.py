"""Scale out: the rewrites as OpenAI Batch API request JSONL, and their results mapped back.

Export writes one request line per distinct template that needs rewriting — the same format
`vllm run-batch` reads:

    {"custom_id": "huashu-<hash>", "method": "POST", "url": "/v1/chat/completions", "body": {...}}

The body is exactly the first request the drafting engine would send (captured from a real
Drafter, so prompts, schema and response_format match a live run). The custom_id is a hash of
the template's text, scenario and channel, so identical templates share one request and
import finds each row's result without any side file. Import reads the results
(`{"custom_id", "response": {"status_code", "body"}, "error"}`), runs every answer through
the same engine and guards (one attempt: there is no model to ask again) and produces the
same output and report as `batch rewrite`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drafting.batch.http_client import CHAT_PATH, completion_from_json, request_body
from drafting.batch.io import open_output
from drafting.batch.outcome import Rewrite, RowOutcome, rewrite_status
from drafting.batch.pipeline import OpenedInput
from drafting.batch.rows import BadRow, WorkRow, channel_for
from drafting.batch.runner import RunStats, row_report
from drafting.client import ChatRequest, Completion, StreamItem, check_completion
from drafting.engine import Drafter
from drafting.errors import EndpointError, HuashuError, InputError, UnparseableOutputError
from drafting.settings import Settings, StructuredMode
from drafting.tones import Tone
from guards import Channel, Policy

CUSTOM_ID_PREFIX = "huashu-"
_LENGTH_BITS = 28


def custom_id(row: WorkRow, channel: Channel) -> str:
    """The request id of a row's template (shared by identical templates)."""
    return CUSTOM_ID_PREFIX + row.work_hash(channel)


class _Captured(Exception):
    """Carries the request the engine was about to send."""

    def __init__(self, request: ChatRequest) -> None:
        super().__init__("captured")
        self.request = request


class CaptureClient:
    """A ChatClient that stops the engine at its first request and hands that request over."""

    def __init__(self, model: str) -> None:
        self._model = model

    @property
    def model(self) -> str:
        """The model the requests name."""
        return self._model

    def complete(self, request: ChatRequest) -> Completion:
        """Never answers: raises with the request."""
        raise _Captured(request)

    def stream(self, request: ChatRequest) -> Iterator[StreamItem]:
        """Never answers: raises with the request."""
        raise _Captured(request)


@dataclass
class ExportSummary:
    """What an export wrote and skipped."""

    requests: int = 0
    rows: int = 0
    clean: int = 0
    bad_rows: list[BadRow] = field(default_factory=list)


def export_requests(
    opened: OpenedInput,
    target: Path,
    *,
    policy: Policy,
    tone: Tone,
    settings: Settings,
    mode: StructuredMode,
    rewrite_all: bool,
) -> ExportSummary:
    """Write one Batch API request per distinct template that needs rewriting."""
    if not settings.model:
        raise InputError("no model name for the requests", hint="give --model or set HUASHU_MODEL")
    drafter = Drafter(CaptureClient(settings.model), policy=policy)
    summary = ExportSummary()
    seen: set[str] = set()
    output = open_output(target, [], None)
    try:
        for row in opened.rows():
            if isinstance(row, BadRow):
                summary.bad_rows.append(row)
                continue
            channel = channel_for(row, tone)
            if not rewrite_all and row_report(row, channel, drafter.compiled).ok:
                summary.clean += 1
                continue
            summary.rows += 1
            request_id = custom_id(row, channel)
            if request_id in seen:
                continue
            seen.add(request_id)
            request = _first_request(drafter, row, channel, tone)
            body = request_body(request, settings.model, mode, settings)
            output.write({"custom_id": request_id, "method": "POST", "url": "/v1" + CHAT_PATH, "body": body})
            summary.requests += 1
    except BaseException:
        output.discard()
        raise
    output.commit()
    return summary


def _first_request(drafter: Drafter, row: WorkRow, channel: Channel, tone: Tone) -> ChatRequest:
    try:
        drafter.rewrite(row.text, tone=tone.name, channel=channel, scenario=row.scenario or "auto")
    except _Captured as captured:
        return captured.request
    raise AssertionError("the engine always sends a request")  # pragma: no cover


@dataclass(frozen=True)
class BatchResult:
    """One line of a results file: the completion, or why the request failed."""

    custom_id: str
    completion: Completion | None
    error: str = ""


@dataclass(frozen=True)
class UnreadableLine:
    """A results line that holds no usable result (a torn write, or no custom_id)."""

    number: int
    reason: str


class ResultIndex:
    """A results JSONL indexed by custom_id (offsets only; lines are read back when needed).

    A line that cannot be read (torn by a killed job, no custom_id) does not stop the import:
    it is kept in `unreadable`, and the row it belonged to, when its custom_id can still be
    read, becomes an error row that names the line.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._index: dict[str, int] = {}
        self._broken: dict[str, UnreadableLine] = {}
        self.unreadable: list[UnreadableLine] = []
        try:
            self._fd = os.open(path, os.O_RDONLY)
        except OSError as exc:
            raise InputError(f"cannot read {path}: {(exc.strerror or str(exc)).lower()}") from None
        offset = 0
        with open(path, "rb") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    self._add(line, number, offset)
                offset += len(line)
        if not self._index:
            unreadable = (
                f" ({len(self.unreadable)} unreadable: {self.unreadable_lines()})" if self.unreadable else ""
            )
            raise InputError(
                f"{path} has no results{unreadable}", hint="give the output file of the batch job"
            )

    def _add(self, line: bytes, number: int, offset: int) -> None:
        request_id, problem = _custom_id(line)
        if problem:
            unreadable = UnreadableLine(number, problem)
            self.unreadable.append(unreadable)
            if request_id is not None:
                self._broken.setdefault(request_id, unreadable)
            return
        assert request_id is not None
        self._index[request_id] = offset << _LENGTH_BITS | len(line)

    def __len__(self) -> int:
        return len(self._index)

    def get(self, request_id: str) -> BatchResult | None:
        """The result for `request_id`, or None when the file has none."""
        location = self._index.get(request_id)
        if location is None:
            broken = self._broken.get(request_id)
            if broken is None:
                return None
            error = f"its result, line {broken.number} of {self.path.name} {broken.reason}"
            return BatchResult(request_id, None, error + "; export the row and run it again")
        line = os.pread(self._fd, location & ((1 << _LENGTH_BITS) - 1), location >> _LENGTH_BITS)
        return parse_result(json.loads(line))

    def unreadable_lines(self) -> str:
        """The numbers of the unreadable lines: 'line 3, 5' ('' when there are none)."""
        if not self.unreadable:
            return ""
        numbers = ", ".join(str(u.number) for u in self.unreadable[:20])
        return f"line {numbers}{', …' if len(self.unreadable) > 20 else ''}"

    def close(self) -> None:
        """Release the file."""
        os.close(self._fd)


_CUSTOM_ID = re.compile(rb'"custom_id"\s*:\s*"((?:[^"\\]|\\.)*)"')


def _custom_id(line: bytes) -> tuple[str | None, str]:
    """The line's custom_id and '' when it is a usable result, else what is wrong with it."""
    try:
        data = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        found = _CUSTOM_ID.search(line)  # a torn line may still say whose result it was
        request_id = found.group(1).decode("utf-8", "replace") if found else None
        return request_id, "is not valid JSON (cut off?)"
    value = data.get("custom_id") if isinstance(data, dict) else None
    if not isinstance(value, str):
        return None, "has no custom_id"
    return value, ""


def parse_result(data: dict[str, Any]) -> BatchResult:
    """A results line as the Batch API and `vllm run-batch` write it."""
    request_id = str(data.get("custom_id"))
    error = data.get("error")
    response = data.get("response") or {}
    status = response.get("status_code")
    if error or status != 200:
        return BatchResult(request_id, None, failure_text(error, response))
    try:
        return BatchResult(request_id, completion_from_json(response.get("body"), ""))
    except EndpointError:
        return BatchResult(request_id, None, "the batch result has no answer (no choices)")


def failure_text(error: Any, response: dict[str, Any]) -> str:
    """Why a batch request failed, in words: its status, the service's message and code."""
    status = response.get("status_code")
    where = f" ({status})" if status is not None else ""
    detail = error if error else response.get("body")
    if isinstance(detail, dict) and isinstance(detail.get("error"), dict | str):
        detail = detail["error"]  # a response body: {"error": {"message", "type", "code"}}
    if isinstance(detail, dict):
        message = str(detail.get("message") or "no message")
        code = detail.get("code")
        text = f"{message} ({code})" if code else message
    else:
        text = str(detail) if detail else "no message"
    return f"the batch request failed{where}: {' '.join(text.split())[:300]}"


class ReplayClient:
    """A ChatClient that answers once with a given completion (no model to ask again)."""

    def __init__(self) -> None:
        self.completion: Completion | None = None
        self._model = ""

    def load(self, completion: Completion) -> None:
        """Answer the next call with `completion`."""
        self.completion = completion
        self._model = completion.model

    @property
    def model(self) -> str:
        """The model that wrote the loaded answer."""
        return self._model

    def complete(self, request: ChatRequest) -> Completion:
        """The loaded completion, once; a second call means the answer was unusable."""
        completion, self.completion = self.completion, None
        if completion is None:
            raise UnparseableOutputError(
                "the batch answer is not a usable reply", hint="export the row again and rerun it"
            )
        return check_completion(completion, request.max_tokens)

    def stream(self, request: ChatRequest) -> Iterator[StreamItem]:
        """The loaded completion in one piece."""
        yield self.complete(request)


def import_process(
    results: ResultIndex, policy: Policy, tone: Tone
) -> Callable[[OpenedInput, Callable[[RowOutcome], None]], RunStats]:
    """Map results back to rows and check them as `batch rewrite` would."""
    replay = ReplayClient()
    drafter = Drafter(replay, policy=policy, max_attempts=1)

    def process(opened: OpenedInput, emit: Callable[[RowOutcome], None]) -> RunStats:
        stats = RunStats()
        for row in opened.rows():
            emit(_imported(row, results, drafter, replay, tone, stats))
        return stats

    return process


def _imported(
    row: WorkRow | BadRow,
    results: ResultIndex,
    drafter: Drafter,
    replay: ReplayClient,
    tone: Tone,
    stats: RunStats,
) -> RowOutcome:
    if isinstance(row, BadRow):
        return RowOutcome(row, "error", error=row.reason)
    channel = channel_for(row, tone)
    before = row_report(row, channel, drafter.compiled).violations
    result = results.get(custom_id(row, channel))
    if result is None:
        if not any(v.blocking for v in before):
            return RowOutcome(row, "clean", before)
        unreadable = results.unreadable_lines()
        note = f"; {results.path.name} has unreadable lines ({unreadable})" if unreadable else ""
        return RowOutcome(
            row, "error", before, error=f"no result for this row (was it exported with these options?){note}"
        )
    if result.completion is None:
        return RowOutcome(row, "error", before, error=result.error)
    replay.load(result.completion)
    stats.model_rows += 1
    try:
        draft = drafter.rewrite(row.text, tone=tone.name, channel=channel, scenario=row.scenario or "auto")
    except HuashuError as exc:
        return RowOutcome(row, "error", before, error=str(exc))
    rewrite = Rewrite.from_draft(draft)
    return RowOutcome(row, rewrite_status(rewrite), before, rewrite)
