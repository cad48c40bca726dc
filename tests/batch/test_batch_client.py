"""The lean batch client: same request as the SDK client, same retry policy and typed errors."""

from __future__ import annotations

import base64
import socket
import time
from typing import Any

import pytest

from drafting.batch.http_client import BatchChatClient
from drafting.batch.testing import BatchServer, passing_rewrite
from drafting.client import ChatRequest, Message, OpenAIChatClient
from drafting.errors import (
    AuthenticationFailedError,
    EndpointError,
    EndpointUnreachableError,
    RateLimitedError,
)
from drafting.prompting import reply_schema
from drafting.settings import Settings
from drafting.testing import ErrorStatus, FaultServer, Hang, RawBody, Scripted

REQUEST = ChatRequest((Message("system", "规则"), Message("user", "客服原文：\n不知道")), reply_schema())


def settings(server: BatchServer, **changes: Any) -> Settings:
    values: dict[str, Any] = {"base_url": server.base_url, "model": "m", "api_key": "sk-x", "max_retries": 2}
    return Settings(**{**values, "retry_wait_s": 0.0, "retry_max_wait_s": 0.0, **changes})


def scripted(*items: Scripted) -> Any:
    """A responder giving these answers in turn, then passing rewrites."""
    answers = iter(items)
    return lambda body: next(answers, passing_rewrite(body))


@pytest.mark.parametrize("mode", ["auto", "json_object_schema", "json_object", "none"])
def test_sends_the_same_body_as_the_sdk_client(mode: str) -> None:
    with BatchServer() as server:
        OpenAIChatClient(settings(server, structured_mode=mode)).complete(REQUEST)
        BatchChatClient(settings(server, structured_mode=mode)).complete(REQUEST)
        sdk, lean = (r.body for r in server.requests)
    assert lean == sdk


def test_retries_429_as_the_server_asks_then_answers() -> None:
    with BatchServer(scripted(ErrorStatus(429, headers={"Retry-After": "0"}), ErrorStatus(503))) as server:
        completion = BatchChatClient(settings(server)).complete(REQUEST)
        assert '"soothe"' in completion.content and len(server.requests) == 3


def test_gives_up_after_the_configured_retries_with_a_typed_error() -> None:
    with BatchServer(lambda body: ErrorStatus(429, headers={"Retry-After": "0"})) as server:
        with pytest.raises(RateLimitedError, match="rate limiting"):
            BatchChatClient(settings(server, max_retries=1)).complete(REQUEST)
        assert len(server.requests) == 2


def test_a_rejected_key_is_not_retried() -> None:
    with BatchServer(lambda body: ErrorStatus(401)) as server:
        with pytest.raises(AuthenticationFailedError, match="check HUASHU_API_KEY"):
            BatchChatClient(settings(server)).complete(REQUEST)
        assert len(server.requests) == 1


def test_the_timeout_bounds_the_whole_call_retries_included() -> None:
    started = time.monotonic()
    with (
        BatchServer(lambda body: Hang(10.0)) as server,
        pytest.raises(EndpointUnreachableError, match=r"within 0\.6 s \(retries included\)"),
    ):
        BatchChatClient(settings(server, timeout_s=0.6, max_retries=3)).complete(REQUEST)
    assert time.monotonic() - started < 2.0  # was 4 attempts of 0.6 s each
    assert len(server.requests) == 1


def test_a_server_that_does_not_answer_in_time_is_a_timeout() -> None:
    with (
        BatchServer(lambda body: Hang(2.0)) as server,
        pytest.raises(EndpointUnreachableError, match=r"did not answer within 0\.2 s"),
    ):
        BatchChatClient(settings(server, timeout_s=0.2, max_retries=0)).complete(REQUEST)


def test_no_server_is_a_connection_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    unreachable = Settings(base_url=f"http://127.0.0.1:{port}/v1", model="m", max_retries=0)
    with pytest.raises(EndpointUnreachableError, match="cannot reach"):
        BatchChatClient(unreachable).complete(REQUEST)


def test_a_rejected_response_format_is_downgraded_once_in_auto_mode() -> None:
    rejected = ErrorStatus(400, "response_format json_schema is not supported")
    with BatchServer(scripted(rejected)) as server:
        client = BatchChatClient(settings(server))
        client.complete(REQUEST)
        client.complete(REQUEST)
        formats = [r.body.get("response_format", {}).get("type") for r in server.requests]
    assert formats == ["json_schema", "json_object", "json_object"]
    assert client.mode == "json_object_schema"


def test_a_body_that_is_not_json_is_a_clear_error() -> None:
    with (
        BatchServer(lambda body: RawBody("<html>proxy error</html>")) as server,
        pytest.raises(EndpointError, match="not valid JSON"),
    ):
        BatchChatClient(settings(server)).complete(REQUEST)


def test_many_threads_share_one_client() -> None:
    from concurrent.futures import ThreadPoolExecutor

    with BatchServer(latency_s=0.1) as server:
        client = BatchChatClient(settings(server))
        started = time.monotonic()
        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(lambda _: client.complete(REQUEST).content, range(48)))
        elapsed = time.monotonic() - started
        client.close()
    assert len(answers) == 48 and all(a.startswith("{") for a in answers)
    assert elapsed < 48 * 0.1 / 3  # one after another would take 4.8 s; 16 at a time about 0.3 s


def test_closing_the_client_ends_calls_in_flight_without_retrying() -> None:
    from concurrent.futures import ThreadPoolExecutor

    with BatchServer(lambda body: Hang(30.0)) as server:
        client = BatchChatClient(settings(server, max_retries=3))
        with ThreadPoolExecutor(2) as pool:
            calls = [pool.submit(client.complete, REQUEST) for _ in range(2)]
            while len(server.requests) < 2:
                time.sleep(0.01)
            started = time.monotonic()
            client.close()
            for call in calls:
                with pytest.raises(EndpointError):
                    call.result(timeout=10)
        assert time.monotonic() - started < 5
        assert len(server.requests) == 2  # no retry after close


PASSWORD = "pa55-w0rd-4711"
URL_KEY = "sk-query-SECRET-0815"


@pytest.mark.parametrize(
    "answer", [ErrorStatus(503, f"down, your key is {URL_KEY}"), ErrorStatus(401), RawBody("<html>")]
)
def test_errors_never_show_the_credentials_of_the_url(answer: Scripted) -> None:
    with FaultServer([answer]) as server:
        url = server.base_url.replace("http://", f"http://huashu:{PASSWORD}@") + f"?api-key={URL_KEY}"
        client = BatchChatClient(Settings(base_url=url, model="m", api_key="sk-x", max_retries=0))
        with pytest.raises(EndpointError) as caught:
            client.complete(REQUEST)
        client.close()
    message = str(caught.value)
    assert PASSWORD not in message and URL_KEY not in message, message
    assert f"http://***@{server.base_url[7:]}?api-key=***" in message
    request = server.requests[0]
    assert request.path == f"/v1/chat/completions?api-key={URL_KEY}"  # the query is sent, as by the SDK
    assert (
        request.headers["Authorization"]
        == "Basic " + base64.b64encode(f"huashu:{PASSWORD}".encode()).decode()
    )
