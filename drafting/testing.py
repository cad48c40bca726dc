"""A fault-injecting OpenAI-compatible HTTP server on 127.0.0.1, for tests and benchmarks.

    with FaultServer([ErrorStatus(429, headers={"Retry-After": "0"}), ChatAnswer(reply_json(...))]) as server:
        client = OpenAIChatClient(Settings(base_url=server.base_url, model="m", ...))

Real HTTP (stdlib http.server in a thread). Each POST to /v1/chat/completions takes the next
scripted item (the last one repeats when the script runs out); `latency_s` delays every
answer (for throughput tests). Streamed requests get server-sent events. Every request is
recorded in `requests`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class ChatAnswer:
    """A normal chat completion with this content and finish reason."""

    content: str
    finish_reason: str = "stop"
    delay_s: float = 0.0
    prompt_tokens: int = 120
    completion_tokens: int = 60
    refusal: str | None = None


@dataclass(frozen=True)
class ErrorStatus:
    """An HTTP error status with an OpenAI-style error body (or the given one) and headers."""

    status: int
    message: str = "injected failure"
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


@dataclass(frozen=True)
class Hang:
    """Answer only after `seconds` (to trigger client timeouts)."""

    seconds: float
    then: ChatAnswer = ChatAnswer("{}")


@dataclass(frozen=True)
class RawBody:
    """A 200 response with this body verbatim (e.g. malformed JSON)."""

    body: str
    content_type: str = "application/json"


Scripted = ChatAnswer | ErrorStatus | Hang | RawBody


@dataclass(frozen=True)
class ReceivedRequest:
    """A request the server got."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    at: float


class FaultServer:
    """An OpenAI-compatible server that answers from a script; use it as a context manager."""

    def __init__(
        self, script: Sequence[Scripted], *, model: str = "fault-model", latency_s: float = 0.0
    ) -> None:
        if not script:
            raise ValueError("the script needs at least one item")
        self.script = list(script)
        self.model = model
        self.latency_s = latency_s
        self.requests: list[ReceivedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._answered = 0
        self._httpd = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fault-server", daemon=True
        )

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL, ending in /v1."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    @property
    def chat_requests(self) -> list[ReceivedRequest]:
        """The chat-completion requests received so far."""
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving (wakes any handler that is hanging)."""
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def sleep(self, seconds: float) -> None:
        """Wait `seconds` unless the server is stopping."""
        if seconds > 0:
            self._stopping.wait(seconds)

    def record(self, request: ReceivedRequest) -> Scripted:
        """Record a chat request and take its scripted answer."""
        with self._lock:
            self.requests.append(request)
            item = self.script[min(self._answered, len(self.script) - 1)]
            self._answered += 1
        return item


class _QuietServer(ThreadingHTTPServer):
    """Handler threads are daemons; a client hanging up mid-answer is no error here."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that time out and disconnect are part of the tests: stay quiet."""


def _handler_for(server: FaultServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tests read `server.requests` instead."""

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/models"):
                self._json(200, {"object": "list", "data": [{"id": server.model, "object": "model"}]})
            else:
                self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except json.JSONDecodeError:
                body = raw.decode("utf-8", "replace")
            item = server.record(
                ReceivedRequest("POST", self.path, dict(self.headers.items()), body, time.monotonic())
            )
            server.sleep(server.latency_s)
            self._answer(item, streamed=isinstance(body, dict) and bool(body.get("stream")))

        def _answer(self, item: Scripted, *, streamed: bool) -> None:
            if isinstance(item, Hang):
                server.sleep(item.seconds)
                item = item.then
            if isinstance(item, ErrorStatus):
                body = (
                    item.body if item.body is not None else {"error": {"message": item.message, "type": "x"}}
                )
                self._json(item.status, body, item.headers)
            elif isinstance(item, RawBody):
                self._send(200, item.body.encode("utf-8"), item.content_type)
            else:
                server.sleep(item.delay_s)
                self._stream(item) if streamed else self._json(200, _completion(item, server.model))

        def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
            self._send(status, data.encode("utf-8"), "application/json", headers)

        def _send(
            self, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _stream(self, answer: ChatAnswer) -> None:
            events = [_chunk(server.model, {"content": piece}, None) for piece in _pieces(answer.content)]
            events.append(_chunk(server.model, {}, answer.finish_reason))
            usage = {"prompt_tokens": answer.prompt_tokens, "completion_tokens": answer.completion_tokens}
            events.append({**_chunk(server.model, {}, None), "choices": [], "usage": usage})
            data = (
                "".join(f"data: {json.dumps(e, ensure_ascii=False)}\n\n" for e in events) + "data: [DONE]\n\n"
            )
            self._send(200, data.encode("utf-8"), "text/event-stream")

    return Handler


def _pieces(text: str, size: int = 8) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _chunk(model: str, delta: dict[str, Any], finish_reason: str | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fault",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


def _completion(answer: ChatAnswer, model: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fault",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": answer.content, "refusal": answer.refusal},
                "finish_reason": answer.finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": answer.prompt_tokens,
            "completion_tokens": answer.completion_tokens,
            "total_tokens": answer.prompt_tokens + answer.completion_tokens,
        },
    }
