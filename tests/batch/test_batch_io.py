"""Reading and writing libraries: encodings, XLSX and JSONL round-trips, bad rows, bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from batch_helpers import (
    BAD_TEMPLATE,
    CLEAN_TEMPLATE,
    HEADER,
    huashu,
    read_csv,
    read_jsonl,
    read_xlsx,
    write_csv,
    write_xlsx,
)

from drafting.batch.io import detect_encoding, open_table
from drafting.batch.rows import ColumnOptions, Defaults, RowReader, SourceRow, choose_columns
from drafting.errors import InputError

ROWS = [
    ["1", "投诉", BAD_TEMPLATE, '原样保留，含逗号,和"引号"'],
    ["2", "物流", CLEAN_TEMPLATE, "多行\n备注"],
    ["3", "售后", "繁體：這個我不知道", ""],
]


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
def test_csv_in_any_common_encoding_round_trips(
    encoding: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_csv(tmp_path / "lib.csv", ROWS, encoding=encoding)
    code, _, err = huashu(capsys, "batch", "check", str(source), "-o", str(tmp_path / "out.csv"))
    assert code == 1, err  # rows 1 and 3 have blocking findings
    expected = {"gbk": "gb18030", "gb18030": "gb18030", "utf-8": "utf-8", "utf-8-sig": "utf-8-sig"}[encoding]
    out = read_csv(tmp_path / "out.csv", encoding=expected)
    assert [[r[c] for c in HEADER] for r in out] == ROWS  # every input column, unchanged
    assert [r["huashu_status"] for r in out] == ["violates", "clean", "violates"]
    assert "fp.dont_know「不知道」" in out[0]["huashu_findings"]
    assert "不知道" in out[2]["huashu_findings"]  # Traditional text is checked too


def test_detects_gbk_and_utf8(tmp_path: Path) -> None:
    gbk = write_csv(tmp_path / "gbk.csv", ROWS, encoding="gbk")
    utf8 = write_csv(tmp_path / "utf8.csv", ROWS, encoding="utf-8")
    assert detect_encoding(gbk) == "gb18030"
    assert detect_encoding(utf8) == "utf-8"


def test_undecodable_bytes_mark_only_their_row_and_survive_in_the_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = "编号,话术\n1,您好，请问还有其他可以帮到您的吗？\n".encode()
    broken = b"2,\xff\xfe broken \x80\n"
    source = tmp_path / "lib.csv"
    source.write_bytes(good + broken + "3,这个我也不知道\n".encode())
    code, _, err = huashu(capsys, "batch", "check", str(source), "-o", str(tmp_path / "out.csv"))
    assert code == 2
    assert "row 3: undecodable bytes in column 话术" in err
    data = (tmp_path / "out.csv").read_bytes()
    assert b"\xff\xfe broken \x80" in data  # the original bytes, written back as they were
    statuses = [line.split(b",")[2] for line in data.splitlines()[1:]]
    assert statuses == [b"clean", b"error", b"violates"]


def test_a_lone_surrogate_escape_in_jsonl_marks_only_its_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "lib.jsonl"
    source.write_text(
        '{"id": 1, "text": "\\u9019\\u662f\\u898f\\u5b9a\\ud800"}\n{"id": 2, "text": "这个我也不知道"}\n',
        encoding="utf-8",
    )
    for output in ("out.csv", "out.jsonl"):
        code, _, err = huashu(
            capsys,
            "batch",
            "check",
            str(source),
            "-o",
            str(tmp_path / output),
            "--report",
            str(tmp_path / "r.html"),
        )
        assert code == 2, err
        assert "line 1 has a lone surrogate (\\ud800)" in err
    rows = read_jsonl(tmp_path / "out.jsonl")
    assert [r["huashu_status"] for r in rows] == ["error", "violates"]


def test_xlsx_round_trip_keeps_cell_types(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [[101, "投诉", BAD_TEMPLATE, 3.5], [102, "物流", CLEAN_TEMPLATE, None]]
    source = write_xlsx(tmp_path / "lib.xlsx", rows)
    code, _, err = huashu(capsys, "batch", "check", str(source), "-o", str(tmp_path / "out.xlsx"))
    assert code == 1, err
    out = read_xlsx(tmp_path / "out.xlsx")
    assert [[r[c] for c in HEADER] for r in out] == rows
    assert [r["huashu_status"] for r in out] == ["violates", "clean"]


def test_output_format_follows_the_extension(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write_xlsx(tmp_path / "lib.xlsx", [[1, "投诉", BAD_TEMPLATE, "x"]])
    huashu(capsys, "batch", "check", str(source), "-o", str(tmp_path / "out.jsonl"))
    (record,) = read_jsonl(tmp_path / "out.jsonl")
    assert record["话术"] == BAD_TEMPLATE and record["编号"] == 1
    assert record["huashu_status"] == "violates"


def test_jsonl_bad_lines_are_bad_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "lib.jsonl"
    lines = [json.dumps({"id": "a", "text": BAD_TEMPLATE}, ensure_ascii=False), "{not json", "[1, 2]", ""]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, _, err = huashu(capsys, "batch", "check", str(source), "-o", str(tmp_path / "out.jsonl"))
    assert code == 2
    assert "row 2: line 2 is not valid JSON" in err
    out = read_jsonl(tmp_path / "out.jsonl")
    assert [r["huashu_status"] for r in out] == ["violates", "error", "error"]
    assert out[2]["huashu_error"] == "line 3 is a JSON list, not an object"


def test_a_torn_jsonl_line_says_where_its_string_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "lib.jsonl"
    source.write_text('{"id": "a", "text": "好的"}\n{"id": "b", "text": "这个我也不\n', encoding="utf-8")
    huashu(capsys, "batch", "check", str(source), "-o", str(tmp_path / "out.jsonl"))
    _, torn = read_jsonl(tmp_path / "out.jsonl")
    assert torn["huashu_error"] == "line 2 is not valid JSON (Unterminated string starting at column 21)"


def test_bad_rows_are_reported_each_with_a_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "lib.csv"
    source.write_text(
        "编号,场景,话术\n"
        f"1,投诉,{BAD_TEMPLATE}\n"
        "2,投诉,   \n"
        f"3,投诉,{'好' * 4001}\n"
        f"1,投诉,{CLEAN_TEMPLATE}\n"
        f"5,不存在的场景,{CLEAN_TEMPLATE}\n"
        "6,投诉\n"
        f"7,投诉,{BAD_TEMPLATE},多余\n"
        f"8,售后,{CLEAN_TEMPLATE}\n",
        encoding="utf-8",
    )
    report = tmp_path / "report.md"
    code, _, _ = huashu(
        capsys, "batch", "check", str(source), "-o", str(tmp_path / "o.csv"), "--report", str(report)
    )
    assert code == 2
    out = read_csv(tmp_path / "o.csv")
    assert len(out) == 8  # nothing dropped
    errors = {
        r["编号"] + "@" + str(i): r["huashu_error"] for i, r in enumerate(out, start=2) if r["huashu_error"]
    }
    assert errors == {
        "2@3": "empty text",
        "3@4": "text is 4001 characters long; the limit is 4000",
        "1@5": "duplicate id '1' (first in row 2)",
        "5@6": errors["5@6"],
        "6@7": "missing column 话术",
        "7@8": "row has 4 fields, the header 3 (an unquoted comma?)",
    }
    assert errors["5@6"].startswith("unknown 场景 '不存在的场景'")
    markdown = report.read_text(encoding="utf-8")
    assert "### Bad rows (6)" in markdown and "- row 4 (id 3): text is 4001 characters long" in markdown


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("lib.docx", b"whatever", "unsupported file type '.docx'"),
        ("lib.csv", b"PK\x03\x04rest-of-a-zip", "is an Excel workbook (.xlsx), not text"),
        ("lib.xlsx", b"not a zip at all", "is not a valid Excel workbook"),
        ("lib.csv", "名字,备注\n张三,x\n".encode(), "no column looks like the reply text"),
        ("lib.csv", b"", "is empty: no header row"),
    ],
)
def test_a_bad_file_stops_at_once_with_one_line(
    name: str, content: bytes, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / name
    source.write_bytes(content)
    code, _, err = huashu(capsys, "batch", "check", str(source), "-o", str(tmp_path / "out.csv"))
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "out.csv").exists()


def test_a_named_column_that_does_not_exist_is_a_bad_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_csv(tmp_path / "lib.csv", ROWS)
    code, _, err = huashu(capsys, "batch", "check", str(source), "--text-column", "回复")
    assert code == 2
    assert "has no column '回复' (--text-column); its columns are: '编号', '场景', '话术', '备注'" in err


@pytest.mark.parametrize(
    ("header", "text"),
    [
        (["id", "Reply"], "Reply"),
        (["序号", "回复内容"], "回复内容"),
        (["内容"], "内容"),
        (["x", "TEXT"], "TEXT"),
    ],
)
def test_common_headers_are_detected(header: list[str], text: str) -> None:
    assert choose_columns(header, ColumnOptions(), "lib.csv").text == text


def test_scenario_and_channel_accept_keys_names_and_prefixes() -> None:
    choice = choose_columns(["话术", "场景", "渠道"], ColumnOptions(), "lib.csv")
    reader = RowReader(choice, Defaults(channel="online"))
    cases = {("投诉", "电话"): ("complaint", "phone"), ("after_sales", ""): ("after_sales", "online"),
             ("售后", "邮件"): ("after_sales", "email"), ("", "在线"): (None, "online")}  # fmt: skip
    for (scenario, channel), expected in cases.items():
        row = reader.read(SourceRow(2, {"话术": "您好", "场景": scenario, "渠道": channel}))
        assert (getattr(row, "scenario", "?"), getattr(row, "channel", "?")) == expected


def test_open_table_names_the_problem_for_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        open_table(tmp_path / "missing.csv")
