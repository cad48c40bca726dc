"""Where the model rewrites of a batch run happen: worker threads of this process.

The drafting engine is synchronous, so each rewrite in flight holds a thread; its HTTP calls
release the GIL, and the event loop that feeds the threads stays free. A worker thread does
no file I/O of its own (the checkpoint has a writer thread): every call that gives up the GIL
costs a wait to get it back while 32 threads are busy. Worker processes were tried as well:
on this 2-core machine 2 processes x 16 threads gave the same throughput as 1 process x 32
threads, plus seconds of start-up, so the simpler design stayed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Protocol

from drafting.batch.http_client import BatchChatClient
from drafting.batch.limits import LimitedClient, Limits, RateLimiter
from drafting.batch.outcome import Rewrite
from drafting.batch.rows import WorkRow
from drafting.client import ChatClient
from drafting.engine import DEFAULT_MAX_ATTEMPTS, Drafter
from drafting.settings import Settings
from drafting.tones import Tone
from guards import Channel, Policy, Scenario

Save = Callable[[Rewrite], None]


@dataclass(frozen=True)
class ModelSetup:
    """How the batch path talks to the model."""

    concurrency: int
    limits: Limits = field(default_factory=Limits)
    max_attempts: int = DEFAULT_MAX_ATTEMPTS


def batch_drafter(settings: Settings, policy: Policy, setup: ModelSetup) -> tuple[Drafter, BatchChatClient]:
    """A Drafter on the lean client (rate-limited when limits are set), and that client."""
    client = BatchChatClient(settings)
    limiter = RateLimiter(setup.limits)
    chat: ChatClient = LimitedClient(client, limiter, settings.max_tokens) if limiter.active else client
    return Drafter(chat, policy=policy, max_attempts=setup.max_attempts), client


def rewrite_text(
    drafter: Drafter, tone: Tone, text: str, scenario: Scenario | None, channel: Channel
) -> Rewrite:
    """One template rewritten by the engine."""
    draft = drafter.rewrite(text, tone=tone.name, channel=channel, scenario=scenario or "auto")
    return Rewrite.from_draft(draft)


def recheck(drafter: Drafter, tone: Tone, row: WorkRow, channel: Channel, rewrite: Rewrite) -> Rewrite:
    """`rewrite` judged again by the current guards, as the engine judges it (the fact guard too).

    A rewrite read back from a checkpoint is not trusted: the file may have been edited, and
    its findings were made by whatever guards ran then.
    """
    checker = drafter.rewrite_checker(
        row.text, tone=tone.name, channel=channel, scenario=row.scenario or "auto"
    )
    report = checker.check(rewrite.text, rewrite.scenario or row.scenario)
    return replace(rewrite, passed=report.ok, violations=tuple(report.violations))


class RewriteBackend(Protocol):
    """Runs rewrites; `save` is called with each finished rewrite before it is returned."""

    async def rewrite(self, row: WorkRow, channel: Channel, save: Save) -> Rewrite:
        """The row's template rewritten (HuashuError when the model or endpoint failed)."""
        ...

    def close(self) -> None:
        """Stop the workers."""
        ...


class ThreadBackend:
    """Rewrites in worker threads of this process."""

    def __init__(self, drafter: Drafter, tone: Tone, threads: int) -> None:
        self.drafter = drafter
        self.tone = tone
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="huashu-rewrite")

    async def rewrite(self, row: WorkRow, channel: Channel, save: Save) -> Rewrite:
        """The rewrite, run and saved in a worker thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._run, row.text, row.scenario, channel, save)

    def _run(self, text: str, scenario: Scenario | None, channel: Channel, save: Save) -> Rewrite:
        rewrite = rewrite_text(self.drafter, self.tone, text, scenario, channel)
        save(rewrite)  # queued for the checkpoint's writer thread: no file I/O here
        return rewrite

    def close(self) -> None:
        """Drop queued work; calls in flight finish on their own."""
        self._pool.shutdown(wait=False, cancel_futures=True)


@dataclass
class Backend:
    """The rewriting backend of a run, the Drafter of this process, and its client."""

    drafter: Drafter
    client: BatchChatClient
    workers: RewriteBackend

    def close(self) -> None:
        """Stop the workers and close the connections."""
        self.workers.close()
        self.client.close()


def open_backend(settings: Settings, policy: Policy, tone: Tone, setup: ModelSetup) -> Backend:
    """A Drafter on the lean client and `concurrency` worker threads to run it in."""
    drafter, client = batch_drafter(settings, policy, setup)
    return Backend(drafter, client, ThreadBackend(drafter, tone, setup.concurrency))
