"""An append-only JSONL checkpoint of finished rewrites, so a run can resume where it stopped.

Each finished model rewrite is one JSON line. A writer thread appends queued lines with single
`write` calls to a file opened with O_APPEND: a killed process leaves whole lines (a torn last
line from a machine crash is skipped on load; the file is synced to disk when the run ends).
A record is keyed by the row id, the hash of what was rewritten (text, scenario, channel), the
policy fingerprint, the model, the prompt version and the guard engine's version, so any
change to those makes the row count as not done. A second key without the row id lets an
identical template elsewhere in the library reuse the result. Only keys and file offsets are
kept in memory; a record is read back from the file when it is needed. The file is not
trusted beyond that: every rewrite read back is checked again by the current guards before
it is used (see the runner).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import os
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drafting.batch.outcome import Rewrite
from drafting.errors import InputError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory lock
    fcntl = None  # type: ignore[assignment]

# 2: records carry the guard engine's version and the rewrite's scenario (to check it again).
FORMAT_VERSION = 2
_LENGTH_BITS = 28


def guard_engine_version() -> str:
    """The version of the guard engine that judges rewrites: the installed huashu package's."""
    try:
        return importlib.metadata.version("huashu")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - run from a bare source tree
        return "unknown"


@dataclass(frozen=True)
class RunIdentity:
    """What a rewrite depends on besides the template: policy, model, prompts and guard engine."""

    policy: str
    model: str
    prompt: str
    guards: str

    def row_key(self, row_id: str, work_hash: str) -> str:
        """The key of one row's rewrite."""
        return _digest("row", row_id, work_hash, *self._parts())

    def shared_key(self, work_hash: str) -> str:
        """The key identical templates share (any row id)."""
        return _digest("work", work_hash, *self._parts())

    def _parts(self) -> tuple[str, str, str, str]:
        return (self.policy, self.model, self.prompt, self.guards)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


@dataclass(frozen=True)
class _Line:
    """A record's bytes and the index keys it answers."""

    data: bytes
    keys: tuple[int, int]


def _index_key(key: str) -> int:
    return int(key[:16], 16)


class Checkpoint:
    """The checkpoint file of one output: records read on --resume, appended as rows finish."""

    def __init__(self, path: Path, identity: RunIdentity, *, resume: bool) -> None:
        self.path = path
        self.identity = identity
        if not resume and path.exists() and path.stat().st_size > 0:
            raise InputError(
                f"a checkpoint of an earlier run exists: {path}",
                hint="add --resume to keep its finished rows, or delete the file to start over",
            )
        try:
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as exc:
            raise InputError(f"cannot open the checkpoint {path}: {exc.strerror}") from None
        self._lock()
        self._index: dict[int, int] = {}
        self._size = os.fstat(self._fd).st_size
        self.loaded = self._load() if resume else 0
        self.written = 0
        # Rows finished but not yet on disk (the writer thread appends them in batches).
        self._queued: dict[int, Rewrite] = {}
        self._lines: queue.SimpleQueue[_Line | None] = queue.SimpleQueue()
        self._failure: OSError | None = None
        self._writer = threading.Thread(target=self._write_lines, name="huashu-checkpoint", daemon=True)
        self._writer.start()

    def _lock(self) -> None:
        if fcntl is None:
            return
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(self._fd)
            raise InputError(
                f"another huashu run is using the checkpoint {self.path}",
                hint="wait for it to finish, or give this run another output file",
            ) from None

    def _load(self) -> int:
        """Index every readable record; returns how many match this run."""
        matching = offset = 0
        with open(self.path, "rb") as handle:
            for line in handle:
                record = _parse(line)
                if record is not None and line.endswith(b"\n"):
                    self._remember(record, offset, len(line))
                    matching += self._matches(record)
                offset += len(line)
        if self._size and not self._last_byte_is_newline():
            self._append(b"\n")  # a torn last line: start the next record on a line of its own
        return matching

    def _matches(self, record: dict[str, Any]) -> bool:
        fields = ("policy", "model", "prompt", "guards")
        return tuple(record.get(name) for name in fields) == tuple(getattr(self.identity, n) for n in fields)

    def _last_byte_is_newline(self) -> bool:
        return os.pread(self._fd, 1, self._size - 1) == b"\n"

    def _remember(self, record: dict[str, Any], offset: int, length: int) -> None:
        location = offset << _LENGTH_BITS | length
        for field in ("row", "shared"):
            key = record.get(field)
            if isinstance(key, str) and len(key) >= 16:
                self._index[_index_key(key)] = location

    def get(self, row_key: str, shared_key: str) -> Rewrite | None:
        """The finished rewrite for this row, or for an identical template; None if not done."""
        queued = self._queued.get(_index_key(row_key)) or self._queued.get(_index_key(shared_key))
        if queued is not None:
            return queued
        location = self._index.get(_index_key(row_key)) or self._index.get(_index_key(shared_key))
        if location is None:
            return None
        record = _parse(self._read(location >> _LENGTH_BITS, location & ((1 << _LENGTH_BITS) - 1)))
        if record is None or (record.get("shared") != shared_key and record.get("row") != row_key):
            return None  # an index collision of two different keys
        try:
            return Rewrite.from_dict(record["rewrite"])
        except (KeyError, TypeError, ValueError):
            return None

    def add(self, row_id: str, row_key: str, shared_key: str, rewrite: Rewrite) -> None:
        """Queue one finished rewrite for the writer thread (thread-safe, never blocks on disk).

        A line reaches the file within moments, in one `write` with the other lines queued
        meanwhile; once written it survives the process being killed (only a crash of the
        machine can lose lines before `close` syncs the file). Writing in the worker threads
        instead cost each row a wait for the GIL after the write, ~20 ms with 32 threads busy.
        """
        if self._failure is not None:
            raise InputError(f"cannot write the checkpoint {self.path}: {self._failure.strerror}")
        record = {
            "v": FORMAT_VERSION,
            "row_id": row_id,
            "row": row_key,
            "shared": shared_key,
            "policy": self.identity.policy,
            "model": self.identity.model,
            "prompt": self.identity.prompt,
            "guards": self.identity.guards,
            "rewrite": rewrite.to_dict(),
            "at": round(time.time(), 3),
        }
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8", "surrogatepass")
        keys = (_index_key(row_key), _index_key(shared_key))
        for key in keys:
            self._queued[key] = rewrite
        self._lines.put(_Line(line, keys))

    def _write_lines(self) -> None:
        """The writer thread: append queued lines in batches until `close` sends None."""
        running = True
        while running:
            batch = [self._lines.get()]
            with contextlib.suppress(queue.Empty):
                while batch[-1] is not None:
                    batch.append(self._lines.get_nowait())
            running = batch[-1] is not None
            lines = [item for item in batch if item is not None]
            if lines and self._failure is None:
                self._write_batch(lines)

    def _write_batch(self, lines: list[_Line]) -> None:
        try:
            offset = self._append(b"".join(item.data for item in lines))
        except OSError as exc:
            self._failure = exc
            return
        for item in lines:
            for key in item.keys:
                self._index[key] = offset << _LENGTH_BITS | len(item.data)
                self._queued.pop(key, None)
            offset += len(item.data)
        self.written += len(lines)

    def _append(self, data: bytes) -> int:
        offset = self._size
        written = os.write(self._fd, data)
        while written < len(data):  # a short write is rare for regular files; finish it
            written += os.write(self._fd, data[written:])
        self._size += len(data)
        return offset

    def _read(self, offset: int, length: int) -> bytes:
        return os.pread(self._fd, length, offset)

    def close(self) -> None:
        """Write what is queued, sync the file to disk and release it."""
        if self._fd < 0:
            return
        self._lines.put(None)
        self._writer.join()
        os.fsync(self._fd)
        os.close(self._fd)
        self._fd = -1
        if self._failure is not None:
            raise InputError(f"cannot write the checkpoint {self.path}: {self._failure.strerror}")

    def __enter__(self) -> Checkpoint:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(record, dict) or record.get("v") != FORMAT_VERSION or "rewrite" not in record:
        return None
    return record
