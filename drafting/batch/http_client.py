"""A lean ChatClient for batch runs: the same requests and retry policy as OpenAIChatClient.

Why not the `openai` SDK here: its per-call overhead (building and validating the request,
constructing response models) measured about 2.5 ms of CPU per call on this machine, as much
as the guards and prompts together, and a batch run on 2 cores is CPU-bound at 160 calls/s.
This client posts the identical JSON body over the standard library's http.client (one
keep-alive connection per worker thread; httpx2 itself cost 1.4 ms of CPU per call against
0.34 ms here), turns failures into the SDK's exception types (built on httpx2 objects only
when a call fails), and reuses client.py's retry predicate, Retry-After wait,
structured-mode downgrade table and error messages: still exactly one retry layer (tenacity).
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit

import httpx2
import openai

from drafting.client import (
    RESPONSE_FORMATS,
    ChatRequest,
    Completion,
    ContentDelta,
    Deadline,
    StreamItem,
    check_completion,
    retry_policy,
    typed_error,
    weaker_mode,
    without_secrets,
)
from drafting.errors import EndpointError
from drafting.models import Usage
from drafting.settings import NO_KEY, Settings, StructuredMode

CHAT_PATH = "/chat/completions"


class _NoDelay(http.client.HTTPConnection):
    """A connection that sends at once (TCP_NODELAY).

    http.client sends the headers and a long body in two writes; with Nagle's algorithm on,
    the body then waits for the server's delayed ACK of the headers (up to 40 ms on Linux).
    """

    def connect(self) -> None:
        """Connect, then switch Nagle's algorithm off."""
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _NoDelayTLS(http.client.HTTPSConnection):
    """The TLS variant of _NoDelay."""

    def connect(self) -> None:
        """Connect, then switch Nagle's algorithm off."""
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


_CONNECTIONS: dict[str, type[http.client.HTTPConnection]] = {"http": _NoDelay, "https": _NoDelayTLS}
_STATUS_ERRORS: dict[int, type[openai.APIStatusError]] = {
    400: openai.BadRequestError,
    401: openai.AuthenticationError,
    403: openai.PermissionDeniedError,
    404: openai.NotFoundError,
    409: openai.ConflictError,
    422: openai.UnprocessableEntityError,
    429: openai.RateLimitError,
}


def request_body(
    request: ChatRequest, model: str, mode: StructuredMode, settings: Settings
) -> dict[str, Any]:
    """The chat-completions JSON body OpenAIChatClient sends for `request` in `mode`."""
    body: dict[str, Any] = {
        "model": model,
        "messages": [{"role": m.role, "content": m.content} for m in request.messages],
        "max_tokens": request.max_tokens or settings.max_tokens,
        "temperature": request.temperature if request.temperature is not None else settings.temperature,
    }
    if request.schema is not None:
        arguments = RESPONSE_FORMATS[mode](request.schema, request.schema_name)
        body.update(arguments.get("extra_body", {}))
        body.update({k: v for k, v in arguments.items() if k != "extra_body"})
    return body


def completion_from_json(data: Any, model: str) -> Completion:
    """A Completion from a chat-completion response body; EndpointError if it is not one."""
    choices = data.get("choices") if isinstance(data, dict) else None
    if not choices or not isinstance(choices[0], dict):
        raise EndpointError("the endpoint answered without any choices")
    choice = choices[0]
    message = choice.get("message") or {}
    usage = data.get("usage") or {}
    return Completion(
        content=message.get("content") or "",
        finish_reason=choice.get("finish_reason"),
        usage=Usage(
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
        ),
        model=str(data.get("model") or model),
        refusal=message.get("refusal"),
    )


class BatchChatClient:
    """A thread-safe ChatClient: one keep-alive HTTP connection per worker thread."""

    def __init__(self, settings: Settings) -> None:
        if not settings.base_url or not settings.model:
            raise EndpointError(
                "no endpoint or model configured", hint="set HUASHU_BASE_URL and HUASHU_MODEL"
            )
        self.settings = settings
        self.mode: StructuredMode = settings.structured_mode
        self._model = settings.model
        self._url = urlsplit(settings.base_url.rstrip("/"))
        if self._url.scheme not in _CONNECTIONS or not self._url.hostname:
            raise EndpointError(
                f"cannot use the endpoint URL {settings.shown_url}",
                hint="give an http(s)://host[:port]/v1 URL",
            )
        self._headers = {
            "Authorization": _authorization(self._url, settings.api_key),
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        self._local = threading.local()
        self._open: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self._closed = False

    @property
    def model(self) -> str:
        """The configured model name."""
        return self._model

    def complete(self, request: ChatRequest) -> Completion:
        """The model's whole answer, with retries and a one-time structured-mode downgrade."""
        data = self._call(request)
        try:
            completion = completion_from_json(data, self._model)
        except EndpointError:
            raise EndpointError(
                f"the endpoint {self.settings.shown_url} answered without any choices",
                hint="check that HUASHU_BASE_URL points at an OpenAI-compatible chat API",
            ) from None
        return check_completion(completion, request.max_tokens or self.settings.max_tokens)

    def stream(self, request: ChatRequest) -> Iterator[StreamItem]:
        """The whole answer as one piece (batch runs do not stream)."""
        completion = self.complete(request)
        yield ContentDelta(completion.content)
        yield completion

    def close(self) -> None:
        """Close every connection; calls in flight fail at once and no new call starts."""
        with self._lock:
            self._closed = True
            connections, self._open = self._open, []
        for connection in connections:
            if connection.sock is not None:
                with contextlib.suppress(OSError):  # wakes a thread blocked reading the answer
                    connection.sock.shutdown(socket.SHUT_RDWR)
            connection.close()

    def _call(self, request: ChatRequest) -> Any:
        deadline = Deadline(self.settings.timeout_s)  # the whole call, retries included
        while True:
            try:
                return retry_policy(self.settings, deadline)(
                    lambda: self._post(request_body(request, self._model, self.mode, self.settings), deadline)
                )
            except openai.OpenAIError as exc:
                weaker = weaker_mode(exc, self.mode, self.settings)
                if weaker is None:
                    raise self._typed(exc) from None
                self.mode = weaker

    def _connection(self) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            kind = _CONNECTIONS[self._url.scheme]
            connection = kind(self._url.hostname or "", self._url.port, timeout=self.settings.timeout_s)
            self._local.connection = connection
            with self._lock:
                self._open.append(connection)
        return connection

    def _post(self, body: dict[str, Any], deadline: Deadline) -> Any:
        """One HTTP request; failures raised as the openai SDK's exception types."""
        if self._closed:
            raise EndpointError("the batch run is stopping", hint="run again with --resume to finish")
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        path = self._url.path + CHAT_PATH
        target = f"{path}?{self._url.query}" if self._url.query else path
        connection = self._connection()
        connection.timeout = deadline.remaining()  # for a new connection; a kept one is set below
        if connection.sock is not None:
            connection.sock.settimeout(connection.timeout)
        try:
            connection.request("POST", target, body=payload, headers=self._headers)
            response = connection.getresponse()
            content = response.read()
        except TimeoutError:
            connection.close()
            raise openai.APITimeoutError(request=self._sdk_request(path)) from None
        except (OSError, http.client.HTTPException) as exc:
            connection.close()  # reconnects on the next call (e.g. a keep-alive the server closed)
            message = str(exc) or type(exc).__name__
            raise openai.APIConnectionError(message=message, request=self._sdk_request(path)) from None
        if response.status >= 400:
            raise _status_error(self._sdk_response(path, response, content))
        try:
            return json.loads(content)
        except ValueError as exc:
            raise EndpointError(
                f"the endpoint {self.settings.shown_url} sent a response that is not valid JSON "
                f"({self.settings.redact(str(exc))})",
                hint="check that HUASHU_BASE_URL points at an OpenAI-compatible API (ending in /v1)",
            ) from None

    def _sdk_request(self, path: str) -> httpx2.Request:
        # Without the user, password and query: this URL travels with the error.
        return httpx2.Request(
            "POST",
            self._url._replace(netloc=self._url.netloc.rpartition("@")[2], path=path, query="").geturl(),
        )

    def _sdk_response(self, path: str, response: http.client.HTTPResponse, content: bytes) -> httpx2.Response:
        return httpx2.Response(
            response.status,
            headers=list(response.getheaders()),
            content=content,
            request=self._sdk_request(path),
        )

    def _typed(self, exc: openai.OpenAIError) -> EndpointError:
        error = typed_error(exc, self.settings.shown_url, self._model, self.settings.timeout_s)
        error = without_secrets(error, self.settings)
        return error if isinstance(error, EndpointError) else EndpointError(str(error))


def _authorization(url: SplitResult, api_key: str | None) -> str:
    """Basic auth for a user:password@ URL (as the SDK sends it), else the bearer key."""
    if url.username is not None or url.password is not None:
        pair = f"{unquote(url.username or '')}:{unquote(url.password or '')}"
        return "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")
    return f"Bearer {api_key or NO_KEY}"


def _status_error(response: httpx2.Response) -> openai.APIStatusError:
    """The SDK's exception for an error status, as the SDK itself builds it."""
    try:
        body: Any = json.loads(response.content)
    except ValueError:
        body = response.text
    data = body.get("error", body) if isinstance(body, dict) else body
    message = f"Error code: {response.status_code} - {body}"
    kind = _STATUS_ERRORS.get(response.status_code)
    if kind is None:
        kind = openai.InternalServerError if response.status_code >= 500 else openai.APIStatusError
    return kind(message, response=response, body=data)
