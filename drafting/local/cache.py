"""Where the embedded local model keeps its files, and the lock that serialises changes to them."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import platformdirs

from drafting.local.errors import LocalModelError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows has no flock; huashu then relies on a single caller
    fcntl = None  # type: ignore[assignment]


def cache_dir() -> Path:
    """The cache directory: `HUASHU_CACHE_DIR`, or the platform's user cache dir for huashu."""
    configured = os.environ.get("HUASHU_CACHE_DIR", "").strip()
    path = Path(configured).expanduser() if configured else Path(platformdirs.user_cache_dir("huashu"))
    return path.resolve()


def models_dir() -> Path:
    """Where assembled model weights are cached."""
    return _created(cache_dir() / "models")


def server_dir() -> Path:
    """Where the local server's state file and log live."""
    return _created(cache_dir() / "server")


def _created(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LocalModelError(
            f"cannot create {path} for the local model ({exc.strerror or exc}): set HUASHU_CACHE_DIR "
            "to a writable directory"
        ) from exc
    return path


@contextlib.contextmanager
def exclusive_lock(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on `directory` so two huashu processes never assemble or start at once."""
    with open(directory / ".lock", "a+b") as handle:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
