"""Helpers shared by the batch tests: sample libraries, readers of the output, the CLI in-process."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from drafting.cli import main

# Templates with findings (forbidden phrases, no structure), one clean one and an identical copy.
BAD_TEMPLATE = "这个我也不知道，你自己看说明吧"
CLEAN_TEMPLATE = "您好，您的包裹已经发出，请您耐心等待，预计24小时内更新物流信息。"
HEADER = ["编号", "场景", "话术", "备注"]


def library_rows(count: int) -> list[list[str]]:
    """`count` distinct templates with findings, numbered ids, a 备注 column to carry through."""
    return [[str(i), "投诉", f"{BAD_TEMPLATE}，第{i}号", f"备注{i}"] for i in range(1, count + 1)]


def write_csv(
    path: Path, rows: Sequence[Sequence[str]], *, encoding: str = "utf-8", header: Sequence[str] = HEADER
) -> Path:
    """A CSV library in `encoding`."""
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_csv(path: Path, encoding: str = "utf-8-sig") -> list[dict[str, str]]:
    """Every row of a CSV output as a dict."""
    with open(path, encoding=encoding, newline="") as handle:
        return list(csv.DictReader(handle))


def write_xlsx(path: Path, rows: Sequence[Sequence[Any]], header: Sequence[str] = HEADER) -> Path:
    """An Excel library."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def read_xlsx(path: Path) -> list[dict[str, Any]]:
    """Every row of a workbook output as a dict."""
    book = openpyxl.load_workbook(path, read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    book.close()
    header = [str(c) for c in rows[0]]
    return [dict(zip(header, row, strict=False)) for row in rows[1:]]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Every line of a JSONL file."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def huashu(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the CLI in this process: exit code, stdout, stderr."""
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err
