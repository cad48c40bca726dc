"""`huashu check` through a real subprocess: input modes, formats, exit codes and edge cases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "docs" / "samples"
BAD_EXAMPLE = "亲，这个我也不知道，您自己看说明吧！"
# The complaint reply from 000 and 003's commitment, with every required element.
GOOD_COMPLAINT = (
    "非常抱歉给您带来了不好的体验，让您着急了，我非常理解您的心情。"
    "为了能尽快帮您解决问题，麻烦您和我说一下具体在什么情况下会出现闪退呢？"
    "也请提供一下您的账号或联系方式。"
    "我们将在2个工作日内联系您反馈处理进展，请您放心。"
)
VIOLATION_FIELDS = [
    "category",
    "rule_id",
    "severity",
    "start",
    "end",
    "match",
    "message",
    "suggestion",
    "source",
]


def huashu(
    *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m drafting.cli ARGS` and capture its output as text."""
    environment = {
        k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE"}
    }
    environment.update({"PYTHONIOENCODING": "utf-8", **(env or {})})
    result = subprocess.run(
        [sys.executable, "-m", "drafting.cli", *args],
        input=stdin if stdin is not None else b"",
        capture_output=True,
        cwd=ROOT,
        env=environment,
        timeout=120,
        check=False,
    )
    return subprocess.CompletedProcess(
        result.args, result.returncode, result.stdout.decode("utf-8"), result.stderr.decode("utf-8")
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """Exit 2 with exactly one `huashu: error:` line on stderr and no traceback."""
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("huashu: error: ")
    assert "Traceback" not in result.stderr + result.stdout
    for fragment in fragments:
        assert fragment in lines[0]


def rule_ids(record: dict[str, object]) -> set[str]:
    """The rule ids of one JSON record's violations."""
    violations = record["violations"]
    assert isinstance(violations, list)
    return {v["rule_id"] for v in violations}


# ---- the done criterion: each finding with its fix and its source line -----------------------


def test_text_output_marks_spans_and_shows_each_finding_with_fix_and_source() -> None:
    result = huashu("check", BAD_EXAMPLE)
    assert result.returncode == 1
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    # The reply comes first, with the offending spans in 【】 (stdout is not a terminal).
    assert "【不知道】" in lines[0] and "【您自己看说明】" in lines[0]
    assert "\x1b[" not in result.stdout
    for rule_id, fix, source_file in [
        ("fp.dont_know", "→ 我为您查询一下", "003_51b790690fd19781.txt"),
        ("fp.read_manual", "→ 我来为您一步步说明", "001_85890bef52b3649a.txt"),
    ]:
        head = next(i for i, line in enumerate(lines) if f"forbidden_phrase/{rule_id}" in line)
        assert "block" in lines[head]
        block = lines[head : head + 4]
        assert any(line.strip() == fix for line in block), block
        assert any(line.strip().startswith(f"source: {source_file}: “") for line in block), block
    assert lines[-1].startswith("✗ blocked: 2 blocking findings")


def test_a_reply_that_follows_the_standards_exits_0() -> None:
    result = huashu("check", "--scenario", "complaint", GOOD_COMPLAINT)
    assert result.returncode == 0, result.stdout
    assert "【" not in result.stdout
    assert result.stdout.splitlines()[-1].startswith("✓ ok:")


def test_colour_on_a_terminal_replaces_the_bracket_marks() -> None:
    result = huashu("check", BAD_EXAMPLE, env={"FORCE_COLOR": "1"})
    assert result.returncode == 1
    assert "\x1b[" in result.stdout
    assert "【" not in result.stdout


HOSTILE = "不知道\x1b]0;pwned\x07\x1b[2J\x9b31m\u202e好"  # set the title, clear the screen, CSI, RLO


@pytest.mark.parametrize("colour", [{"FORCE_COLOR": "1"}, {}])
def test_control_characters_in_a_reply_are_shown_not_sent_to_the_terminal(colour: dict[str, str]) -> None:
    result = huashu("check", HOSTILE, env=colour)
    assert result.returncode == 1, result.stderr
    for raw in ("\x1b]", "\x07", "\x1b[2J", "\x9b", "\u202e"):
        assert raw not in result.stdout
    assert "\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202e好" in result.stdout
    assert "“不知道”  chars 0–3" in result.stdout  # positions still index the original text


@pytest.mark.parametrize("output_format", ["json", "jsonl"])
def test_control_characters_are_escaped_in_json_output(tmp_path: Path, output_format: str) -> None:
    path = tmp_path / "hostile.jsonl"
    path.write_text(json.dumps({"id": "\x1b[31m\x9b\u202e", "text": HOSTILE}) + "\n", encoding="utf-8")
    result = huashu("check", "--jsonl", str(path), "--format", output_format)
    assert result.returncode == 1, result.stderr
    assert not any(c in result.stdout for c in "\x1b\x07\x9b\u202e")
    record = json.loads(result.stdout)[0] if output_format == "json" else json.loads(result.stdout)
    assert record["id"] == "\x1b[31m\x9b\u202e"  # escaped, not lost
    assert [v["match"] for v in record["violations"] if v["rule_id"] == "fp.dont_know"] == ["不知道"]


# ---- input modes and formats ---------------------------------------------------------------


def test_file_input_as_json_spans_index_the_original_text() -> None:
    sample = SAMPLES / "bad_reply.txt"
    result = huashu("check", "--scenario", "complaint", "-f", str(sample), "--format", "json")
    assert result.returncode == 1
    record = json.loads(result.stdout)
    assert record["id"] == str(sample) and record["ok"] is False and record["scenario"] == "complaint"
    assert {"fp.dont_know", "fp.read_manual", "fp.its_the_rule", "fp.nothing_we_can_do"} <= rule_ids(record)
    text = sample.read_text(encoding="utf-8").rstrip("\n")
    for violation in record["violations"]:
        assert list(violation) == VIOLATION_FIELDS
        assert text[violation["start"] : violation["end"]] == violation["match"]


def test_stdin_dash_checks_traditional_chinese_and_prints_one_jsonl_line() -> None:
    result = huashu("check", "--format", "jsonl", "-", stdin="這個我也不知道，您自己看說明吧。\n".encode())
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["id"] == "stdin"
    matches = {v["rule_id"]: v["match"] for v in record["violations"]}
    assert (
        matches["fp.read_manual"] == "您自己看說明"
    )  # the original (Traditional) text, not the normalised one
    assert "fp.dont_know" in matches


def test_file_dash_reads_stdin_too() -> None:
    result = huashu("check", "-f", "-", "--format", "json", stdin="这是规定。".encode())
    assert result.returncode == 1
    assert "fp.its_the_rule" in rule_ids(json.loads(result.stdout))


def test_customer_message_counts_the_details_already_given() -> None:
    reply = "非常理解您的心情，非常抱歉给您带来不便。我们将在2个工作日内联系您反馈处理进展，请您放心。"
    customer = "我的订单号是 202411230001234，昨天收到货就发现屏幕打开后就闪退。"
    without = huashu("check", "--scenario", "complaint", "--format", "json", reply)
    given = huashu("check", "--scenario", "complaint", "--format", "json", "--customer", customer, reply)
    assert "ms.details_request" in rule_ids(json.loads(without.stdout))
    assert "ms.details_request" not in rule_ids(json.loads(given.stdout))


def test_jsonl_samples_in_every_format() -> None:
    sample = SAMPLES / "replies.jsonl"
    inputs = [json.loads(line) for line in sample.read_text(encoding="utf-8").splitlines() if line.strip()]
    as_jsonl = huashu("check", "--jsonl", str(sample), "--format", "jsonl")
    as_json = huashu("check", "--jsonl", str(sample), "--format", "json")
    as_text = huashu("check", "--jsonl", str(sample))
    assert as_jsonl.returncode == as_json.returncode == as_text.returncode == 1
    records = [json.loads(line) for line in as_jsonl.stdout.splitlines()]
    assert records == json.loads(as_json.stdout)
    assert [r["id"] for r in records] == [i["id"] for i in inputs]
    assert [r["line"] for r in records] == list(range(1, len(inputs) + 1))
    assert [(r["scenario"], r["channel"]) for r in records] == [(i["scenario"], i["channel"]) for i in inputs]
    # The samples are the documents' good and bad examples: ids say which.
    assert {r["id"]: r["ok"] for r in records} == {i["id"]: i["id"].endswith("-good") for i in inputs}
    for record in records:
        assert set(record) == {"id", "line", "ok", "scenario", "channel", "turn", "violations"}
    headers = [line for line in as_text.stdout.splitlines() if line.startswith("── line ")]
    assert len(headers) == len(inputs)
    blocked = sum(not r["ok"] for r in records)
    assert as_text.stdout.splitlines()[-1].startswith(
        f"{len(inputs)} replies: {len(inputs) - blocked} ok, {blocked} blocked"
    )


# ---- exit codes and edge cases ---------------------------------------------------------------


MIXED_LINES = [
    '{"id": "a", "text": "您好，我为您查询一下。"}',  # 1 ok
    '{"id": "b", "text": ',  # 2 invalid JSON
    "",  # 3 blank: skipped, not an input
    "[1, 2]",  # 4 not an object
    '{"id": "c", "text": "   "}',  # 5 empty text
    '{"id": "d"}',  # 6 no text
    '{"id": "e", "text": "好的", "scenario": "nope"}',  # 7 unknown scenario
    '{"text": "这是规定。", "channel": "phone"}',  # 8 blocked; id becomes the line number
    # 9 `reply` for `text`; default channel applies
    '{"id": "f", "reply": "尊敬的客户，您好！感谢您的耐心等待。"}',
]


def test_the_json_array_is_written_as_each_reply_is_checked(capsys: pytest.CaptureFixture[str]) -> None:
    from drafting.cli.check_output import JsonOutput, Outcome, Totals
    from guards import check

    outcomes = [Outcome(1, 1, report=check(BAD_EXAMPLE)), Outcome("b", 2, error="line 2: invalid JSON")]
    output = JsonOutput(many=True)
    output.add(outcomes[0])
    first = capsys.readouterr().out
    assert first.startswith('[\n  {\n    "id": 1,')  # written at once, not held back in memory
    output.add(outcomes[1])
    output.finish(Totals())
    document = [o.to_record() for o in outcomes]
    assert first + capsys.readouterr().out == json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    empty = JsonOutput(many=True)
    empty.finish(Totals())
    assert json.loads(capsys.readouterr().out) == []


def test_malformed_jsonl_lines_are_named_and_the_others_still_checked(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    bad_bytes = b'{"id": "g", "text": "\xc4\xfa\xba\xc3"}\n'  # 10 GBK bytes in a UTF-8 file
    path.write_bytes(("\n".join(MIXED_LINES) + "\n").encode() + bad_bytes)
    result = huashu("check", "--jsonl", str(path), "--format", "jsonl", "--channel", "email")
    assert_one_line_error(result, "line 2, 4, 5, 6, 7, 10", "could not be checked")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["line"] for r in records] == [1, 2, 4, 5, 6, 7, 8, 9, 10]  # every non-blank line, in order
    by_line = {r["line"]: r for r in records}
    assert by_line[1]["ok"] is True and by_line[1]["channel"] == "email"
    for line in (2, 4, 5, 6, 7, 10):
        assert by_line[line]["ok"] is False and by_line[line]["error"].startswith(f"line {line}: ")
        assert by_line[line]["violations"] == []
    assert by_line[2]["error"] == "line 2: invalid JSON: Expecting value at column 21"
    assert "empty" in by_line[5]["error"] and by_line[5]["id"] == "c"
    assert "scenario" in by_line[7]["error"]
    assert "utf-8" in by_line[10]["error"]
    assert (
        by_line[8]["id"] == 8
        and by_line[8]["channel"] == "phone"
        and "fp.its_the_rule" in rule_ids(by_line[8])
    )
    # the e-mail greeting's 您好！ is checked: a warning, like any ！ in an e-mail
    assert by_line[9]["ok"] is True and "tone.exclamation" in rule_ids(by_line[9])

    as_text = huashu("check", "--jsonl", str(path))
    assert as_text.returncode == 2
    assert "error: line 2: invalid JSON" in as_text.stdout
    assert "not checked (line 2, 4, 5, 6, 7, 10)" in as_text.stdout.splitlines()[-1]


def test_a_torn_line_says_where_its_string_starts() -> None:
    result = huashu("check", "--jsonl", "-", "--format", "jsonl", stdin='{"id": 1, "text": "不知\n'.encode())
    record = json.loads(result.stdout)
    assert record["error"] == "line 1: invalid JSON: Unterminated string starting at column 19"


def test_a_lone_surrogate_escape_is_a_bad_line_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "surrogates.jsonl"
    lines = [
        '{"id": 1, "text": "\\u9019\\u500b\\u6211\\u4e0d\\u77e5\\u9053\\ud800"}',  # Traditional + half a pair
        '{"id": 2, "text": "好的", "customer": "\\udc00"}',
        '{"id": 3, "text": "\\ud83d\\ude00 这个我也不知道"}',  # a whole pair is an emoji: checked
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = huashu("check", "--jsonl", str(path), "--format", "jsonl")
    assert_one_line_error(result, "line 1, 2", "could not be checked")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert "text has a lone surrogate (\\ud800)" in records[0]["error"]
    assert "customer has a lone surrogate (\\udc00)" in records[1]["error"]
    assert rule_ids(records[2]) == {"fp.dont_know"} and records[2]["violations"][0]["start"] == 6
    as_text = huashu("check", "--jsonl", str(path))
    assert as_text.returncode == 2 and "Traceback" not in as_text.stderr


def test_an_empty_reply_is_an_error() -> None:
    assert_one_line_error(huashu("check", ""), "empty")
    assert_one_line_error(huashu("check", "-", stdin=b"  \n\n"), "empty", "stdin")


def test_an_empty_jsonl_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("\n\n", encoding="utf-8")
    assert_one_line_error(huashu("check", "--jsonl", str(path)), "no replies")


def test_non_utf8_file_is_named_with_the_fix_and_decodes_with_encoding(tmp_path: Path) -> None:
    path = tmp_path / "gbk.txt"
    path.write_bytes("您好，这个我也不知道。".encode("gb18030"))
    assert_one_line_error(huashu("check", "-f", str(path)), str(path), "utf-8", "iconv", "--encoding gb18030")
    decoded = huashu("check", "-f", str(path), "--encoding", "gb18030", "--format", "json")
    assert decoded.returncode == 1
    assert "fp.dont_know" in rule_ids(json.loads(decoded.stdout))


def test_one_megabyte_reply_is_checked_in_reasonable_time(tmp_path: Path) -> None:
    paragraph = (
        "非常抱歉给您带来了不好的体验，我非常理解您的心情。麻烦您提供一下订单号和具体情况。"
        "我们将在2个工作日内联系您反馈处理进展，请您放心。\n"
    )
    text = paragraph * (1_000_000 // len(paragraph.encode())) + "这个我也不知道。"
    path = tmp_path / "big.txt"
    path.write_text(text, encoding="utf-8")
    assert 990_000 < path.stat().st_size <= 1_000_000
    started = time.perf_counter()
    result = huashu("check", "--scenario", "complaint", "-f", str(path), "--format", "jsonl")
    elapsed = time.perf_counter() - started
    assert result.returncode == 1
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    (finding,) = [v for v in record["violations"] if v["rule_id"] == "fp.dont_know"]
    assert (finding["start"], finding["end"]) == (len(text) - 4, len(text) - 1)  # offsets at the very end
    assert elapsed < 30, f"1 MB took {elapsed:.1f} s"


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["check", "--scenario", "bogus", "x"], ["--scenario", "bogus"]),
        (["check", "--channel", "fax", "x"], ["--channel", "fax"]),
        (["check"], ["TEXT", "-f FILE", "--jsonl"]),
        (["check", "x", "-f", "reply.txt"], ["only one"]),
        (["check", "-f", "no/such/reply.txt"], ["no/such/reply.txt", "no such file"]),
        (["check", "--jsonl", "docs/samples/replies.jsonl", "--customer", "x"], ["--customer"]),
        (["check", "--policy", "no/such/policy.toml", "x"], ["no/such/policy.toml"]),
    ],
)
def test_bad_usage_is_one_line_and_exit_2(args: list[str], fragments: list[str]) -> None:
    assert_one_line_error(huashu(*args), *fragments)


def test_policy_option_overrides_and_extends_the_default(tmp_path: Path) -> None:
    policy = tmp_path / "acme.toml"
    policy.write_text(
        """
[meta]
name = "acme"
version = "1"
disable = ["fp.dont_know"]

[[forbidden_phrase]]
id = "acme.no_qin"
severity = "block"
patterns = ['亲']
message = "本公司不用“亲”称呼客户。"
suggestion = "您好"
source = { file = "acme-style.md", line = "称呼客户一律用“您”" }

[[forbidden_phrase]]
id = "fp.read_manual"
severity = "warn"
""",
        encoding="utf-8",
    )
    result = huashu("check", "--policy", str(policy), "--format", "json", BAD_EXAMPLE)
    assert result.returncode == 1
    violations = {v["rule_id"]: v for v in json.loads(result.stdout)["violations"]}
    assert "fp.dont_know" not in violations
    assert violations["acme.no_qin"]["source"].startswith("acme-style.md")
    assert violations["fp.read_manual"]["severity"] == "warn"


def test_help_is_example_rich() -> None:
    result = huashu("check", "--help")
    assert result.returncode == 0
    for expected in ["--jsonl", "--format", "Examples:", BAD_EXAMPLE, "Exit status:", "--policy"]:
        assert expected in result.stdout


def test_explain_shows_the_matches_that_are_no_finding_and_why() -> None:
    text = "这个颜色不一定能补到货。"
    shown = huashu("check", "--explain", text)
    assert shown.returncode == 0, shown.stderr
    assert "not a finding: up.absolute_guarantee" in shown.stdout and "不一定能补到货" in shown.stdout
    record = json.loads(huashu("check", "--explain", "--format", "json", text).stdout)
    assert {s["rule_id"] for s in record["suppressed"]} == {"up.absolute_guarantee"}
    assert "suppressed" not in json.loads(huashu("check", "--format", "json", text).stdout)
