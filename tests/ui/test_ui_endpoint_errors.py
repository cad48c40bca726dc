"""Real HTTP failures of the model endpoint reach the agent as friendly messages with a retry button."""

from __future__ import annotations

import socket

import pytest
from ui_helpers import GOOD_REPLY, open_page

from drafting.chat import ChatRequest, Message
from drafting.client import OpenAIChatClient
from drafting.settings import Settings
from drafting.testing import ChatAnswer, ErrorStatus, FaultServer, Hang
from drafting.ui.backend import report_retries


def _client(base_url: str, timeout_s: float = 5.0) -> OpenAIChatClient:
    return OpenAIChatClient(
        Settings(base_url=base_url, api_key="sk-test", model="m", max_retries=0, timeout_s=timeout_s)
    )


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the block ends


def test_an_endpoint_that_is_down() -> None:
    page = open_page([], client=_client(f"http://127.0.0.1:{_closed_port()}/v1")).draft()
    errors = " ".join(e.value for e in page.at.error)
    assert "连不上模型服务" in errors and not page.at.exception
    assert any(b.label == "重试" for b in page.at.button)


@pytest.mark.parametrize(
    ("failure", "title"),
    [
        (ErrorStatus(401, "Incorrect API key provided"), "API key"),
        (Hang(3.0), "没有及时回答"),
        (ErrorStatus(404, "model not found"), "没有配置的这个模型"),
    ],
)
def test_endpoint_failures_then_a_retry_that_works(failure: ErrorStatus | Hang, title: str) -> None:
    with FaultServer([failure, ChatAnswer(GOOD_REPLY)]) as server:
        page = open_page([], client=_client(server.base_url, timeout_s=1.0)).draft()
        errors = " ".join(e.value for e in page.at.error)
        assert title in errors and "Traceback" not in errors and not page.at.exception
        page.button("重试").click().run()
        assert any("通过规范检查" in s.value for s in page.at.success)
        assert len(server.chat_requests) == 2


def test_the_page_is_told_each_time_the_endpoint_is_tried_again() -> None:
    with FaultServer([ErrorStatus(503), ErrorStatus(503), ChatAnswer(GOOD_REPLY)]) as server:
        client = OpenAIChatClient(
            Settings(base_url=server.base_url, api_key="sk-test", model="m", max_retries=3, retry_wait_s=0.01)
        )
        said: list[str] = []
        report_retries(client, said.append)
        client.complete(ChatRequest((Message("user", "你好"),)))
    assert len(server.chat_requests) == 3
    assert [s.split("进行")[1] for s in said] == ["第 2 次尝试（共 4 次）…", "第 3 次尝试（共 4 次）…"]
