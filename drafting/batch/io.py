"""Read and write template tables (CSV, XLSX, JSONL) as streams, with atomic output.

- CSV text is UTF-8 (a BOM is kept), UTF-16 with a BOM, or GB18030/GBK (what Chinese Excel
  saves): the whole file is scanned and the encoding with fewer undecodable bytes wins, UTF-8
  on a tie. Bytes that still do not decode are kept (surrogateescape) and mark their row bad.
- XLSX is read with openpyxl's read_only mode and written with write_only mode (both stream).
- JSONL is one JSON object per line; a line that is not one becomes a bad row.
- Output goes to a hidden temporary file beside the target and is renamed over it only when
  complete (`Output.commit`), so a killed run never leaves a half-written file behind.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from drafting.batch.atomic import replace_atomically, temporary_path
from drafting.batch.rows import SourceRow, cell_text, unique_names
from drafting.errors import InputError, json_error_text
from guards.text import lone_surrogate

_SCAN_CHUNK = 1 << 20
_UNDECODED = re.compile("[\udc80-\udcff]")
_CANDIDATES = ("utf-8", "gb18030")
# Longest CSV field accepted (over-long texts are bad rows, not a broken file).
_MAX_FIELD = 1 << 24
_SIGNATURES = {b"PK\x03\x04": "an Excel workbook (.xlsx)", b"\xd0\xcf\x11\xe0": "an old Excel file (.xls)"}


class Table(Protocol):
    """An input table: its header and its rows, read as a stream."""

    @property
    def path(self) -> Path:
        """The file."""
        ...

    @property
    def format(self) -> str:
        """csv, xlsx or jsonl."""
        ...

    @property
    def encoding(self) -> str | None:
        """The text encoding read (None for workbooks)."""
        ...

    @property
    def columns(self) -> list[str]:
        """The column names, in order."""
        ...

    def rows(self) -> Iterator[SourceRow]:
        """The data rows in order (blank rows skipped)."""
        ...

    def count(self) -> int | None:
        """How many data rows there are (None when unknown)."""
        ...

    def close(self) -> None:
        """Release the file."""
        ...


class Output(Protocol):
    """An output table being written to a temporary file."""

    def write(self, values: Mapping[str, Any]) -> None:
        """Append one row (missing columns are left empty)."""
        ...

    def commit(self) -> None:
        """Finish the file and rename it over the target."""
        ...

    def discard(self) -> None:
        """Remove the temporary file."""
        ...


@dataclass(frozen=True)
class Format:
    """How one file type is opened and written."""

    name: str
    open: Callable[[Path, str | None, str | None], Table]
    writer: Callable[[Path, Sequence[str], str | None], Output]


def _open_xlsx(path: Path, encoding: str | None, sheet: str | None) -> Table:
    from drafting.batch import xlsx  # openpyxl takes 0.6 s to import: only when a workbook is used

    return xlsx.XlsxTable(path, sheet)


def _write_xlsx(path: Path, columns: Sequence[str], encoding: str | None) -> Output:
    from drafting.batch import xlsx

    return xlsx.XlsxOutput(path, columns)


def formats() -> dict[str, Format]:
    """The supported file types by extension."""
    csv_format = Format("csv", lambda p, e, s: CsvTable(p, e), CsvOutput)
    jsonl_format = Format("jsonl", lambda p, e, s: JsonlTable(p, e), JsonlOutput)
    xlsx_format = Format("xlsx", _open_xlsx, _write_xlsx)
    return {".csv": csv_format, ".tsv": csv_format, ".jsonl": jsonl_format, ".ndjson": jsonl_format,
            ".xlsx": xlsx_format}  # fmt: skip


def format_of(path: Path) -> Format:
    """The Format for a path's extension; a clear error for anything else."""
    known = formats()
    found = known.get(path.suffix.lower())
    if found is None:
        hint = "save it from Excel as .xlsx or CSV" if path.suffix.lower() == ".xls" else ""
        raise InputError(
            f"{path}: unsupported file type {path.suffix or '(no extension)'!r}; "
            f"use {', '.join(sorted(known))}",
            hint=hint,
        )
    return found


def open_table(path: Path, *, encoding: str | None = None, sheet: str | None = None) -> Table:
    """The table in `path` (format by extension); a bad file is a one-line InputError."""
    fmt = format_of(path)
    if not path.is_file():
        raise InputError(f"cannot read {path}: no such file", hint="check the path")
    table = fmt.open(path, encoding, sheet)
    if not table.columns:
        table.close()
        raise InputError(f"{path} is empty: no header row", hint="the first row must name the columns")
    return table


def open_output(path: Path, columns: Sequence[str], encoding: str | None) -> Output:
    """An Output for `path` in the format its extension names."""
    return format_of(path).writer(path, columns, encoding)


def detect_encoding(path: Path) -> str:
    """The text encoding of a file: a BOM's, else UTF-8 unless GB18030 decodes it better."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for signature, kind in _SIGNATURES.items():
        if head.startswith(signature):
            raise InputError(f"{path} is {kind}, not text", hint="give it the matching extension")
    bad = {name: _undecodable_bytes(path, name) for name in _CANDIDATES}
    return "utf-8" if bad["utf-8"] <= bad["gb18030"] else "gb18030"


def _undecodable_bytes(path: Path, encoding: str) -> int:
    decoder = codecs.getincrementaldecoder(encoding)(errors="surrogateescape")
    count = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_SCAN_CHUNK):
            count += len(_UNDECODED.findall(decoder.decode(chunk)))
    return count + len(_UNDECODED.findall(decoder.decode(b"", final=True)))


def checked_encoding(name: str | None) -> str | None:
    """A codec name Python knows (None: detect); a clear error otherwise."""
    if name is None:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise InputError(f"unknown encoding {name!r}", hint="try utf-8, gb18030 or utf-16") from None


def output_encoding(encoding: str | None) -> str:
    """The encoding CSV output is written in: the input's (GBK widened to GB18030), else UTF-8+BOM."""
    if encoding is None:
        return "utf-8-sig"  # Excel opens a UTF-8 CSV correctly only with the BOM
    name = codecs.lookup(encoding).name
    return "gb18030" if name in ("gbk", "gb2312", "cp936") else name


class CsvTable:
    """A CSV (or tab-separated) file read row by row."""

    format = "csv"

    def __init__(self, path: Path, encoding: str | None) -> None:
        self.path = path
        self.encoding = encoding or detect_encoding(path)
        csv.field_size_limit(max(csv.field_size_limit(), _MAX_FIELD))
        with self._reader() as reader:
            self._columns = unique_names(next(reader, []))

    @property
    def columns(self) -> list[str]:
        """The header's column names."""
        return self._columns

    @contextlib.contextmanager
    def _reader(self) -> Iterator[Iterator[list[str]]]:
        with open(self.path, encoding=self.encoding, errors="surrogateescape", newline="") as handle:
            delimiter = "\t" if self.path.suffix.lower() == ".tsv" else ","
            yield csv.reader(handle, delimiter=delimiter)

    def rows(self) -> Iterator[SourceRow]:
        """Every non-blank data row; a row with more fields than the header is a bad row."""
        width = len(self._columns)
        with self._reader() as reader:
            next(reader, None)
            number = 1
            try:
                for number, fields in enumerate(reader, start=2):
                    if not any(field.strip() for field in fields):
                        continue
                    values = dict(zip(self._columns, fields, strict=False))
                    problem = None
                    if len(fields) > width:
                        problem = f"row has {len(fields)} fields, the header {width} (an unquoted comma?)"
                    yield SourceRow(number, values, problem)
            except csv.Error as exc:
                raise InputError(f"{self.path}: row {number + 1} is not valid CSV ({exc})") from None

    def count(self) -> int | None:
        """The number of data rows (one quick parse of the file)."""
        return sum(1 for _ in self.rows())

    def close(self) -> None:
        """Nothing stays open between reads."""


class JsonlTable:
    """A JSONL file: each non-blank line one JSON object (a row)."""

    format = "jsonl"

    def __init__(self, path: Path, encoding: str | None) -> None:
        self.path = path
        self.encoding = encoding or detect_encoding(path)
        seen: dict[str, None] = {}
        lines = 0
        for row in self.rows():
            seen.update(dict.fromkeys(row.values))
            lines += 1
        if lines and not seen:
            raise InputError(f"{path}: no line is a JSON object", hint="write one JSON object per line")
        self._columns = list(seen)

    @property
    def columns(self) -> list[str]:
        """Every key of every object, in order of first appearance."""
        return self._columns

    def rows(self) -> Iterator[SourceRow]:
        """Every non-blank line as a row; a line that is not a JSON object is a bad row."""
        codec = "utf-8-sig" if self.encoding == "utf-8" else self.encoding
        with open(self.path, encoding=codec, errors="surrogateescape", newline="\n") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    yield _json_row(number, line.rstrip("\r\n"))

    def count(self) -> int | None:
        """The number of non-blank lines."""
        with open(self.path, "rb") as handle:
            return sum(1 for line in handle if line.strip())

    def close(self) -> None:
        """Nothing stays open between reads."""


def _json_row(number: int, line: str) -> SourceRow:
    if _UNDECODED.search(line):
        return SourceRow(number, {}, f"line {number} has undecodable bytes")
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return SourceRow(number, {}, f"line {number} is not valid JSON ({json_error_text(exc)})")
    if not isinstance(data, dict):
        return SourceRow(number, {}, f"line {number} is a JSON {type(data).__name__}, not an object")
    for value in data.values():
        if isinstance(value, str) and (code := lone_surrogate(value)):
            return SourceRow(number, {}, f"line {number} has a lone surrogate ({code}), which is not text")
    return SourceRow(number, data)


class _TextOutput:
    """Shared part of the text outputs: a temporary file renamed over the target on commit."""

    def __init__(self, path: Path, encoding: str, errors: str) -> None:
        self.path = path
        self.temporary = temporary_path(path)
        try:
            self.handle: IO[str] = open(  # noqa: SIM115 - closed in commit/discard
                self.temporary, "w", encoding=encoding, errors=errors, newline=""
            )
        except OSError as exc:
            raise InputError(f"cannot write {path}: {(exc.strerror or str(exc)).lower()}") from None

    def commit(self) -> None:
        """Close and rename over the target."""
        self.handle.close()
        replace_atomically(self.temporary, self.path)

    def discard(self) -> None:
        """Close and remove the temporary file."""
        self.handle.close()
        self.temporary.unlink(missing_ok=True)


class CsvOutput(_TextOutput):
    """CSV output in the input's encoding (undecodable input bytes written back unchanged)."""

    def __init__(self, path: Path, columns: Sequence[str], encoding: str | None) -> None:
        super().__init__(path, output_encoding(encoding), "surrogateescape")
        self.columns = list(columns)
        self._writer = csv.writer(self.handle, delimiter="\t" if path.suffix.lower() == ".tsv" else ",")
        self._writer.writerow(self.columns)

    def write(self, values: Mapping[str, Any]) -> None:
        """One row, every value as text."""
        self._writer.writerow([_csv_cell(values.get(c)) for c in self.columns])


def _csv_cell(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return cell_text(value)


class JsonlOutput(_TextOutput):
    """JSONL output: each row's object with the added fields (UTF-8; undecodable bytes escaped)."""

    def __init__(self, path: Path, columns: Sequence[str], encoding: str | None) -> None:
        # backslashreplace writes an undecoded byte's surrogate as the JSON escape \udcXX
        super().__init__(path, "utf-8", "backslashreplace")

    def write(self, values: Mapping[str, Any]) -> None:
        """One JSON object per line."""
        self.handle.write(json.dumps(dict(values), ensure_ascii=False, default=str) + "\n")
