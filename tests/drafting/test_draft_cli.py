"""`huashu draft` and `huashu rewrite`: output, exit status, and one-line errors."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from draft_helpers import good_reply

import guards
from drafting import Drafter
from drafting.cli import draft_cmd, main, rewrite_cmd
from drafting.fake import FakeChatClient
from drafting.models import Usage
from drafting.testing import ErrorStatus, FaultServer, Hang, RawBody


@pytest.fixture
def fake_model(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Route both commands to a scripted client; the list holds the script (edit before running)."""
    script = [good_reply()]

    def build(**kwargs: Any) -> Drafter:
        return Drafter(
            FakeChatClient(script), policy=kwargs.get("policy"), max_attempts=kwargs["max_attempts"]
        )

    monkeypatch.setattr(draft_cmd, "make_drafter", build)
    monkeypatch.setattr(rewrite_cmd, "make_drafter", build)
    return script


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_text_output_shows_reply_sections_verdict(
    fake_model: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "draft", "我的订单一直没发货，我要投诉到12315")
    assert code == 0
    assert "张先生，您好，非常理解您的感受" in out
    assert "安抚（soothe）: 非常理解您的感受，请您别着急" in out
    assert "✓ passed after 1 attempt" in out
    assert "escalate" in out and "12315" in out


def test_a_draft_that_still_violates_exits_1(
    fake_model: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    fake_model[0] = good_reply(commitment="保证今天给您全额退款")
    code, out, _ = run(capsys, "draft", "--max-attempts", "2", "订单没到")
    assert code == 1 and "✗ still violates after 2 attempts" in out and "up.absolute_guarantee" in out


def test_json_output(fake_model: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({"商品": "蓝牙耳机"}), encoding="utf-8")
    code, out, _ = run(
        capsys, "draft", "--format", "json", "--facts", str(facts), "--scenario", "complaint", "订单没到"
    )
    data = json.loads(out)
    assert (
        code == 0
        and data["passed"]
        and data["scenario"] == "complaint"
        and data["scenario_source"] == "given"
    )
    assert data["sections"]["soothe"] and len(data["attempts"]) == 1 and data["violations"] == []


@pytest.mark.parametrize(
    ("usage", "shown"),
    [(Usage(prompt_tokens=100, completion_tokens=50), "150 tokens"), (Usage(), "tokens not reported")],
)
def test_token_count_or_that_the_endpoint_sent_none(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], usage: Usage, shown: str
) -> None:
    def build(**kwargs: Any) -> Drafter:
        return Drafter(FakeChatClient([good_reply()], usage=usage), max_attempts=1)

    monkeypatch.setattr(draft_cmd, "make_drafter", build)
    _, out, _ = run(capsys, "draft", "订单没到")
    assert shown in out and ", 0 tokens" not in out


def test_streamed_output(fake_model: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    fake_model[:] = [good_reply(solution="我也没办法"), good_reply()]
    code, out, _ = run(capsys, "draft", "--stream", "订单没到")
    assert code == 0 and "— attempt 1: 1 blocking finding, trying again" in out and "Final reply:" in out


@pytest.mark.parametrize("args", [[], ["--stream"], ["--format", "json"]])
def test_terminal_escapes_in_a_model_answer_never_reach_the_terminal(
    fake_model: list[str], capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    fake_model[0] = good_reply(soothe="非常理解您的感受\x1b]0;pwned\x07\x1b[2J\x9b\u202e")
    code, out, _ = run(capsys, "draft", *args, "订单没到")
    assert code in (0, 1)
    assert not any(c in out for c in "\x1b\x07\x9b\u202e"), repr(out)
    if args == ["--format", "json"]:
        assert "\x1b]0;pwned" in json.loads(out)["sections"]["soothe"]  # escaped, not lost
    else:
        assert "（soothe）: 非常理解您的感受\\x1b]0;pwned\\x07\\x1b[2J\\x9b\\u202e\n" in out


def test_rewrite_command(fake_model: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rewrite", "--tone", "正式", "--format", "json", "您好，已收到")
    data = json.loads(out)
    assert code == 0 and data["kind"] == "rewrite" and data["tone"] == "正式"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["draft", ""], "the customer's message is empty"),
        (["draft", "啊" * 100_000], "the limit is 4000"),
        (
            ["rewrite", "--tone", "火星", "好的"],
            "unknown tone '火星'; choose one of: 标准, 正式, 亲切, 电商, 简洁, 邮件",
        ),
        (["draft", "--facts", "/no/such.json", "hi"], "no such file"),
        (["rewrite", "--customer", " ", "好的"], "the customer's message is empty"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    fake_model: list[str], capsys: pytest.CaptureFixture[str], args: list[str], error: str
) -> None:
    code, _, err = run(capsys, *args)
    assert code == 2 and error in err and err.count("\n") == 1 and "Traceback" not in err


def test_bad_facts_file(fake_model: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    facts = tmp_path / "facts.json"
    facts.write_text("[1, 2]", encoding="utf-8")
    code, _, err = run(capsys, "draft", "--facts", str(facts), "hi")
    assert code == 2 and "one JSON object" in err


@pytest.fixture
def endpoint_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    monkeypatch.setenv("HUASHU_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("HUASHU_MODEL", "m")
    monkeypatch.setenv("HUASHU_API_KEY", "sk-wrong")
    monkeypatch.setenv("HUASHU_MAX_RETRIES", "0")
    return monkeypatch


def test_unreachable_endpoint(endpoint_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    endpoint_env.setenv("HUASHU_BASE_URL", f"http://127.0.0.1:{port}/v1")
    code, _, err = run(capsys, "draft", "订单没到")
    assert code == 4 and "cannot reach the model endpoint" in err and err.count("\n") == 1


def test_wrong_key(endpoint_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    with FaultServer([ErrorStatus(401, message="Incorrect API key")]) as server:
        endpoint_env.setenv("HUASHU_BASE_URL", server.base_url)
        code, _, err = run(capsys, "rewrite", "好的")
    assert code == 4 and "rejected the API key (401)" in err and "HUASHU_API_KEY" in err


def test_a_wrong_key_in_the_url_is_not_printed(
    endpoint_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    password, key = "pa55-w0rd-4711", "sk-query-SECRET-0815"
    with FaultServer([ErrorStatus(401, message=f"Incorrect API key {key}")]) as server:
        url = server.base_url.replace("http://", f"http://huashu:{password}@") + f"?api-key={key}"
        endpoint_env.setenv("HUASHU_BASE_URL", url)
        code, out, err = run(capsys, "rewrite", "好的")
    assert code == 4 and "rejected the API key (401)" in err
    assert password not in out + err and key not in out + err
    assert "http://***@127.0.0.1" in err and "api-key=***" in err


def test_draft_stream_against_an_endpoint_that_ignores_stream(
    endpoint_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = {
        "id": "c1",
        "object": "chat.completion",
        "created": 0,
        "model": "m",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": good_reply()}, "finish_reason": "stop"}
        ],
    }
    with FaultServer([RawBody(json.dumps(whole, ensure_ascii=False))]) as server:
        endpoint_env.setenv("HUASHU_BASE_URL", server.base_url)
        code, out, err = run(capsys, "draft", "--stream", "订单没到")
    assert code == 0, err
    assert "no JSON object" not in out + err and "✓ passed after 1 attempt" in out


def test_timeout_bounds_each_model_call_and_help_says_so(
    endpoint_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint_env.setenv("HUASHU_MAX_RETRIES", "3")
    guards.default_compiled()  # the bound is on the model call: compiling the policy (~2 s) is not part of it
    started = time.monotonic()
    with FaultServer([Hang(10.0)]) as server:
        endpoint_env.setenv("HUASHU_BASE_URL", server.base_url)
        code, _, err = run(capsys, "draft", "--timeout", "0.5", "订单没到")
    assert code == 4 and "did not answer within 0.5 s (retries included)" in err
    assert time.monotonic() - started < 2.0 and len(server.chat_requests) == 1
    for command in ("draft", "rewrite"):
        _, out, _ = run(capsys, command, "--help")
        assert "retries and waits included" in " ".join(out.split())
    _, out, _ = run(capsys, "batch", "rewrite", "--help")
    assert "--timeout SECONDS" in out


def test_strategy_flag_reaches_the_drafter_and_english_shows_its_checked_text(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    asked: dict[str, Any] = {}
    answer = json.dumps({"scenario": "complaint", "problem": "", "emotion": "angry", "action": ""})

    def build(**kwargs: Any) -> Drafter:
        asked.update(kwargs)
        return Drafter(FakeChatClient([answer]), strategy=kwargs["strategy"] or "free")

    monkeypatch.setattr(draft_cmd, "make_drafter", build)
    code, out, _ = run(
        capsys, "draft", "--strategy", "compose", "Your app keeps crashing. I will call my lawyer!"
    )
    assert code == 0 and asked["strategy"] == "compose"
    assert "I'm very sorry" in out or "apologize" in out
    assert "Checked as the Chinese phrases it renders:" in out and "strategy: compose" in out
    assert "lawyer" in out  # the escalation alert quotes the customer
