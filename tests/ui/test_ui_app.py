"""The agent page under streamlit.testing: draft, rewrite, findings, apply-fix, edits, errors, feedback."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest
from ui_helpers import (
    APP_FILE,
    BAD_REPLY,
    CLEAN_EDIT,
    CUSTOMER,
    GOOD_REPLY,
    ROOT_APP_FILE,
    THREATENING_CUSTOMER,
    FakeLocalModel,
    open_page,
)

from drafting.errors import AuthenticationFailedError, EndpointUnreachableError
from drafting.local.server import LocalEndpoint
from drafting.settings import Settings
from drafting.ui.panels import REPLY_TEXT_KEY, WORKSPACE_KEY
from drafting.ui.state import Workspace


def _workspace(page_state: Any) -> Workspace:
    workspace = page_state[WORKSPACE_KEY]
    assert isinstance(workspace, Workspace)
    return workspace


def test_draft_streams_the_reply_labels_its_sections_and_highlights_each_finding() -> None:
    page = open_page([BAD_REPLY]).draft(draft_address="张先生", draft_facts="订单号：202411230001")

    assert not page.at.exception
    request = page.client.requests[0]
    user_prompt = request.messages[-1].content
    assert CUSTOMER in user_prompt and "202411230001" in user_prompt and "张先生" in user_prompt
    reply_html = page.at.html[0].value
    for label in ("问候", "安抚", "道歉", "收集信息", "方案与时限"):
        assert f">{label}</span>" in reply_html
    assert reply_html.count(">方案与时限<") == 1  # solution and commitment are one labelled part
    for phrase in ("不知道", "这是规定", "保证今天解决"):
        assert f">{phrase}</mark>" in reply_html
    text = page.markdown()
    assert "不知道" in text and "这是规定" in text
    assert "我为您查询一下" in text  # the suggested fix
    assert "依据：003_51b790690fd19781.txt" in text  # the source line
    assert any("必须修改" in e.value for e in page.at.error)
    assert page.at.code[0].value == _workspace(page.at.session_state).draft.text  # the copy box


def test_attempt_history_shows_the_first_reply_and_the_findings_it_fixed() -> None:
    page = open_page([BAD_REPLY, GOOD_REPLY]).draft()

    assert page.client.calls == 2
    assert any("通过规范检查" in s.value for s in page.at.success)
    history = next(e for e in page.at.expander if "修改记录" in e.label)
    assert "共写了 2 稿" in history.label
    first_attempt = history.get("html")[0].value
    assert ">不知道</mark>" in first_attempt
    fixed = " ".join(c.value for c in history.caption)
    assert "下一稿改掉了" in fixed and "fp.dont_know“不知道”" in fixed and "fp.its_the_rule" in fixed


def test_rewrite_uses_the_tone_preset_and_shows_the_rewritten_reply() -> None:
    page = open_page([GOOD_REPLY])
    page.at.text_area(key="rewrite_text").input("等着吧，物流的事我们也没办法，订单202411230001")
    page.at.selectbox(key="rewrite_tone").select("电商")
    page.button("改写").click().run()

    assert not page.at.exception
    user_prompt = page.client.requests[0].messages[-1].content
    assert "等着吧，物流的事我们也没办法" in user_prompt
    workspace = _workspace(page.at.session_state)
    assert workspace.draft.kind == "rewrite" and workspace.draft.tone == "电商"
    assert any("改写" in c.value and "语气 电商" in c.value for c in page.at.caption)
    assert ">安抚</span>" in page.at.html[0].value


def test_apply_fix_replaces_the_span_with_the_suggestion_and_checks_again() -> None:
    page = open_page([BAD_REPLY]).draft()
    page.button("应用修改：改为“我为您查询一下”").click().run()

    text = page.at.session_state[REPLY_TEXT_KEY]
    assert "不知道" not in text and "这个我我为您查询一下" in text
    assert page.at.text_area(key=REPLY_TEXT_KEY).value == text
    workspace = _workspace(page.at.session_state)
    assert workspace.text == text
    assert "fp.dont_know" not in {v.rule_id for v in workspace.report.violations}
    assert "fp.its_the_rule" in {v.rule_id for v in workspace.report.violations}
    assert [f.match for f in workspace.applied_fixes] == ["不知道"]
    assert ">不知道</mark>" not in page.at.html[0].value
    assert not any(b.label.startswith("应用修改：改为“我为您查询一下”") for b in page.at.button)


def test_edited_text_is_checked_again() -> None:
    page = open_page([BAD_REPLY]).draft()
    assert any("必须修改" in e.value for e in page.at.error)

    page.at.text_area(key=REPLY_TEXT_KEY).input(CLEAN_EDIT).run()
    assert any("通过规范检查" in s.value for s in page.at.success)
    assert not any("必须修改" in e.value for e in page.at.error)
    assert "<mark" not in page.at.html[0].value
    assert page.at.code[0].value == CLEAN_EDIT
    assert any("回复已修改" in c.value for c in page.at.caption)

    page.at.text_area(key=REPLY_TEXT_KEY).input(CLEAN_EDIT + "您必须今天之内把照片发过来！！").run()
    assert ">！！</mark>" in page.at.html[0].value
    assert any("必须修改" in e.value for e in page.at.error)


def test_an_unreachable_endpoint_shows_a_friendly_message_and_retry_drafts_again() -> None:
    page = open_page([EndpointUnreachableError("cannot reach http://llm.test/v1"), GOOD_REPLY]).draft()

    assert not page.at.exception
    errors = " ".join(e.value for e in page.at.error)
    assert "连不上模型服务" in errors and "cannot reach http://llm.test/v1" in errors
    assert "Traceback" not in errors
    page.button("重试").click().run()
    assert page.client.calls == 2
    assert any("通过规范检查" in s.value for s in page.at.success)
    assert not any("连不上" in e.value for e in page.at.error)


def test_a_wrong_key_and_an_unexpected_failure_are_friendly_too() -> None:
    page = open_page([AuthenticationFailedError("the endpoint rejected the API key (401)")]).draft()
    assert any("API key" in e.value and "HUASHU_API_KEY" in e.value for e in page.at.error)

    page = open_page([ZeroDivisionError("division by zero")]).draft()
    assert not page.at.exception
    errors = " ".join(e.value for e in page.at.error)
    assert "意外的错误" in errors and "ZeroDivisionError: division by zero" in errors
    assert any(b.label == "重试" for b in page.at.button)


def test_escalation_threats_raise_an_alert() -> None:
    page = open_page([GOOD_REPLY]).draft(THREATENING_CUSTOMER)
    alerts = [e.value for e in page.at.error if "升级预警" in e.value]
    assert len(alerts) == 1 and "12315" in alerts[0]

    calm = open_page([GOOD_REPLY]).draft()
    assert not any("升级预警" in e.value for e in calm.at.error)


def test_feedback_is_saved_with_the_agents_final_text(feedback_db: Path) -> None:
    page = open_page([BAD_REPLY]).draft()
    page.button("应用修改：改为“我为您查询一下”").click().run()
    page.at.text_input(key="feedback_note").input("不要说规定")
    page.button("👎").click().run()

    assert any("已保存反馈 👎" in s.value for s in page.at.success)
    with sqlite3.connect(feedback_db) as db:
        rows = db.execute("SELECT rating, note, record FROM feedback").fetchall()
    assert len(rows) == 1
    rating, note, record = rows[0]
    data = json.loads(record)
    assert (rating, note) == ("down", "不要说规定")
    assert data["message"] == CUSTOMER and data["kind"] == "draft"
    assert "我为您查询一下" in data["final_text"] and "不知道" in data["model_text"]
    assert data["applied_fixes"] == [
        {"rule_id": "fp.dont_know", "match": "不知道", "replacement": "我为您查询一下"}
    ]


def test_empty_message_warns_without_calling_the_model() -> None:
    page = open_page([GOOD_REPLY]).draft("   ")
    assert any("请先粘贴客户的消息" in w.value for w in page.at.warning)
    assert page.client.calls == 0


def test_bad_facts_are_a_warning_not_a_traceback() -> None:
    page = open_page([GOOD_REPLY]).draft(draft_facts="订单号 202411230001")
    assert any("订单信息第 1 行" in w.value for w in page.at.warning)
    assert page.client.calls == 0 and not page.at.exception


def test_sidebar_shows_endpoint_model_policy_and_controls_the_local_model() -> None:
    local = FakeLocalModel()
    page = open_page([GOOD_REPLY], local=local)
    sidebar = " ".join(m.value for m in page.at.sidebar.markdown)
    assert "http://llm.test/v1" in sidebar and "fake-model" in sidebar
    assert "default.toml" in sidebar and "huashu-default" in sidebar
    assert "未运行" in sidebar

    page.button("启动本地模型").click().run()
    assert local.calls == ["start"]
    assert "运行中" in " ".join(m.value for m in page.at.sidebar.markdown)
    page.button("停止本地模型").click().run()
    assert local.calls == ["start", "stop"]
    assert "未运行" in " ".join(m.value for m in page.at.sidebar.markdown)


def test_sidebar_says_when_the_embedded_model_is_in_use() -> None:
    running = LocalEndpoint("http://127.0.0.1:9999/v1", "qwen2.5-coder-1.5b", pid=77)
    page = open_page([GOOD_REPLY], local=FakeLocalModel(running=running), settings=Settings())
    sidebar = " ".join(m.value for m in page.at.sidebar.markdown)
    assert "内置本地模型" in sidebar and "qwen2.5-coder-1.5b" in sidebar
    assert not any("本地模型不参与" in c.value for c in page.at.sidebar.caption)


def test_a_broken_policy_file_is_reported_and_drafting_is_off(tmp_path: Path) -> None:
    policy = tmp_path / "company.toml"
    policy.write_text("[meta\nname = 1", encoding="utf-8")
    page = open_page([GOOD_REPLY], policy_path=str(policy))
    assert any("invalid TOML" in e.value for e in page.at.sidebar.error)
    page.draft()
    assert page.client.calls == 0 and not page.at.exception


def test_a_company_policy_file_is_named_and_used(tmp_path: Path) -> None:
    policy = tmp_path / "company.toml"
    policy.write_text('[meta]\nname = "acme"\nversion = "7"\ndisable = ["fp.dont_know"]\n', encoding="utf-8")
    page = open_page([BAD_REPLY], policy_path=str(policy)).draft()
    assert any("acme 7" in m.value for m in page.at.sidebar.markdown)
    rules = {v.rule_id for v in _workspace(page.at.session_state).report.violations}
    assert "fp.its_the_rule" in rules and "fp.dont_know" not in rules


def test_the_root_app_file_runs_the_same_page() -> None:
    page = open_page([GOOD_REPLY], app_file=ROOT_APP_FILE).draft()
    assert any("通过规范检查" in s.value for s in page.at.success)


def test_the_real_backend_shows_the_embedded_model_and_starting_it_fails_kindly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HUASHU_BASE_URL", "HUASHU_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_KEY", "HUASHU_POLICY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HUASHU_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("HUASHU_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # llama-cpp-python counts as not installed
    at = AppTest.from_file(str(APP_FILE), default_timeout=30).run()

    assert not at.exception
    sidebar = " ".join(m.value for m in at.sidebar.markdown)
    assert "内置本地模型" in sidebar and "未运行" in sidebar and "default.toml" in sidebar
    next(b for b in at.button if b.label == "启动本地模型").click().run()
    assert not at.exception
    assert any("本地模型无法启动" in e.value and "huashu[local]" in e.value for e in at.sidebar.error)


def test_even_a_bug_in_the_page_shows_a_message_not_a_traceback() -> None:
    page = open_page([GOOD_REPLY]).draft()
    broken = _workspace(page.at.session_state)
    broken.draft = None  # a state the page never makes: a bug
    page.at.run()
    assert not page.at.exception
    assert any("意外的错误" in e.value and "AttributeError" in e.value for e in page.at.error)
