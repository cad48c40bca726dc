"""`huashu check` with the conversation so far (--history, --turn, JSONL history/turn), in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drafting.cli import main
from drafting.conversation import HistoryError, history_from_text, history_from_value, turn_position
from guards import Turn

CUSTOMER = "我买的洗衣机坏了，订单号202411230001，太气人了"
APOLOGY = (
    "非常抱歉给您带来不好的体验，我非常理解您的心情。麻烦您提供一下故障照片，我们会在24小时内安排师傅联系您。"
)
# A follow-up: it owes none of the structure its first reply already gave.
FOLLOW_UP = "好的亲，我这边帮您登记了"
HISTORY = [
    {"speaker": "customer", "text": CUSTOMER},
    {"speaker": "agent", "text": APOLOGY},
    {"speaker": "customer", "text": "照片发你了"},
]


def huashu(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the CLI in this process: exit code, stdout, stderr."""
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def structure_findings(record: dict[str, object]) -> list[str]:
    """The rule ids of a record's missing_structure findings."""
    violations = record["violations"]
    assert isinstance(violations, list)
    return [v["rule_id"] for v in violations if v["category"] == "missing_structure"]


def test_a_follow_up_in_a_conversation_owes_no_structure_that_a_first_reply_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chat = tmp_path / "chat.txt"
    chat.write_text(f"客户：{CUSTOMER}\n客服：{APOLOGY}\n客户：照片发你了\n", encoding="utf-8")
    args = ("check", "--scenario", "complaint", "--format", "json")

    code, out, err = huashu(capsys, *args, "--history", str(chat), FOLLOW_UP)
    assert (code, err) == (0, "")
    record = json.loads(out)
    assert record["ok"] is True and record["turn"] == "auto"
    assert structure_findings(record) == []

    code, out, _ = huashu(capsys, *args, FOLLOW_UP)
    assert code == 1
    assert {"ms.apology", "ms.soothe", "ms.solution"} <= set(structure_findings(json.loads(out)))

    # The caller may say it is the first reply after all: then the structure is owed.
    code, out, _ = huashu(capsys, *args, "--history", str(chat), "--turn", "first", FOLLOW_UP)
    record = json.loads(out)
    assert code == 1 and record["turn"] == "first"
    assert "ms.apology" in structure_findings(record)


def test_turn_follow_up_without_history_is_judged_only_for_what_it_says(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = huashu(capsys, "check", "--scenario", "complaint", "--turn", "follow_up", FOLLOW_UP)
    assert code == 0
    assert "✓ ok" in out
    # A follow-up is still checked for what it says.
    code, out, _ = huashu(
        capsys, "check", "--scenario", "complaint", "--turn", "follow_up", "这个我也不知道，你自己看说明吧"
    )
    assert code == 1
    assert "forbidden_phrase" in out


def test_history_file_as_a_json_list_and_as_jsonl(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    as_list = tmp_path / "chat.json"
    as_list.write_text(json.dumps(HISTORY, ensure_ascii=False), encoding="utf-8")
    as_lines = tmp_path / "chat.jsonl"
    as_lines.write_text("\n".join(json.dumps(t, ensure_ascii=False) for t in HISTORY), encoding="utf-8")
    for path in (as_list, as_lines):
        code, out, err = huashu(capsys, "check", "--scenario", "complaint", "--history", str(path), FOLLOW_UP)
        assert (code, err) == (0, ""), path
        assert "✓ ok: no findings" in out


def test_jsonl_lines_carry_their_own_history_and_turn(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        {"id": "after-apology", "text": FOLLOW_UP, "history": HISTORY},
        {"id": "alone", "text": FOLLOW_UP},
        {"id": "told-first", "text": FOLLOW_UP, "history": HISTORY, "turn": "first"},
        {"id": "told-follow-up", "text": FOLLOW_UP, "turn": "follow_up"},
    ]
    replies = tmp_path / "replies.jsonl"
    replies.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines), encoding="utf-8")
    code, out, _ = huashu(
        capsys, "check", "--scenario", "complaint", "--jsonl", str(replies), "--format", "jsonl"
    )
    records = {r["id"]: r for r in map(json.loads, out.splitlines())}
    assert code == 1
    assert {i: r["ok"] for i, r in records.items()} == {
        "after-apology": True,
        "alone": False,
        "told-first": False,
        "told-follow-up": True,
    }
    assert [r["turn"] for r in records.values()] == ["auto", "auto", "first", "follow_up"]


def test_turn_option_is_the_default_for_jsonl_lines_without_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    replies = tmp_path / "replies.jsonl"
    replies.write_text(
        json.dumps({"id": "a", "text": FOLLOW_UP}, ensure_ascii=False)
        + "\n"
        + json.dumps({"id": "b", "text": FOLLOW_UP, "turn": "first"}, ensure_ascii=False),
        encoding="utf-8",
    )
    code, out, _ = huashu(
        capsys, "check", "--scenario", "complaint", "--turn", "follow_up", "--jsonl", str(replies),
        "--format", "jsonl",
    )  # fmt: skip
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert [(r["turn"], r["ok"]) for r in records] == [("follow_up", True), ("first", False)]


@pytest.mark.parametrize(
    ("history", "fragment"),
    [
        ({"speaker": "agent", "text": "在的"}, "history must be a list of turns, not dict"),
        ([{"speaker": "bot", "text": "在的"}], "history turn 1: speaker must be customer or agent"),
        ([{"speaker": "agent", "text": 3}], "history turn 1: text must be a string"),
        ([{"speaker": "agent", "text": "在的"}, "在的"], "history turn 2: expected"),
        ("你好\n客户：在吗", "history line 1: start each turn with 客户： or 客服："),
    ],
)
def test_a_bad_history_is_an_error_record_for_its_line_and_the_rest_are_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], history: object, fragment: str
) -> None:
    replies = tmp_path / "replies.jsonl"
    lines = [
        {"id": "good", "text": FOLLOW_UP, "history": HISTORY},
        {"id": "bad", "text": FOLLOW_UP, "history": history},
    ]
    replies.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines), encoding="utf-8")
    code, out, err = huashu(
        capsys, "check", "--scenario", "complaint", "--jsonl", str(replies), "--format", "jsonl"
    )
    good, bad = (json.loads(line) for line in out.splitlines())
    assert code == 2
    assert good["ok"] is True
    assert bad["id"] == "bad" and bad["line"] == 2 and bad["ok"] is False and bad["violations"] == []
    assert bad["error"].startswith("line 2: ") and fragment in bad["error"]
    assert "Traceback" not in out + err
    assert "could not be checked (line 2)" in err


def test_a_bad_turn_value_is_an_error_record(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    replies = tmp_path / "replies.jsonl"
    replies.write_text(json.dumps({"text": FOLLOW_UP, "turn": "second"}), encoding="utf-8")
    code, out, _ = huashu(capsys, "check", "--jsonl", str(replies), "--format", "jsonl")
    assert code == 2
    assert "line 1: turn must be one of auto, first, follow_up, not 'second'" in json.loads(out)["error"]


def test_a_bad_history_file_is_one_error_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    chat = tmp_path / "chat.json"
    chat.write_text('[{"speaker": "customer", "text": "在吗"}, {"speaker": "agent"', encoding="utf-8")
    code, out, err = huashu(capsys, "check", "--history", str(chat), FOLLOW_UP)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith(f"huashu: error: {chat}: history: invalid JSON")


def test_history_is_for_a_single_reply(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    chat = tmp_path / "chat.txt"
    chat.write_text("客户：在吗", encoding="utf-8")
    replies = tmp_path / "replies.jsonl"
    replies.write_text(json.dumps({"text": FOLLOW_UP}), encoding="utf-8")
    code, _, err = huashu(capsys, "check", "--history", str(chat), "--jsonl", str(replies))
    assert code == 2
    assert "--history is for a single reply" in err


def test_history_text_forms() -> None:
    expected = (Turn("customer", "在吗？\n我的快递呢"), Turn("agent", "您好"))
    assert history_from_text("客户：在吗？\n我的快递呢\n\n客服: 您好\n") == expected
    assert (
        history_from_text('[["customer", "在吗？\\n我的快递呢"], {"role": "agent", "text": "您好"}]')
        == expected
    )
    assert (
        history_from_value([{"speaker": "客户", "text": "在吗？\n我的快递呢"}, ["客服", "您好"]]) == expected
    )
    assert history_from_text("  ") == history_from_value(None) == ()
    with pytest.raises(HistoryError, match="history line 2: invalid JSON"):
        history_from_text('{"speaker": "agent", "text": "您好"}\n{"speaker": ')


@pytest.mark.parametrize(
    ("value", "position"),
    [
        (None, None),
        ("", None),
        ("auto", None),
        ("first", "first"),
        (" Follow_Up ", "follow_up"),
        ("跟进", "follow_up"),
    ],
)
def test_turn_names(value: object, position: str | None) -> None:
    assert turn_position(value) == position


def test_turn_names_reject_anything_else() -> None:
    for value in ("second", 1, True):
        with pytest.raises(HistoryError, match="turn must be one of"):
            turn_position(value)


def test_history_and_reply_cannot_both_come_from_stdin(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = huashu(capsys, "check", "--history", "-", "-")
    assert (code, out) == (2, "")
    assert "only one input can come from stdin" in err


def test_text_output_of_many_replies_names_a_turn_that_was_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    replies = tmp_path / "replies.jsonl"
    replies.write_text(
        json.dumps({"id": "a", "text": FOLLOW_UP, "turn": "follow_up"})
        + "\n"
        + json.dumps({"id": "b", "text": FOLLOW_UP}),
        encoding="utf-8",
    )
    _, out, _ = huashu(capsys, "check", "--jsonl", str(replies))
    headers = [line for line in out.splitlines() if line.startswith("── line ")]
    assert headers == [
        "── line 1 · id a · no scenario · online · follow_up ──",
        "── line 2 · id b · no scenario · online ──",
    ]


def test_a_lone_surrogate_in_a_history_turn_is_an_error_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    replies = tmp_path / "replies.jsonl"
    replies.write_text(
        '{"text": "好的", "history": [{"speaker": "agent", "text": "a\\ud800"}]}', encoding="utf-8"
    )
    code, out, _ = huashu(capsys, "check", "--jsonl", str(replies), "--format", "jsonl")
    assert code == 2
    assert (
        json.loads(out)["error"] == "line 1: history turn 1 has a lone surrogate (\\ud800), which is not text"
    )
