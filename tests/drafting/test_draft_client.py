"""The OpenAI-compatible client against a fault-injecting server on 127.0.0.1 (real HTTP)."""

from __future__ import annotations

import json
import socket
import time
from dataclasses import replace

import pytest
from draft_helpers import good_reply

from drafting import ChatRequest, Drafter, Message, OpenAIChatClient, Settings, Ticket
from drafting.client import Completion, ContentDelta
from drafting.errors import (
    AuthenticationFailedError,
    EndpointError,
    EndpointUnreachableError,
    ModelNotFoundError,
    RateLimitedError,
    RefusalError,
    RequestRejectedError,
    ServerFailedError,
    TruncatedOutputError,
    UnparseableOutputError,
)
from drafting.testing import ChatAnswer, ErrorStatus, FaultServer, Hang, RawBody

REQUEST = ChatRequest((Message("user", "您好"),), schema={"type": "object", "properties": {}})


def client_for(server: FaultServer, **changes: object) -> OpenAIChatClient:
    values: dict[str, object] = {
        "base_url": server.base_url,
        "model": "test-model",
        "api_key": "sk-test",
        "max_retries": 3,
        "retry_wait_s": 0.01,
        "retry_max_wait_s": 0.05,
        "timeout_s": 5.0,
        **changes,
    }
    return OpenAIChatClient(Settings(**values))  # type: ignore[arg-type]


def test_a_normal_answer() -> None:
    with FaultServer([ChatAnswer("hello", prompt_tokens=7, completion_tokens=3)]) as server:
        completion = client_for(server).complete(REQUEST)
    assert completion.content == "hello" and completion.usage.total_tokens == 10
    body = server.chat_requests[0].body
    assert body["model"] == "test-model" and body["response_format"]["type"] == "json_schema"
    headers = {k.lower(): v for k, v in server.chat_requests[0].headers.items()}
    assert headers["authorization"] == "Bearer sk-test"
    assert not {"seed", "presence_penalty", "frequency_penalty"} & set(body)


def test_a_re_ask_sends_its_seed_and_penalties() -> None:
    re_ask = replace(REQUEST, seed=2, presence_penalty=0.3, frequency_penalty=0.2)
    with FaultServer([ChatAnswer("hello")]) as server:
        client_for(server).complete(re_ask)
    body = server.chat_requests[0].body
    assert (body["seed"], body["presence_penalty"], body["frequency_penalty"]) == (2, 0.3, 0.2)


def test_429_is_retried_honouring_retry_after() -> None:
    script = [ErrorStatus(429, headers={"Retry-After": "0.4"}), ChatAnswer("ok")]
    with FaultServer(script) as server:
        completion = client_for(server, retry_max_wait_s=5.0).complete(REQUEST)
    first, second = server.chat_requests
    assert completion.content == "ok" and second.at - first.at >= 0.38


def test_500s_are_retried_then_succeed() -> None:
    with FaultServer([ErrorStatus(500), ErrorStatus(503), ChatAnswer("ok")]) as server:
        assert client_for(server).complete(REQUEST).content == "ok"
    assert len(server.chat_requests) == 3


def test_one_retry_layer_only() -> None:
    with FaultServer([ErrorStatus(500)]) as server, pytest.raises(ServerFailedError, match="kept failing"):
        client_for(server, max_retries=2).complete(REQUEST)
    assert len(server.chat_requests) == 3  # 1 + 2 retries: the SDK adds none of its own


def test_rate_limiting_that_never_ends() -> None:
    with FaultServer([ErrorStatus(429)]) as server, pytest.raises(RateLimitedError, match="429"):
        client_for(server, max_retries=1).complete(REQUEST)


def test_a_hanging_endpoint_fails_within_the_timeout_retries_included() -> None:
    started = time.monotonic()
    with (
        FaultServer([Hang(10.0)]) as server,
        pytest.raises(EndpointUnreachableError, match=r"within 0\.6 s \(retries included\)"),
    ):
        client_for(server, timeout_s=0.6, max_retries=3).complete(REQUEST)
    assert time.monotonic() - started < 2.0  # was 4 attempts of 0.6 s each, plus the waits between
    assert len(server.chat_requests) == 1  # the first attempt had the whole budget; none is left


def test_no_retry_starts_whose_wait_would_pass_the_timeout() -> None:
    script = [ErrorStatus(503, headers={"Retry-After": "0.5"})]
    started = time.monotonic()
    with FaultServer(script) as server, pytest.raises(ServerFailedError, match="kept failing"):
        client_for(server, timeout_s=1.2, max_retries=10, retry_max_wait_s=5.0).complete(REQUEST)
    assert time.monotonic() - started < 2.5  # was 11 attempts and 5 s of waiting
    assert 2 <= len(server.chat_requests) <= 3


@pytest.mark.parametrize(
    ("status", "error", "text"),
    [
        (401, AuthenticationFailedError, "HUASHU_API_KEY"),
        (403, AuthenticationFailedError, "API key"),
        (404, ModelNotFoundError, "HUASHU_MODEL"),
        (400, RequestRejectedError, "rejected the request"),
    ],
)
def test_client_errors_are_typed_and_not_retried(status: int, error: type[Exception], text: str) -> None:
    with FaultServer([ErrorStatus(status, message="nope")]) as server, pytest.raises(error, match=text):
        client_for(server, structured_mode="json_object").complete(REQUEST)
    assert len(server.chat_requests) == 1


def test_an_unreachable_endpoint() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = Settings(base_url=f"http://127.0.0.1:{port}/v1", model="m", max_retries=1, retry_wait_s=0.01)
    with pytest.raises(EndpointUnreachableError, match="cannot reach"):
        OpenAIChatClient(settings).complete(REQUEST)


def test_malformed_json_and_truncation_and_refusal() -> None:
    with (
        FaultServer([RawBody('{"choices": [')]) as server,
        pytest.raises(EndpointError, match="not valid JSON"),
    ):
        client_for(server).complete(REQUEST)
    truncated = FaultServer([ChatAnswer('{"soothe": "理', finish_reason="length")])
    with truncated as server, pytest.raises(TruncatedOutputError, match="cut off"):
        client_for(server).complete(REQUEST)
    refused = FaultServer([ChatAnswer("", refusal="I can't help")])
    with refused as server, pytest.raises(RefusalError, match="I can't help"):
        client_for(server).complete(REQUEST)


def test_auto_mode_downgrades_once_when_the_schema_format_is_rejected() -> None:
    rejected = ErrorStatus(400, message="response_format type json_schema is not supported")
    with FaultServer([rejected, rejected, ChatAnswer("ok")]) as server:
        client = client_for(server)
        assert client.complete(REQUEST).content == "ok"
        assert client.complete(REQUEST).content == "ok"
    formats = [r.body.get("response_format") for r in server.chat_requests]
    assert formats[0]["type"] == "json_schema"
    assert formats[1]["type"] == "json_object" and "schema" in formats[1]  # llama.cpp's variant
    assert formats[2]["type"] == "json_object" and "schema" not in formats[2]
    assert client.mode == "json_object" and len(formats) == 4


def test_a_fixed_mode_is_never_downgraded() -> None:
    rejected = ErrorStatus(400, message="response_format is not supported")
    with (
        FaultServer([rejected]) as server,
        pytest.raises(RequestRejectedError, match="HUASHU_STRUCTURED_MODE"),
    ):
        client_for(server, structured_mode="json_schema").complete(REQUEST)


def test_llama_mode_sends_the_schema_with_lengths_and_strict_mode_drops_them() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string", "maxLength": 5}}}
    request = ChatRequest((Message("user", "x"),), schema=schema)
    with FaultServer([ChatAnswer("{}")]) as server:
        client_for(server, structured_mode="json_object_schema").complete(request)
        client_for(server, structured_mode="json_schema").complete(request)
    llama, strict = (r.body["response_format"] for r in server.chat_requests)
    assert llama == {"type": "json_object", "schema": schema}
    assert "maxLength" not in str(strict)


def test_streaming_over_http() -> None:
    with FaultServer([ChatAnswer("流式的回答内容", completion_tokens=9)]) as server:
        items = list(client_for(server).stream(REQUEST))
    assert "".join(i.text for i in items if isinstance(i, ContentDelta)) == "流式的回答内容"
    final = items[-1]
    assert (
        isinstance(final, Completion)
        and final.content == "流式的回答内容"
        and final.usage.completion_tokens == 9
    )


def test_streamed_truncation_is_an_error() -> None:
    truncated = FaultServer([ChatAnswer('{"soothe": "理', finish_reason="length")])
    with truncated as server, pytest.raises(TruncatedOutputError):
        list(client_for(server).stream(REQUEST))


def test_the_loop_over_http_with_a_garbled_first_answer() -> None:
    with FaultServer([ChatAnswer("这不是JSON"), ChatAnswer(good_reply())]) as server:
        draft = Drafter(client_for(server)).draft(Ticket(message="订单没到，怎么回事"))
    assert draft.passed and len(server.chat_requests) == 2


def test_the_loop_over_http_reports_garbage_twice() -> None:
    with FaultServer([ChatAnswer("这不是JSON")]) as server, pytest.raises(UnparseableOutputError):
        Drafter(client_for(server)).draft(Ticket(message="订单没到"))


def test_retry_waits_are_bounded() -> None:
    script = [ErrorStatus(429, headers={"Retry-After": "30"}), ChatAnswer("ok")]
    started = time.monotonic()
    with FaultServer(script) as server:
        client_for(server, retry_max_wait_s=0.2).complete(REQUEST)
    assert time.monotonic() - started < 3


def test_the_loop_streams_over_http() -> None:
    from drafting import DraftFinished, TextDelta

    with FaultServer([ChatAnswer(good_reply())]) as server:
        events = list(Drafter(client_for(server)).stream_draft(Ticket(message="订单没到，怎么回事")))
    streamed = "".join(e.text for e in events if isinstance(e, TextDelta))
    final = events[-1]
    assert isinstance(final, DraftFinished) and final.draft.passed and streamed == final.draft.text
    assert server.chat_requests[0].body["stream"] is True


PASSWORD = "pa55-w0rd-4711"
URL_KEY = "sk-query-SECRET-0815"


def _with_credentials(base_url: str) -> str:
    """The server's URL with a user:password@ and an Azure-style key in the query."""
    return base_url.replace("http://", f"http://huashu:{PASSWORD}@") + f"?api-key={URL_KEY}&api-version=2024"


@pytest.mark.parametrize(
    "script", [[ErrorStatus(503, f"down, your key is {URL_KEY}")], [ErrorStatus(401)], [RawBody("<html>")]]
)
def test_endpoint_errors_never_show_the_credentials_of_the_url(script: list[ErrorStatus | RawBody]) -> None:
    with FaultServer(script) as server:
        client = client_for(server, base_url=_with_credentials(server.base_url), max_retries=0)
        with pytest.raises(EndpointError) as caught:
            client.complete(REQUEST)
    message = str(caught.value)
    assert PASSWORD not in message and URL_KEY not in message, message
    assert f"http://***@{server.base_url[7:]}?api-key=***&api-version=2024" in message


def test_the_query_of_the_base_url_is_sent_with_every_request() -> None:
    with FaultServer([ChatAnswer("hello")]) as server:
        client_for(server, base_url=_with_credentials(server.base_url)).complete(REQUEST)
    path = server.requests[0].path  # (not a chat_request: the path goes on after /completions)
    assert path == f"/v1/chat/completions?api-key={URL_KEY}&api-version=2024"


def test_an_endpoint_that_ignores_stream_still_gives_its_whole_answer() -> None:
    whole = {
        "id": "c1",
        "object": "chat.completion",
        "created": 0,
        "model": "test-model",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "您好"}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10},
    }
    with FaultServer([RawBody(json.dumps(whole))]) as server:
        items = list(client_for(server).stream(REQUEST))
    assert server.chat_requests[0].body["stream"] is True
    assert items[0] == ContentDelta("您好")
    assert isinstance(items[-1], Completion) and items[-1].content == "您好"
    assert items[-1].usage.total_tokens == 10 and items[-1].finish_reason == "stop"
