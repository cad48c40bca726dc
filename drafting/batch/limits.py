"""Request and token rate limits for the model calls of a batch run.

Each call reserves the next free slot (requests are spaced 60/rpm seconds apart; tokens are
spaced so the average stays under tpm) and sleeps until then, so the limits hold over any
window, not only per calendar minute. The token cost of a call is not known before it
returns: it is estimated (prompt characters plus max_tokens, as OpenAI counts it against
the limit) and settled with the endpoint's reported usage afterwards.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from drafting.client import ChatClient, ChatRequest, Completion, StreamItem


@dataclass(frozen=True)
class Limits:
    """Requests and tokens per minute (None: no limit)."""

    rpm: float | None = None
    tpm: float | None = None


class RateLimiter:
    """A thread-safe limiter that spaces calls to keep requests and tokens per minute in bounds."""

    def __init__(
        self,
        limits: Limits,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limits = limits
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_request = float("-inf")
        self._next_token = float("-inf")

    @property
    def active(self) -> bool:
        """True when any limit is set."""
        return bool(self.limits.rpm or self.limits.tpm)

    def acquire(self, tokens: int = 0) -> float:
        """Wait for the next free slot for a call of about `tokens` tokens; returns the wait."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next_request, self._next_token)
            if self.limits.rpm:
                self._next_request = start + 60.0 / self.limits.rpm
            if self.limits.tpm:
                self._next_token = max(start, self._next_token) + tokens * 60.0 / self.limits.tpm
        wait = start - now
        if wait > 0:
            self._sleep(wait)
        return wait

    def settle(self, estimated: int, actual: int) -> None:
        """Correct a call's token reservation with what it really used."""
        if not self.limits.tpm or actual <= 0:
            return
        with self._lock:
            self._next_token += (actual - estimated) * 60.0 / self.limits.tpm


def estimate_tokens(request: ChatRequest, max_tokens: int) -> int:
    """A call's token cost before it is made: one per prompt character plus max_tokens."""
    return sum(len(m.content) for m in request.messages) + (request.max_tokens or max_tokens)


class LimitedClient:
    """A ChatClient that waits for the rate limiter before every call of the client it wraps."""

    def __init__(self, inner: ChatClient, limiter: RateLimiter, max_tokens: int) -> None:
        self.inner = inner
        self.limiter = limiter
        self.max_tokens = max_tokens

    @property
    def model(self) -> str:
        """The wrapped client's model."""
        return self.inner.model

    def complete(self, request: ChatRequest) -> Completion:
        """The wrapped client's answer, after waiting for a free slot."""
        estimated = estimate_tokens(request, self.max_tokens)
        self.limiter.acquire(estimated)
        completion = self.inner.complete(request)
        self.limiter.settle(estimated, completion.usage.total_tokens)
        return completion

    def stream(self, request: ChatRequest) -> Iterator[StreamItem]:
        """The wrapped client's stream, after waiting for a free slot."""
        estimated = estimate_tokens(request, self.max_tokens)
        self.limiter.acquire(estimated)
        for item in self.inner.stream(request):
            if isinstance(item, Completion):
                self.limiter.settle(estimated, item.usage.total_tokens)
            yield item
