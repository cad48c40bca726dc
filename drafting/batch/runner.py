"""Check rows with the guards, and rewrite the ones with findings: async, bounded, resumable.

The rows stream in order. Each is checked at once; a row that needs the model becomes a task
whose rewrite runs in a pool of worker threads (see backends). Results come out in input
order through a bounded window, so memory does not grow with the library. Identical templates (same text,
scenario and channel) are rewritten once: a later copy waits for the one in flight or reads
the checkpoint. Every finished rewrite is appended to the checkpoint before it is emitted.
"""

from __future__ import annotations

import asyncio
import sys
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import guards
from drafting.batch.backends import RewriteBackend
from drafting.batch.checkpoint import Checkpoint, RunIdentity
from drafting.batch.outcome import Rewrite, RowOutcome, rewrite_status
from drafting.batch.rows import BadRow, WorkRow, channel_for
from drafting.errors import (
    AuthenticationFailedError,
    EndpointError,
    HuashuError,
    ModelNotFoundError,
    RequestRejectedError,
)
from drafting.tones import Tone
from guards import Channel, CompiledPolicy

DEFAULT_CONCURRENCY = 8
# Failures that every other row would hit too: stop the run at once.
FATAL_ERRORS = (AuthenticationFailedError, ModelNotFoundError, RequestRejectedError)
# Rows read ahead of the oldest unfinished one, per unit of concurrency.
_WINDOW_PER_WORKER = 16
_MIN_WINDOW = 256
# Rows read between turns of the event loop: each turn gives up the GIL (a select call), and
# getting it back from busy worker threads takes milliseconds, so turns are kept few.
_YIELD_EVERY = 16
# While rewriting, a thread whose HTTP answer arrived waits for the GIL at most this long
# (Python's default is 5 ms); measured: +3% throughput at concurrency 32.
_SWITCH_INTERVAL_S = 0.001

Emit = Callable[[RowOutcome], None]
# Judges a rewrite read back from the checkpoint again with the current guards.
Recheck = Callable[[WorkRow, Channel, Rewrite], Rewrite]


class BatchAbortedError(EndpointError):
    """The endpoint failed for so many rows in a row that going on would only add failures."""


def row_report(row: WorkRow, channel: Channel, policy: CompiledPolicy) -> guards.GuardReport:
    """The guards' findings on a row's text, in its scenario, channel and conversation."""
    return guards.check(
        row.text, scenario=row.scenario, channel=channel, history=row.history, turn=row.turn, policy=policy
    )


def check_row(row: WorkRow | BadRow, policy: CompiledPolicy, channel: Channel) -> RowOutcome:
    """A row checked by the guards alone: clean, violates (a blocking finding) or error (bad row)."""
    if isinstance(row, BadRow):
        return RowOutcome(row, "error", error=row.reason)
    report = row_report(row, channel, policy)
    return RowOutcome(row, "clean" if report.ok else "violates", before=report.violations)


def check_rows(
    rows: Iterable[WorkRow | BadRow], policy: CompiledPolicy, channel: Channel, emit: Emit
) -> None:
    """Check every row and emit its outcome, in order."""
    for row in rows:
        emit(check_row(row, policy, row.channel if isinstance(row, WorkRow) and row.channel else channel))


@dataclass(frozen=True)
class RewriteOptions:
    """How a rewrite run goes."""

    tone: Tone
    rewrite_all: bool = False
    concurrency: int = DEFAULT_CONCURRENCY
    abort_after_failures: int | None = None


@dataclass
class RunStats:
    """Counts of a rewrite run."""

    model_rows: int = 0
    from_checkpoint: int = 0
    shared: int = 0
    consecutive_failures: int = 0
    fatal: BaseException | None = field(default=None, repr=False)

    def describe(self) -> dict[str, str]:
        """The counts worth reporting (none for a run without the model)."""
        if not (self.model_rows or self.from_checkpoint or self.shared):
            return {}
        return {
            "rewritten by the model": str(self.model_rows),
            "taken from the checkpoint": str(self.from_checkpoint),
            "identical templates reused": str(self.shared),
        }


@dataclass(frozen=True)
class _Keys:
    row: str
    shared: str


class RewriteRunner:
    """Rewrites the rows that need it through a backend, many at a time."""

    def __init__(
        self,
        policy: CompiledPolicy,
        backend: RewriteBackend,
        checkpoint: Checkpoint,
        identity: RunIdentity,
        options: RewriteOptions,
        recheck: Recheck,
    ) -> None:
        self.compiled = policy
        self.recheck = recheck
        self.backend = backend
        self.checkpoint = checkpoint
        self.identity = identity
        self.options = options
        self.stats = RunStats()
        self._inflight: dict[str, asyncio.Task[Rewrite]] = {}
        self._abort_after = options.abort_after_failures or options.concurrency + 5

    async def run(self, rows: Iterable[WorkRow | BadRow], emit: Emit) -> RunStats:
        """Process every row, emitting outcomes in input order; raises on a fatal endpoint error."""
        window = max(_MIN_WINDOW, self.options.concurrency * _WINDOW_PER_WORKER)
        pending: deque[RowOutcome | asyncio.Task[RowOutcome]] = deque()
        switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(_SWITCH_INTERVAL_S)
        try:
            for number, row in enumerate(rows, start=1):
                pending.append(self._start(row))
                if number % _YIELD_EVERY == 0:
                    await asyncio.sleep(0)  # start the new tasks, finish the completed ones
                self._raise_if_fatal()
                while pending and (_ready(pending[0]) or len(pending) >= window):
                    emit(await _result(pending.popleft()))
                    self._raise_if_fatal()
            while pending:
                emit(await _result(pending.popleft()))
                self._raise_if_fatal()
        finally:
            sys.setswitchinterval(switch_interval)
            for item in pending:
                if isinstance(item, asyncio.Task):
                    item.cancel()
        return self.stats

    def _raise_if_fatal(self) -> None:
        if self.stats.fatal is not None:
            raise self.stats.fatal

    def _start(self, row: WorkRow | BadRow) -> RowOutcome | asyncio.Task[RowOutcome]:
        if isinstance(row, BadRow):
            return RowOutcome(row, "error", error=row.reason)
        channel = channel_for(row, self.options.tone)
        before = row_report(row, channel, self.compiled)
        if before.ok and not self.options.rewrite_all:
            return RowOutcome(row, "clean", before=before.violations)
        work_hash = row.work_hash(channel)
        keys = _Keys(self.identity.row_key(row.id, work_hash), self.identity.shared_key(work_hash))
        saved = self.checkpoint.get(keys.row, keys.shared)
        if saved is not None:
            self.stats.from_checkpoint += 1
            done = self.recheck(row, channel, saved)
            return RowOutcome(row, rewrite_status(done), before.violations, done, reused=True)
        return asyncio.get_running_loop().create_task(self._rewrite(row, channel, before.violations, keys))

    async def _rewrite(
        self, row: WorkRow, channel: Channel, before: tuple[guards.Violation, ...], keys: _Keys
    ) -> RowOutcome:
        task = self._inflight.get(keys.shared)
        shared = task is not None
        if task is None:
            task = asyncio.get_running_loop().create_task(self._call_model(row, channel, keys))
            self._inflight[keys.shared] = task
            task.add_done_callback(lambda _: self._inflight.pop(keys.shared, None))
        else:
            self.stats.shared += 1
        try:
            rewrite = await asyncio.shield(task)
        except HuashuError as exc:
            return RowOutcome(row, "error", before, error=str(exc))
        except Exception as exc:  # a bug must not end a long run: the row reports it
            return RowOutcome(row, "error", before, error=f"internal error: {type(exc).__name__}: {exc}")
        return RowOutcome(row, rewrite_status(rewrite), before, rewrite, reused=shared)

    async def _call_model(self, row: WorkRow, channel: Channel, keys: _Keys) -> Rewrite:
        self.stats.model_rows += 1

        def save(rewrite: Rewrite) -> None:
            self.checkpoint.add(row.id, keys.row, keys.shared, rewrite)

        try:
            rewrite = await self.backend.rewrite(row, channel, save)
        except FATAL_ERRORS as exc:
            self.stats.fatal = exc
            raise
        except EndpointError as exc:
            self.stats.consecutive_failures += 1
            if self.stats.fatal is None and self.stats.consecutive_failures >= self._abort_after:
                self.stats.fatal = BatchAbortedError(
                    f"the endpoint failed for {self.stats.consecutive_failures} rows in a row: {exc.message}",
                    hint="finished rows are saved in the checkpoint; fix the endpoint and run again "
                    "with --resume",
                )
            raise
        self.stats.consecutive_failures = 0
        return rewrite


def _ready(item: RowOutcome | asyncio.Task[RowOutcome]) -> bool:
    return not isinstance(item, asyncio.Task) or item.done()


async def _result(item: RowOutcome | asyncio.Task[RowOutcome]) -> RowOutcome:
    return await item if isinstance(item, asyncio.Task) else item
