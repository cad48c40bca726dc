"""`huashu batch` with the conversation so far: the history and turn columns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from batch_helpers import huashu, read_csv, read_jsonl, write_csv

from drafting.batch.rows import ColumnOptions, Defaults, RowReader, SourceRow, WorkRow, choose_columns
from drafting.batch.testing import BatchServer
from guards import Turn

CUSTOMER = "我买的洗衣机坏了，订单号202411230001，太气人了"
APOLOGY = (
    "非常抱歉给您带来不好的体验，我非常理解您的心情。麻烦您提供一下故障照片，我们会在24小时内安排师傅联系您。"
)
FOLLOW_UP = "好的亲，我这边帮您登记了"
AS_LINES = f"客户：{CUSTOMER}\n客服：{APOLOGY}\n客户：照片发你了"
AS_JSON = json.dumps(
    [{"speaker": "customer", "text": CUSTOMER}, {"speaker": "agent", "text": APOLOGY}], ensure_ascii=False
)
HEADER = ["编号", "场景", "话术", "对话历史", "轮次"]


def test_history_and_turn_columns_decide_whether_the_structure_is_owed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        ["lines", "投诉", FOLLOW_UP, AS_LINES, ""],
        ["json", "投诉", FOLLOW_UP, AS_JSON, "auto"],
        ["alone", "投诉", FOLLOW_UP, "", ""],
        ["told-first", "投诉", FOLLOW_UP, AS_LINES, "first"],
        ["told-follow-up", "投诉", FOLLOW_UP, "", "follow_up"],
        ["bad-history", "投诉", FOLLOW_UP, '[{"speaker": "bot", "text": "在的"}]', ""],
        ["bad-turn", "投诉", FOLLOW_UP, AS_LINES, "第二轮"],
    ]
    source = write_csv(tmp_path / "lib.csv", rows, header=HEADER)
    out = tmp_path / "out.csv"
    code, _, err = huashu(capsys, "batch", "check", str(source), "-o", str(out), "--report", "-")
    assert code == 2, err
    result = {r["编号"]: r for r in read_csv(out)}
    assert {i: r["huashu_status"] for i, r in result.items()} == {
        "lines": "clean",
        "json": "clean",
        "alone": "violates",
        "told-first": "violates",
        "told-follow-up": "clean",
        "bad-history": "error",
        "bad-turn": "error",
    }
    assert "ms.apology" in result["alone"]["huashu_findings"]
    assert result["bad-history"]["huashu_error"] == (
        "对话历史: history turn 1: speaker must be customer or agent, not 'bot'"
    )
    assert result["bad-turn"]["huashu_error"].startswith("轮次: turn must be one of auto, first, follow_up")
    # The input columns come back unchanged.
    assert [[r[c] for c in HEADER] for r in result.values()] == rows


def test_jsonl_rows_give_the_history_as_a_list_and_may_leave_it_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        {"id": "a", "scenario": "complaint", "text": FOLLOW_UP, "history": json.loads(AS_JSON)},
        {"id": "b", "scenario": "complaint", "text": FOLLOW_UP},
        {"id": "c", "scenario": "complaint", "text": FOLLOW_UP, "turn": "follow_up"},
    ]
    source = tmp_path / "lib.jsonl"
    source.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    code, _, err = huashu(capsys, "batch", "check", str(source), "-o", str(out))
    assert code == 1, err
    result = read_jsonl(out)
    assert [r["huashu_status"] for r in result] == ["clean", "violates", "clean"]
    assert result[0]["history"] == json.loads(AS_JSON)  # kept as given


def test_a_follow_up_row_is_not_sent_for_a_rewrite(
    endpoint: BatchServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [["1", "投诉", FOLLOW_UP, AS_LINES, ""], ["2", "投诉", f"{FOLLOW_UP}。", "", ""]]
    source = write_csv(tmp_path / "lib.csv", rows, header=HEADER)
    out = tmp_path / "out.csv"
    code, _, err = huashu(capsys, "batch", "rewrite", str(source), "-o", str(out))
    assert code == 0, err
    assert [r["huashu_status"] for r in read_csv(out)] == ["clean", "rewritten"]
    assert endpoint.originals() == [f"{FOLLOW_UP}。"]


def test_history_and_turn_columns_are_detected_or_named() -> None:
    detected = choose_columns(["话术", "对话历史", "轮次"], ColumnOptions(), "lib.csv")
    assert (detected.history, detected.turn) == ("对话历史", "轮次")
    named = choose_columns(
        ["话术", "上下文", "位置"], ColumnOptions(history="上下文", turn="位置"), "lib.csv"
    )
    reader = RowReader(named, Defaults())
    row = reader.read(
        SourceRow(2, {"话术": FOLLOW_UP, "上下文": "客户：在吗\n客服：在的，您说", "位置": "跟进"})
    )
    assert isinstance(row, WorkRow), row
    assert row.history == (Turn("customer", "在吗"), Turn("agent", "在的，您说"))
    assert row.turn == "follow_up"
