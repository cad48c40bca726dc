"""A latency-injecting OpenAI-compatible server on 127.0.0.1 for batch tests and benchmarks.

    with BatchServer(latency_s=0.2) as server:           # in a thread of this process
        ... HUASHU_BASE_URL=server.base_url ...
        server.originals()                               # the agent texts it was asked to rewrite

    python -m drafting.batch.testing --latency 0.2      # in its own process: prints the base URL

Unlike drafting.testing.FaultServer (one scripted answer after another, a thread per
connection), the answer here is computed from each request by a `responder` — by default a
rewrite that passes the guards and keeps the original's numbers — and one asyncio loop serves
hundreds of concurrent keep-alive connections with little CPU. Answers reuse FaultServer's
script items (ChatAnswer, ErrorStatus, Hang, RawBody).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from drafting.fake import reply_json
from drafting.testing import ChatAnswer, ErrorStatus, Hang, RawBody, Scripted

Responder = Callable[[dict[str, Any]], Scripted]
_ORIGINAL = re.compile(r"客服原文：\n(.*)\Z", re.S)
_COMMITMENT = re.compile(r"时限说法：(.+?)。")
_SCENARIO = re.compile(r"scenario：(\w+)。")
_FACT = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-]*")
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 429: "Too Many Requests", 500: "Server Error"}


@dataclass(frozen=True)
class Received:
    """A chat request the server got: when, its body, and the original text it asked to rewrite."""

    at: float
    body: Any
    original: str | None


def user_message(body: dict[str, Any]) -> str:
    """The last user message of a chat request body."""
    users = [m.get("content", "") for m in body.get("messages", []) if m.get("role") == "user"]
    return str(users[-1]) if users else ""


def original_text(body: dict[str, Any]) -> str | None:
    """The agent text a rewrite request asks to rewrite (from the first user message)."""
    users = [m.get("content", "") for m in body.get("messages", []) if m.get("role") == "user"]
    match = _ORIGINAL.search(str(users[0])) if users else None
    return match.group(1).strip() if match else None


def passing_rewrite(body: dict[str, Any]) -> ChatAnswer:
    """A well-formed rewrite that keeps the original's ids and numbers and uses its deadline phrase."""
    first = next((m.get("content", "") for m in body.get("messages", []) if m.get("role") == "user"), "")
    commitment = _COMMITMENT.search(first)
    scenario = _SCENARIO.search(first)
    facts = _FACT.findall(original_text(body) or "")
    about = f"关于您提到的{'、'.join(facts)}，" if facts else ""
    content = reply_json(
        scenario.group(1) if scenario else "consult",
        greeting="您好",
        soothe="非常理解您的感受，请您别着急",
        apology="非常抱歉给您带来了不好的体验",
        details_request="为了更好地帮您解决问题，能否提供一下您的订单号或联系方式？",
        solution=f"{about}我已经将您反映的情况记录下来，会安排专人为您核实处理",
        commitment=commitment.group(1) if commitment else "",
        closing="请问还有其他可以帮到您的吗？",
    )
    return ChatAnswer(content, prompt_tokens=len(first) + 400, completion_tokens=len(content))


class BatchServer:
    """An OpenAI-compatible chat server answering each request with `responder(body)`."""

    def __init__(
        self,
        responder: Responder = passing_rewrite,
        *,
        latency_s: float = 0.0,
        model: str = "batch-model",
        record: bool = True,
    ) -> None:
        self.responder = responder
        self.latency_s = latency_s
        self.model = model
        self.record = record
        self.served = 0
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL, ending in /v1."""
        assert self._server is not None, "start the server first"
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/v1"

    def originals(self) -> list[str | None]:
        """The original text of every chat request received so far, in arrival order."""
        with self._lock:
            return [r.original for r in self.requests]

    def start(self, port: int = 0) -> BatchServer:
        """Listen on 127.0.0.1 and serve from a background thread."""
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._connection, "127.0.0.1", port)
        )
        self._thread = threading.Thread(target=self._loop.run_forever, name="batch-server", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving and drop open connections."""
        if self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
        self._thread = None

    async def _shutdown(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def __enter__(self) -> BatchServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while await self._exchange(reader, writer):
                pass
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:
            pass  # shutting down: end quietly (asyncio logs a cancelled connection task)
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Serve one request on a keep-alive connection; False when the client closed it."""
        head = await reader.readuntil(b"\r\n\r\n")
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines if h)}
        raw = await reader.readexactly(int(headers.get("content-length", "0")))
        method, path = request_line.split(" ")[:2]
        if method == "GET" and path.rstrip("/").endswith("/models"):
            await _respond(writer, 200, {"object": "list", "data": [{"id": self.model, "object": "model"}]})
        elif method == "POST" and path.endswith("/chat/completions"):
            await self._chat(writer, json.loads(raw) if raw else {})
        else:
            await _respond(writer, 404, {"error": {"message": f"no route {path}", "type": "not_found"}})
        return headers.get("connection", "").lower() != "close"

    async def _chat(self, writer: asyncio.StreamWriter, body: dict[str, Any]) -> None:
        with self._lock:
            self.served += 1
            if self.record:  # off for long benchmark runs: bodies are kilobytes each
                self.requests.append(Received(time.monotonic(), body, original_text(body)))
        item = self.responder(body)
        await asyncio.sleep(self.latency_s)
        if isinstance(item, Hang):
            await asyncio.sleep(item.seconds)
            item = item.then
        if isinstance(item, ErrorStatus):
            error = item.body if item.body is not None else {"error": {"message": item.message, "type": "x"}}
            await _respond(writer, item.status, error, item.headers)
        elif isinstance(item, RawBody):
            await _send(writer, 200, item.body.encode("utf-8"), item.content_type)
        else:
            await asyncio.sleep(item.delay_s)
            await _respond(writer, 200, _completion(item, self.model))


async def _respond(
    writer: asyncio.StreamWriter, status: int, body: Any, headers: dict[str, str] | None = None
) -> None:
    await _send(
        writer, status, json.dumps(body, ensure_ascii=False).encode("utf-8"), "application/json", headers
    )


async def _send(
    writer: asyncio.StreamWriter,
    status: int,
    data: bytes,
    content_type: str,
    headers: dict[str, str] | None = None,
) -> None:
    """Head and body in one write (no Nagle/delayed-ACK stall between them)."""
    lines = [
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(data)}",
        *(f"{name}: {value}" for name, value in (headers or {}).items()),
    ]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + data)
    await writer.drain()


def _completion(answer: ChatAnswer, model: str) -> dict[str, Any]:
    message = {"role": "assistant", "content": answer.content, "refusal": answer.refusal}
    usage = {"prompt_tokens": answer.prompt_tokens, "completion_tokens": answer.completion_tokens}
    return {
        "id": "chatcmpl-batch",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": answer.finish_reason}],
        "usage": {**usage, "total_tokens": answer.prompt_tokens + answer.completion_tokens},
    }


def main(argv: list[str] | None = None) -> None:
    """Serve until killed; the first line printed is the base URL."""
    parser = argparse.ArgumentParser(description="A latency-injecting OpenAI-compatible test server.")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    server = BatchServer(latency_s=args.latency, record=False).start(args.port)
    print(server.base_url, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        threading.Event().wait()


if __name__ == "__main__":
    main()
