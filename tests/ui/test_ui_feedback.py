"""Feedback: the SQLite store, its location, and `huashu feedback export` into eval cases."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from ui_helpers import BAD_REPLY, CUSTOMER, GOOD_REPLY, THREATENING_CUSTOMER

from drafting.cli import main
from drafting.engine import Drafter
from drafting.fake import FakeChatClient
from drafting.models import Ticket
from drafting.ui.feedback import FeedbackError, FeedbackStore, feedback_db_path, record_from_workspace
from drafting.ui.state import DraftRequest, RewriteRequest, Workspace
from evals.cases import load_cases
from evals.feedback import feedback_cases


def _draft_workspace(message: str = CUSTOMER, script: tuple[str, ...] = (BAD_REPLY,)) -> Workspace:
    request = DraftRequest(Ticket(message=message, address_as="张先生", facts={"订单号": "202411230001"}))
    drafter = Drafter(FakeChatClient(list(script)), max_attempts=1)
    return Workspace.start(request, drafter.draft(request.ticket), drafter)


def test_the_feedback_file_is_in_the_user_data_dir_unless_the_env_names_one(tmp_path: Path) -> None:
    assert feedback_db_path({}).parts[-2:] == ("huashu", "feedback.sqlite")
    assert feedback_db_path({"HUASHU_FEEDBACK_DB": str(tmp_path / "f.db")}) == tmp_path / "f.db"


def test_records_round_trip_through_sqlite(feedback_db: Path) -> None:
    workspace = _draft_workspace()
    fix = next(v for v in workspace.report.violations if v.rule_id == "fp.dont_know")
    workspace.apply_fix(fix)
    store = FeedbackStore()
    first = store.add(record_from_workspace(workspace, "down", "  别说不知道 "))
    second = store.add(record_from_workspace(workspace, "up", ""))

    records = FeedbackStore(feedback_db).records()
    assert [r.id for r in records] == [first, second]
    down = records[0]
    assert (down.rating, down.note, down.kind, down.address_as) == ("down", "别说不知道", "draft", "张先生")
    assert down.facts == {"订单号": "202411230001"} and down.message == CUSTOMER
    assert "不知道" in down.model_text and "不知道" not in down.final_text
    assert down.created_at[:2] == "20" and down.model == "fake-model"


def test_an_unusable_feedback_file_is_a_clear_error(tmp_path: Path) -> None:
    not_a_db = tmp_path / "feedback.sqlite"
    not_a_db.write_text("this is not sqlite " * 100, encoding="utf-8")
    with pytest.raises(FeedbackError, match="cannot be used"):
        FeedbackStore(not_a_db).records()


def test_a_thumbs_down_with_corrections_becomes_a_case_with_what_the_agent_wanted() -> None:
    workspace = _draft_workspace()
    workspace.apply_fix(next(v for v in workspace.report.violations if v.rule_id == "fp.dont_know"))
    workspace.update_text(workspace.text.replace("这是规定", "我们会尽快处理"))
    FeedbackStore().add(record_from_workspace(workspace, "down", "不要说规定"))

    (case,) = feedback_cases(FeedbackStore().records())
    assert case.kind == "draft" and case.message == CUSTOMER and case.facts == {"订单号": "202411230001"}
    assert case.origin.startswith("agent feedback 👎 20") and case.origin.endswith(": 不要说规定")
    expect = {e.type: e.value for e in case.expect}
    assert "guards-pass" in expect
    assert set(expect["not-contains"]) == {"不知道", "这是规定"}
    assert expect["contains"] == ["为您查询一下"]  # "这个我" + the wording, without "我我"
    assert "保证今天解决" not in expect["not-contains"]  # still in the final text


def test_escalation_and_rewrite_cases_get_their_expectations() -> None:
    FeedbackStore().add(
        record_from_workspace(_draft_workspace(THREATENING_CUSTOMER, (GOOD_REPLY,)), "up", "")
    )
    rewrite = RewriteRequest(agent_text="订单202411230001的退款已经处理了", tone="电商")
    drafter = Drafter(FakeChatClient([GOOD_REPLY]))
    draft = drafter.rewrite(rewrite.agent_text, tone="电商")
    FeedbackStore().add(record_from_workspace(Workspace.start(rewrite, draft, drafter), "up", ""))

    escalated, rewritten = feedback_cases(FeedbackStore().records())
    assert [e.type for e in escalated.expect] == ["guards-pass", "escalation-flagged"]
    assert rewritten.kind == "rewrite" and rewritten.tone == "电商" and rewritten.message is None
    assert rewritten.agent_text == "订单202411230001的退款已经处理了"
    assert [e.type for e in rewritten.expect] == ["guards-pass", "facts-preserved"]


def test_export_command_writes_loadable_case_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    FeedbackStore().add(record_from_workspace(_draft_workspace(), "down", "太生硬"))
    FeedbackStore().add(record_from_workspace(_draft_workspace(script=(GOOD_REPLY,)), "up", ""))
    out = tmp_path / "feedback.toml"

    assert main(["feedback", "export", "-o", str(out)]) == 0
    assert "wrote 2 cases" in capsys.readouterr().err
    cases = load_cases([out])
    assert [c.id for c in cases] == ["feedback-1-down", "feedback-2-up"]
    assert tomllib.loads(out.read_text(encoding="utf-8"))["case"][0]["origin"].endswith("太生硬")

    assert main(["feedback", "export", "--rating", "down"]) == 0
    printed = tomllib.loads(capsys.readouterr().out)
    assert [c["id"] for c in printed["case"]] == ["feedback-1-down"]


def test_export_with_no_feedback_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["feedback", "export", "--db", str(tmp_path / "none.sqlite")]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "no feedback saved" in captured.err
    assert not (tmp_path / "none.sqlite").exists()


def test_a_changed_vote_replaces_the_record_and_a_taken_back_vote_removes_it() -> None:
    workspace = _draft_workspace()
    store = FeedbackStore()
    record_id = store.add(record_from_workspace(workspace, "up", ""))
    assert store.replace(record_id, record_from_workspace(workspace, "down", "太长")) == record_id
    (record,) = store.records()
    assert (record.id, record.rating, record.note) == (record_id, "down", "太长")
    store.remove(record_id)
    assert store.records() == []
    assert store.replace(record_id, record_from_workspace(workspace, "up", "")) != record_id  # gone: added
