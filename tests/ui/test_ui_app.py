"""The agent page under streamlit.testing: composer, findings, fixes, history, errors, escalation, votes."""

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


def test_draft_labels_the_parts_highlights_each_finding_and_lists_it_beside() -> None:
    page = open_page([BAD_REPLY]).draft(draft_address="张先生", draft_facts="订单号：202411230001")

    assert not page.at.exception
    request = page.client.requests[0]
    user_prompt = request.messages[-1].content
    assert CUSTOMER in user_prompt and "202411230001" in user_prompt and "张先生" in user_prompt
    reply_html = page.reply_html()
    for label in ("问候", "安抚", "道歉", "收集信息", "方案与时限"):
        assert f'data-label="{label}"' in reply_html
    assert reply_html.count('data-label="方案与时限"') == 1  # solution and commitment are one labelled part
    for phrase in ("不知道", "这是规定"):
        assert f">{phrase}</mark>" in reply_html
    # 保证今天解决 is a promise, and its 今天 a date the customer never gave: marked in three pieces.
    assert all(f">{piece}</mark>" in reply_html for piece in ("保证", "今天", "解决"))
    text = page.markdown()
    assert "禁用语 “不知道”" in text and "这是规定" in text
    assert "改后：" in text and "我为您查询一下" in text  # the fix, previewed in its sentence
    assert "依据：003_51b790690fd19781.txt" in text  # the source line
    assert any("必须修改" in e.value for e in page.at.error)
    workspace = _workspace(page.at.session_state)
    # The copy script reads what was checked and how many must-fix findings it has.
    assert f'data-blocking="{len(workspace.report.blocking)}"' in reply_html
    assert page.button("复制").proto.type == "primary"
    assert page.at.text_area(key=REPLY_TEXT_KEY).value == workspace.draft.text
    assert not page.at.code  # the reply is shown once, plus its editor: no third copy box


def test_history_says_in_chinese_what_each_attempt_really_fixed() -> None:
    page = open_page([BAD_REPLY, GOOD_REPLY]).draft()

    assert page.client.calls == 2
    assert any("通过规范检查" in s.value for s in page.at.success)
    history = next(e for e in page.at.expander if "修改记录" in e.label)
    assert "共写了 2 稿" in history.label
    assert ">不知道</mark>" in history.get("html")[0].value
    lines = [c.value for c in history.caption]
    assert "第1稿：禁用语“不知道” → 第2稿已改" in lines
    assert not any("fp." in line for line in lines)  # category names, not rule ids


def test_history_does_not_count_a_rule_as_fixed_when_the_next_attempt_breaks_it_again() -> None:
    still_vague = BAD_REPLY.replace("这个我不知道，这是规定", "这个我不清楚")
    page = open_page([BAD_REPLY, still_vague, GOOD_REPLY]).draft()
    history = next(e for e in page.at.expander if "修改记录" in e.label)
    lines = [c.value for c in history.caption]
    assert "第1稿：禁用语“不知道” → 第2稿仍有同类问题" in lines
    assert "第1稿：禁用语“不知道” → 第2稿已改" not in lines
    assert "第2稿：禁用语“不清楚” → 第3稿已改" in lines


def test_rewrite_shows_the_agents_original_with_its_findings_beside_the_rewrite() -> None:
    page = open_page([GOOD_REPLY]).rewrite("等着吧，物流的事我们也没办法，订单202411230001", tone="电商")

    assert not page.at.exception
    user_prompt = page.client.requests[0].messages[-1].content
    assert "等着吧，物流的事我们也没办法" in user_prompt
    workspace = _workspace(page.at.session_state)
    assert workspace.draft.kind == "rewrite" and workspace.draft.tone == "电商"
    assert any("改写" in c.value and "语气 电商" in c.value for c in page.at.caption)
    assert 'data-label="安抚"' in page.reply_html()
    original = next(e for e in page.at.expander if e.label.startswith("你的原文"))
    assert "必须修改" in original.label
    assert "等着吧" in original.get("html")[0].value and "<mark" in original.get("html")[0].value
    assert workspace.original is not None and workspace.original.text.startswith("等着吧")


def test_apply_fix_uses_the_previewed_wording_keeps_the_labels_and_checks_again() -> None:
    page = open_page([BAD_REPLY]).draft()
    assert "改后：这个我为您查询一下，这是规定" in page.markdown()
    page.button("应用修改：改为“为您查询一下”").click().run()

    text = page.at.session_state[REPLY_TEXT_KEY]
    assert "不知道" not in text and "这个我为您查询一下" in text and "我我" not in text
    assert page.at.text_area(key=REPLY_TEXT_KEY).value == text
    workspace = _workspace(page.at.session_state)
    assert workspace.text == text
    assert "fp.dont_know" not in {v.rule_id for v in workspace.report.violations}
    assert "fp.its_the_rule" in {v.rule_id for v in workspace.report.violations}
    assert [(f.match, f.replacement) for f in workspace.applied_fixes] == [("不知道", "为您查询一下")]
    reply_html = page.reply_html()
    assert ">不知道</mark>" not in reply_html
    for label in ("安抚", "道歉", "收集信息", "方案与时限"):  # the part labels stay after a fix
        assert f'data-label="{label}"' in reply_html


def test_a_fix_clicked_right_after_an_edit_keeps_the_edit() -> None:
    page = open_page([BAD_REPLY]).draft()
    edited = _workspace(page.at.session_state).text + "感谢您的耐心。"
    page.at.text_area(key=REPLY_TEXT_KEY).input(edited)  # not checked yet: the click carries it
    page.button("应用修改：改为“为您查询一下”").click().run()
    text = page.at.session_state[REPLY_TEXT_KEY]
    assert text.endswith("感谢您的耐心。") and "这个我为您查询一下" in text


def test_a_fix_that_would_repeat_the_sentence_drops_the_phrase_instead() -> None:
    reply = GOOD_REPLY.replace("我马上为您联系物流", "请您稍等，我马上为您联系物流")
    page = open_page([reply]).draft()
    assert "这句话里已有“马上为您”" in page.markdown()
    page.button("应用修改：删去“请您稍等”").click().run()
    text = page.at.session_state[REPLY_TEXT_KEY]
    assert "稍等" not in text and "马上为您办理" not in text and "。我马上为您联系物流" in text


def test_an_edit_is_checked_again_and_keeps_the_labels_of_parts_it_left() -> None:
    page = open_page([BAD_REPLY]).draft()
    assert any("必须修改" in e.value for e in page.at.error)

    page.at.text_area(key=REPLY_TEXT_KEY).input(CLEAN_EDIT).run()
    assert any("通过规范检查" in s.value for s in page.at.success)
    assert not any("必须修改" in e.value for e in page.at.error)
    reply_html = page.reply_html()
    assert "<mark" not in reply_html and 'data-blocking="0"' in reply_html
    assert 'data-label="安抚"' in reply_html and 'data-label="道歉"' in reply_html
    assert any("已修改" in c.value for c in page.at.caption)

    page.at.text_area(key=REPLY_TEXT_KEY).input(CLEAN_EDIT + "您必须今天之内把照片发过来！！").run()
    assert ">！！</mark>" in page.reply_html()
    assert any("必须修改" in e.value for e in page.at.error)


def test_an_unreachable_endpoint_says_what_to_do_in_chinese_and_retry_drafts_again() -> None:
    page = open_page([EndpointUnreachableError("cannot reach http://llm.test/v1"), GOOD_REPLY]).draft()

    assert not page.at.exception
    errors = page.errors()
    assert "连不上模型服务" in errors and "重试" in errors
    assert "cannot reach" not in errors and "Traceback" not in errors  # English detail is folded away
    assert "cannot reach http://llm.test/v1" in page.details()
    page.button("重试").click().run()
    assert page.client.calls == 2
    assert any("通过规范检查" in s.value for s in page.at.success)
    assert not any("连不上" in e.value for e in page.at.error)


def test_a_wrong_key_asks_for_the_admin_and_an_unexpected_failure_is_friendly_too() -> None:
    page = open_page([AuthenticationFailedError("the endpoint rejected the API key (401)")]).draft()
    assert "请联系管理员" in page.errors() and "HUASHU" not in page.errors()
    assert "401" in page.details()

    page = open_page([ZeroDivisionError("division by zero")]).draft()
    assert not page.at.exception
    assert "意外的错误" in page.errors()
    assert "ZeroDivisionError: division by zero" in page.details()
    assert any(b.label == "重试" for b in page.at.button)


def test_escalation_is_raised_from_the_message_even_when_the_model_fails() -> None:
    page = open_page([EndpointUnreachableError("down")]).draft(THREATENING_CUSTOMER)
    alerts = [e.value for e in page.at.error if "升级预警" in e.value]
    assert len(alerts) == 1 and "12315" in alerts[0]
    assert "连不上模型服务" in page.errors()

    calm = open_page([GOOD_REPLY]).draft()
    assert not any("升级预警" in e.value for e in calm.at.error)


def test_one_vote_per_reply_that_can_be_changed_or_taken_back(feedback_db: Path) -> None:
    page = open_page([BAD_REPLY]).draft()
    page.button("应用修改：改为“为您查询一下”").click().run()
    page.at.text_area(key=REPLY_TEXT_KEY).input(page.at.session_state[REPLY_TEXT_KEY] + "谢谢。")
    page.at.segmented_control(key="vote").set_value("up").run()  # carries the unchecked edit
    page.at.text_input(key="feedback_note").input("不要说规定").run()
    page.at.segmented_control(key="vote").set_value("down").run()

    assert any("已保存反馈：没用" in c.value for c in page.at.caption)
    with sqlite3.connect(feedback_db) as db:
        rows = db.execute("SELECT rating, note, record FROM feedback").fetchall()
    assert len(rows) == 1
    rating, note, record = rows[0]
    data = json.loads(record)
    assert (rating, note) == ("down", "不要说规定")
    assert data["message"] == CUSTOMER and data["kind"] == "draft"
    assert "为您查询一下" in data["final_text"] and data["final_text"].endswith("谢谢。")
    assert "不知道" in data["model_text"]
    assert data["applied_fixes"] == [
        {"rule_id": "fp.dont_know", "match": "不知道", "replacement": "为您查询一下"}
    ]

    page.at.segmented_control(key="vote").set_value(None).run()
    with sqlite3.connect(feedback_db) as db:
        assert db.execute("SELECT COUNT(*) FROM feedback").fetchone() == (0,)


def test_the_conversation_panel_reaches_the_model_and_new_ticket_clears_it() -> None:
    page = open_page([GOOD_REPLY]).draft(
        draft_history="客户：耳机还没到\n客服：我帮您查一下", draft_facts="订单号：202411230001"
    )
    prompt = page.client.requests[0].messages[-1].content
    assert "耳机还没到" in prompt and "我帮您查一下" in prompt and "202411230001" in prompt
    assert [t.role for t in _workspace(page.at.session_state).request.ticket.history] == ["customer", "agent"]

    page.button("新工单").click().run()
    assert WORKSPACE_KEY not in page.at.session_state
    for key in ("draft_message", "draft_history", "draft_facts"):
        assert page.at.text_area(key=key).value == ""
    assert not _has_editor(page)
    assert any("按 Ctrl+Enter 起草" in i.value for i in page.at.info)


def _has_editor(page: Any) -> bool:
    return any(t.key == REPLY_TEXT_KEY for t in page.at.text_area)


def test_empty_message_warns_without_calling_the_model() -> None:
    page = open_page([GOOD_REPLY]).draft("   ")
    assert any("请先粘贴客户的消息" in w.value for w in page.at.warning)
    assert page.client.calls == 0


def test_bad_facts_are_a_warning_not_a_traceback() -> None:
    page = open_page([GOOD_REPLY]).draft(draft_facts="订单号 202411230001")
    assert any("订单信息第 1 行" in w.value for w in page.at.warning)
    assert page.client.calls == 0 and not page.at.exception


def test_status_line_says_the_model_is_configured_and_details_control_the_local_model() -> None:
    local = FakeLocalModel()
    page = open_page([GOOD_REPLY], local=local)
    assert not page.at.sidebar.markdown  # no developer sidebar any more
    status = page.at.markdown[0].value
    assert "模型已配置" in status and "fake-model" in status and "huashu-default" in status
    details = page.markdown()
    assert "http://llm.test/v1" in details and "default.toml" in details and "未运行" in details

    page.button("启动本地模型").click().run()
    assert local.calls == ["start"]
    assert "运行中" in page.markdown()
    page.button("停止本地模型").click().run()
    assert local.calls == ["start", "stop"]
    assert "未运行" in page.markdown()


def test_status_line_says_when_the_embedded_model_is_ready() -> None:
    running = LocalEndpoint("http://127.0.0.1:9999/v1", "qwen2.5-coder-1.5b", pid=77)
    page = open_page([GOOD_REPLY], local=FakeLocalModel(running=running), settings=Settings())
    assert "模型就绪" in page.at.markdown[0].value
    assert "内置本地模型" in page.markdown() and "qwen2.5-coder-1.5b" in page.markdown()
    assert not any("本地模型不参与" in c.value for c in page.at.caption)


def test_a_broken_policy_file_is_reported_and_drafting_is_off(tmp_path: Path) -> None:
    policy = tmp_path / "company.toml"
    policy.write_text("[meta\nname = 1", encoding="utf-8")
    page = open_page([GOOD_REPLY], policy_path=str(policy))
    assert any("规范文件无法加载" in e.value for e in page.at.error)
    assert "invalid TOML" in page.details()
    page.draft()
    assert page.client.calls == 0 and not page.at.exception


def test_a_company_policy_file_is_named_and_used(tmp_path: Path) -> None:
    policy = tmp_path / "company.toml"
    policy.write_text('[meta]\nname = "acme"\nversion = "7"\ndisable = ["fp.dont_know"]\n', encoding="utf-8")
    page = open_page([BAD_REPLY], policy_path=str(policy)).draft()
    assert "acme 7" in page.at.markdown[0].value
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
    assert "模型未启动" in at.markdown[0].value
    next(b for b in at.button if b.label == "启动本地模型").click().run()
    assert not at.exception
    assert any("本地模型无法启动" in e.value and "请联系管理员" in e.value for e in at.error)
    details = " ".join(str(c.value) for c in at.code)
    assert "huashu[local]" in details


def test_even_a_bug_in_the_page_shows_a_message_not_a_traceback() -> None:
    page = open_page([GOOD_REPLY]).draft()
    broken = _workspace(page.at.session_state)
    broken.draft = None  # a state the page never makes: a bug
    page.at.run()
    assert not page.at.exception
    assert "意外的错误" in page.errors() and "AttributeError" in page.details()


def test_a_missing_part_is_put_in_with_the_policys_wording_where_it_belongs() -> None:
    no_apology = GOOD_REPLY.replace("非常抱歉给您带来了不好的体验", "")
    page = open_page([no_apology], max_attempts=1).draft()
    assert "ms.apology" in {v.rule_id for v in _workspace(page.at.session_state).report.violations}
    page.button("应用修改：补上“非常抱歉给您带来了不好的体验。”").click().run()

    text = page.at.session_state[REPLY_TEXT_KEY]
    assert "非常理解您着急的心情。非常抱歉给您带来了不好的体验。麻烦您说一下" in text
    assert "ms.apology" not in {v.rule_id for v in _workspace(page.at.session_state).report.violations}
