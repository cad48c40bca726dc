"""Excel workbooks: read with openpyxl's read_only mode, written with write_only (both stream)."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils.exceptions import InvalidFileException

from drafting.batch.atomic import replace_atomically, temporary_path
from drafting.batch.rows import SourceRow, unique_names
from drafting.errors import InputError

_SURROGATE = re.compile("[\ud800-\udfff]")
# Excel refuses longer cells.
_MAX_CELL_CHARS = 32767


class XlsxTable:
    """One sheet of a workbook (the active one unless named); row 1 is the header."""

    format = "xlsx"
    encoding = None

    def __init__(self, path: Path, sheet: str | None) -> None:
        self.path = path
        try:
            self._book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
            raise InputError(
                f"{path} is not a valid Excel workbook ({type(exc).__name__})",
                hint="open it in Excel and save it again as .xlsx, or export it as CSV",
            ) from None
        if sheet is not None and sheet not in self._book.sheetnames:
            names = ", ".join(self._book.sheetnames)
            self._book.close()
            raise InputError(f"{path} has no sheet {sheet!r}; its sheets are: {names}")
        self._sheet = self._book[sheet] if sheet is not None else self._book.active
        self.sheet_title = str(self._sheet.title)
        header = next(self._sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
        self._columns = unique_names(_trimmed(header)) if any(c is not None for c in header) else []

    @property
    def columns(self) -> list[str]:
        """The header row's column names."""
        return self._columns

    def rows(self) -> Iterator[SourceRow]:
        """Every non-empty row below the header, numbered as Excel numbers it."""
        width = len(self._columns)
        for number, cells in enumerate(self._sheet.iter_rows(min_row=2, values_only=True), start=2):
            if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
                continue
            values = dict(zip(self._columns, cells, strict=False))
            extra = [c for c in cells[width:] if c is not None]
            problem = f"row has {width + len(extra)} cells, the header {width}" if extra else None
            yield SourceRow(number, values, problem)

    def count(self) -> int | None:
        """The sheet's row count from its stored dimensions (None when not stored)."""
        rows = self._sheet.max_row
        return None if rows is None else max(0, rows - 1)

    def close(self) -> None:
        """Close the workbook file."""
        self._book.close()


def _trimmed(header: Sequence[Any]) -> list[Any]:
    """The header without trailing empty cells."""
    cells = list(header)
    while cells and cells[-1] is None:
        cells.pop()
    return cells


class XlsxOutput:
    """A write_only workbook with one sheet, saved to a temporary file and renamed on commit."""

    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        self.path = path
        self.temporary = temporary_path(path)
        self.columns = list(columns)
        self._book = openpyxl.Workbook(write_only=True)
        self._sheet = self._book.create_sheet("huashu")
        self._sheet.append(self.columns)

    def write(self, values: Mapping[str, Any]) -> None:
        """One row; text is cleaned of characters a workbook cannot hold."""
        self._sheet.append([_cell(values.get(c)) for c in self.columns])

    def commit(self) -> None:
        """Save the workbook and rename it over the target."""
        try:
            self._book.save(self.temporary)
        except OSError as exc:
            raise InputError(f"cannot write {self.path}: {(exc.strerror or str(exc)).lower()}") from None
        replace_atomically(self.temporary, self.path)

    def discard(self) -> None:
        """Drop the workbook (nothing was written to the target)."""
        self._book.close()
        self.temporary.unlink(missing_ok=True)


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        value = str(value)
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", _SURROGATE.sub("\ufffd", value))
    return value[:_MAX_CELL_CHARS]
