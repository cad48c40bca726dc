"""The ChatClient for any OpenAI-compatible endpoint, through the `openai` SDK.

One retry layer: tenacity retries 429, 5xx, timeouts and connection errors with exponential
backoff and full jitter, honouring Retry-After; the SDK's own retries are off. The timeout
(HUASHU_TIMEOUT, --timeout) bounds a whole call, retries and waits included: each attempt
gets what is left of it, and no retry starts whose wait would pass it. Every failure that
remains becomes a typed `HuashuError` whose message says what to do.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import httpx2
import openai
import pydantic
from openai.types.chat import ChatCompletion
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from drafting.chat import (
    ChatClient,
    ChatRequest,
    Completion,
    ContentDelta,
    Message,
    StreamItem,
    check_completion,
)
from drafting.errors import (
    AuthenticationFailedError,
    EndpointError,
    EndpointUnreachableError,
    HuashuError,
    ModelNotFoundError,
    RateLimitedError,
    RequestRejectedError,
    ServerFailedError,
)
from drafting.models import Usage
from drafting.settings import Settings, StructuredMode

# The chat types are re-exported here for callers that import them with the client.
__all__ = [
    "ChatClient",
    "ChatRequest",
    "Completion",
    "ContentDelta",
    "Message",
    "OpenAIChatClient",
    "StreamItem",
    "check_completion",
    "typed_error",
]

# In "auto" mode a request the endpoint rejects for its response_format is sent again once
# in the next weaker mode: strict JSON schema → llama.cpp's json_object+schema → JSON mode → none.
WEAKER_MODE: dict[StructuredMode, StructuredMode] = {
    "auto": "json_object_schema",
    "json_object_schema": "json_object",
    "json_object": "none",
}
_FORMAT_WORDS = ("response_format", "json_schema", "json_object", "schema")


class WaitRetryAfter(wait_base):
    """Wait as the server asks (Retry-After), else exponential backoff with full jitter."""

    def __init__(self, base_s: float, max_s: float) -> None:
        self._backoff = wait_random_exponential(multiplier=base_s, max=max_s)
        self._max_s = max_s

    def __call__(self, retry_state: Any) -> float:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        after = retry_after_seconds(exc) if exc is not None else None
        if after is not None:
            return min(after, self._max_s)
        return float(self._backoff(retry_state))


class Deadline:
    """The end of one model call's time budget (the timeout), retries and waits included."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left (a little more than 0 when none are: a timeout of 0 would mean none)."""
        return max(self.at - time.monotonic(), 0.001)

    def passed(self) -> bool:
        """True once the budget is spent."""
        return time.monotonic() >= self.at


class StopAtDeadline(stop_base):
    """Stop retrying when the wait before the next attempt would reach the deadline."""

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline

    def __call__(self, retry_state: Any) -> bool:
        return time.monotonic() + (retry_state.upcoming_sleep or 0.0) >= self.deadline.at


def retry_after_seconds(exc: BaseException) -> float | None:
    """The wait a 429/503 response asks for (Retry-After / retry-after-ms), if any."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            return max(0.0, float(raw) * scale)
        except ValueError:
            continue  # an HTTP date: fall back to backoff
    return None


def is_transient(exc: BaseException) -> bool:
    """429, 5xx, timeouts and connection errors are worth another try."""
    if isinstance(exc, openai.APIConnectionError):
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code == 429 or exc.status_code >= 500 or exc.status_code == 408
    return False


class OpenAIChatClient:
    """A ChatClient for any OpenAI-compatible endpoint, through the `openai` SDK."""

    def __init__(
        self,
        settings: Settings,
        *,
        http_client: Any = None,
        on_retry: Callable[[RetryCallState], None] | None = None,
    ) -> None:
        """`on_retry` is called before each wait for another attempt (a page shows "attempt n of m")."""
        if not settings.base_url:
            raise EndpointError("no endpoint configured", hint="set HUASHU_BASE_URL or use build_client()")
        if not settings.model:
            raise EndpointError(
                f"no model set for the endpoint {settings.shown_url}",
                hint="set HUASHU_MODEL to a model the endpoint serves",
            )
        self.settings = settings
        self.on_retry = on_retry
        self.mode: StructuredMode = settings.structured_mode
        self._model = settings.model
        base_url, query = split_query(settings.base_url)
        self._sdk = openai.OpenAI(
            base_url=base_url,
            default_query=query or None,
            api_key=settings.api_key or "sk-no-key-required",
            timeout=settings.timeout_s,  # each call passes what is left of its deadline
            max_retries=0,
            http_client=http_client,
        )

    @property
    def model(self) -> str:
        """The configured model name."""
        return self._model

    def complete(self, request: ChatRequest) -> Completion:
        """The model's whole answer, with retries and a one-time structured-mode downgrade."""
        return self._completion(
            self._call(request, stream=False, deadline=Deadline(self.settings.timeout_s)), request
        )

    def _completion(self, response: Any, request: ChatRequest) -> Completion:
        """The Completion of a whole (non-streamed) chat-completion response."""
        if not getattr(response, "choices", None):
            raise EndpointError(
                f"the endpoint {self.settings.shown_url} answered without any choices",
                hint="check that HUASHU_BASE_URL points at an OpenAI-compatible chat API",
            )
        choice = response.choices[0]
        usage = response.usage
        completion = Completion(
            content=choice.message.content or "",
            finish_reason=choice.finish_reason,
            usage=Usage(
                prompt_tokens=usage.prompt_tokens if usage else 0,
                completion_tokens=usage.completion_tokens if usage else 0,
            ),
            model=response.model or self._model,
            refusal=getattr(choice.message, "refusal", None),
        )
        return check_completion(completion, self._max_tokens(request))

    def stream(self, request: ChatRequest) -> Iterator[StreamItem]:
        """Content deltas as they arrive, then the complete answer."""
        deadline = Deadline(self.settings.timeout_s)
        chunks = self._call(request, stream=True, deadline=deadline)
        if not is_event_stream(chunks):  # the endpoint ignored `stream`: its answer comes whole
            completion = self._completion(self._whole_answer(chunks), request)
            yield ContentDelta(completion.content)
            yield completion
            return
        parts: list[str] = []
        finish: str | None = None
        usage = Usage()
        try:
            for chunk in chunks:
                if chunk.usage is not None:
                    usage = Usage(
                        prompt_tokens=chunk.usage.prompt_tokens,
                        completion_tokens=chunk.usage.completion_tokens,
                    )
                for choice in chunk.choices:
                    finish = choice.finish_reason or finish
                    if choice.delta.content:
                        parts.append(choice.delta.content)
                        yield ContentDelta(choice.delta.content)
                if deadline.passed():
                    chunks.close()
                    raise self._timed_out("did not finish its answer")
        except openai.OpenAIError as exc:
            raise self._typed(exc) from None
        except httpx2.TimeoutException:  # a read timed out mid-stream (the SDK does not wrap it)
            raise self._timed_out("stopped sending its answer") from None
        yield check_completion(
            Completion("".join(parts), finish, usage, self._model), self._max_tokens(request)
        )

    def _whole_answer(self, chunks: Any) -> ChatCompletion:
        """The chat completion a server sent as plain JSON to a streamed request."""
        try:
            return ChatCompletion.model_validate(json.loads(chunks.response.read()))
        except (ValueError, pydantic.ValidationError) as exc:
            raise EndpointError(
                f"the endpoint {self.settings.shown_url} answered a streamed request with JSON that is "
                f"not a chat completion ({self.settings.redact(_short(str(exc)))})",
                hint="use it without --stream, or check that it is an OpenAI-compatible chat API",
            ) from None
        finally:
            chunks.close()

    def _max_tokens(self, request: ChatRequest) -> int:
        return request.max_tokens or self.settings.max_tokens

    def _call(self, request: ChatRequest, *, stream: bool, deadline: Deadline) -> Any:
        """Send the request (retrying transient failures before the deadline); downgrade the mode once."""
        while True:
            try:
                retrying = retry_policy(self.settings, deadline, before_sleep=self.on_retry)
                return retrying(lambda: self._send(request, stream=stream, timeout=deadline.remaining()))
            except openai.OpenAIError as exc:
                weaker = weaker_mode(exc, self.mode, self.settings)
                if weaker is None:
                    raise self._typed(exc) from None
                self.mode = weaker
            except ValueError as exc:  # the body was not JSON
                raise EndpointError(
                    f"the endpoint {self.settings.shown_url} sent a response that is not valid JSON "
                    f"({self.settings.redact(str(exc))})",
                    hint="check that HUASHU_BASE_URL points at an OpenAI-compatible API (ending in /v1)",
                ) from None

    def _send(self, request: ChatRequest, *, stream: bool, timeout: float) -> Any:
        extra: dict[str, Any] = {"stream": True, "stream_options": {"include_usage": True}} if stream else {}
        return self._sdk.chat.completions.create(
            timeout=timeout,
            model=self._model,
            messages=[{"role": m.role, "content": m.content} for m in request.messages],  # type: ignore[misc]
            max_tokens=self._max_tokens(request),
            temperature=request.temperature if request.temperature is not None else self.settings.temperature,
            **request.sampling(),
            **self._format_arguments(request),
            **extra,
        )

    def _format_arguments(self, request: ChatRequest) -> dict[str, Any]:
        """The response_format for the current mode (llama.cpp's variant goes in extra_body)."""
        if request.schema is None:
            return {}
        return RESPONSE_FORMATS[self.mode](request.schema, request.schema_name)

    def _timed_out(self, what: str) -> HuashuError:
        return EndpointUnreachableError(
            f"the model endpoint {self.settings.shown_url} {what} within {self.settings.timeout_s:g} s",
            hint="raise --timeout / HUASHU_TIMEOUT, or lower HUASHU_MAX_TOKENS",
        )

    def _typed(self, exc: openai.OpenAIError) -> HuashuError:
        return without_secrets(
            typed_error(exc, self.settings.shown_url, self._model, self.settings.timeout_s), self.settings
        )


def is_event_stream(chunks: Any) -> bool:
    """False when a server answered a streamed request with one JSON body (it ignored `stream`)."""
    response = getattr(chunks, "response", None)
    content_type = response.headers.get("content-type", "") if response is not None else ""
    return "json" not in content_type.lower()


def split_query(base_url: str) -> tuple[str, dict[str, str]]:
    """The base URL without its query, and the query's parameters (sent with every request).

    The SDK would glue the path of each call after the query (`/v1?api-key=…chat/completions`);
    as default parameters, an Azure-style `?api-key=…&api-version=…` endpoint works.
    """
    parts = urlsplit(base_url)
    if not parts.query:
        return base_url, {}
    return urlunsplit(parts._replace(query="", fragment="")), dict(
        parse_qsl(parts.query, keep_blank_values=True)
    )


def without_secrets(error: HuashuError, settings: Settings) -> HuashuError:
    """`error` with every configured credential masked (a server may echo the key or the URL)."""
    error.message = settings.redact(error.message)
    error.hint = settings.redact(error.hint)
    error.args = (error.message,)
    return error


def _strict_schema(schema: dict[str, Any], name: str) -> dict[str, Any]:
    strict = {"name": name, "schema": _without_lengths(schema), "strict": True}
    return {"response_format": {"type": "json_schema", "json_schema": strict}}


def _without_lengths(schema: Any) -> Any:
    """The schema without maxLength (OpenAI's strict mode rejects it; grammars use it)."""
    if isinstance(schema, dict):
        return {k: _without_lengths(v) for k, v in schema.items() if k != "maxLength"}
    if isinstance(schema, list):
        return [_without_lengths(v) for v in schema]
    return schema


def _llama_schema(schema: dict[str, Any], name: str) -> dict[str, Any]:
    return {"extra_body": {"response_format": {"type": "json_object", "schema": schema}}}


def _json_mode(schema: dict[str, Any], name: str) -> dict[str, Any]:
    return {"response_format": {"type": "json_object"}}


def _no_format(schema: dict[str, Any], name: str) -> dict[str, Any]:
    return {}


# The response_format sent for each structured-output mode.
RESPONSE_FORMATS: dict[StructuredMode, Callable[[dict[str, Any], str], dict[str, Any]]] = {
    "auto": _strict_schema,
    "json_schema": _strict_schema,
    "json_object_schema": _llama_schema,
    "json_object": _json_mode,
    "none": _no_format,
}


def retry_policy(
    settings: Settings,
    deadline: Deadline | None = None,
    before_sleep: Callable[[RetryCallState], None] | None = None,
) -> Retrying:
    """The one retry layer: transient failures, Retry-After or jittered backoff, max_retries,
    and (for one call) no retry whose wait would pass the call's deadline; `before_sleep` hears
    of each retry."""
    stop: stop_base = stop_after_attempt(settings.max_retries + 1)
    if deadline is not None:
        stop = stop | StopAtDeadline(deadline)
    return Retrying(
        retry=retry_if_exception(is_transient),
        wait=WaitRetryAfter(settings.retry_wait_s, settings.retry_max_wait_s),
        stop=stop,
        reraise=True,
        before_sleep=before_sleep,
    )


def weaker_mode(exc: openai.OpenAIError, mode: StructuredMode, settings: Settings) -> StructuredMode | None:
    """The mode to try next when an endpoint in auto mode rejected the response_format, else None."""
    if settings.structured_mode != "auto" or not isinstance(
        exc, openai.BadRequestError | openai.UnprocessableEntityError
    ):
        return None
    return WEAKER_MODE.get(mode) if mentions_response_format(exc) else None


def mentions_response_format(exc: openai.APIStatusError) -> bool:
    """True when an endpoint's error is about the response_format it was sent."""
    text = f"{exc.message} {json.dumps(exc.body, ensure_ascii=False) if exc.body is not None else ''}".lower()
    return any(word in text for word in _FORMAT_WORDS)


def typed_error(exc: openai.OpenAIError, base_url: str, model: str, timeout_s: float) -> HuashuError:
    """The HuashuError for an SDK error, with a message that says what to do."""
    if isinstance(exc, openai.APITimeoutError):
        return EndpointUnreachableError(
            f"the model endpoint {base_url} did not answer within {timeout_s:g} s (retries included)",
            hint="check that the server is running, or raise --timeout / HUASHU_TIMEOUT",
        )
    if isinstance(exc, openai.APIConnectionError):
        return EndpointUnreachableError(
            f"cannot reach the model endpoint {base_url}",
            hint="check HUASHU_BASE_URL and that the server runs, or unset it to use the local model",
        )
    if isinstance(exc, openai.APIStatusError):
        return _status_error(exc, base_url, model)
    return EndpointError(f"the model endpoint {base_url} failed: {exc}")


def _status_error(exc: openai.APIStatusError, base_url: str, model: str) -> HuashuError:
    status = exc.status_code
    detail = _short(exc.message)
    if status in (401, 403):
        return AuthenticationFailedError(
            f"the endpoint {base_url} rejected the API key ({status})", hint="check HUASHU_API_KEY"
        )
    if status == 404:
        return ModelNotFoundError(
            f"the endpoint {base_url} does not serve the model {model!r} (404)",
            hint="set HUASHU_MODEL to a model it serves, and check that HUASHU_BASE_URL ends in /v1",
        )
    if status == 429:
        return RateLimitedError(
            f"the endpoint {base_url} is rate limiting (429) and kept refusing after every retry",
            hint="wait a minute, or raise HUASHU_MAX_RETRIES",
        )
    if status >= 500:
        return ServerFailedError(
            f"the endpoint {base_url} kept failing ({status}: {detail})",
            hint="try again later or check the server",
        )
    return RequestRejectedError(
        f"the endpoint {base_url} rejected the request ({status}: {detail})",
        hint="if it does not support JSON schemas, set HUASHU_STRUCTURED_MODE=json_object or none",
    )


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
