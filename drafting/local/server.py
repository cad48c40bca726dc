"""The local llama.cpp server: started detached on 127.0.0.1, found again through a state file, stopped."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from drafting.local import weights
from drafting.local.cache import exclusive_lock, server_dir
from drafting.local.errors import LocalModelError
from drafting.local.settings import local_setting
from drafting.local.weights import StatusCallback

HOST = "127.0.0.1"
CONTEXT_TOKENS = 8192  # three attempts with feedback can pass 4096 tokens
DEFAULT_STARTUP_TIMEOUT = 120.0
STRUCTURED_MODE = "json_object_schema"
_POLL_SECONDS = 0.2
_STOP_GRACE_SECONDS = 10.0
_LOG_TAIL_LINES = 8

ServerProgram = Callable[[], Sequence[str]]
"""Returns the command that runs an OpenAI-compatible server; the flags are appended to it."""


@dataclass(frozen=True)
class LocalEndpoint:
    """A running local server as the OpenAI client sees it."""

    base_url: str
    model: str
    pid: int
    # llama-cpp-python accepts {"type": "json_object", "schema": …}, not "json_schema".
    structured_mode: str = STRUCTURED_MODE


class ServerRecord(BaseModel):
    """What the state file remembers about the server huashu started."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pid: int
    port: int
    model_path: str
    alias: str
    threads: int
    started_at: float
    argv: list[str]
    log_path: str

    def endpoint(self) -> LocalEndpoint:
        """The endpoint this server answers on."""
        return LocalEndpoint(base_url=f"http://{HOST}:{self.port}/v1", model=self.alias, pid=self.pid)


def llama_cpp_program() -> list[str]:
    """Run llama-cpp-python's server with this interpreter; a clear error when it is not installed."""
    if importlib.util.find_spec("llama_cpp") is None:
        raise LocalModelError(
            "no model endpoint is configured and the embedded local model is not installed: "
            "pip install 'huashu[local]', or set HUASHU_BASE_URL (with HUASHU_API_KEY and HUASHU_MODEL) "
            "to use an OpenAI-compatible endpoint"
        )
    return [sys.executable, "-m", "llama_cpp.server"]


def ensure_server(
    *,
    on_status: StatusCallback | None = None,
    model: str | None = None,
    threads: int | None = None,
    timeout: float = DEFAULT_STARTUP_TIMEOUT,
    program: ServerProgram = llama_cpp_program,
) -> LocalEndpoint:
    """A ready local server: the running one when it matches what was asked for, else a new one.

    `model` (else HUASHU_LOCAL_MODEL or the config file) names a bundle or a GGUF file, and
    `threads` a thread count; a running server that differs in either is restarted. Without
    them, a running server is reused whatever it serves, and a new one serves the default bundle.
    """
    notify = on_status or _silent
    command = list(program())  # fails fast, before assembling weights, when the server is not installed
    wanted = _Wanted(model or weights.configured_model(), threads)
    running = server_record()
    if running is not None and wanted.is_served_by(running, None):
        return _reuse(running, timeout, notify)
    if running is not None and wanted.model is None:
        model_path = Path(running.model_path)  # only the thread count changes
    else:
        model_path = weights.resolve_model_path(notify, model=wanted.model)
    with exclusive_lock(server_dir()):
        running = server_record()  # another process may have started one while we assembled or waited
        if running is not None and wanted.is_served_by(running, model_path):
            return _reuse(running, timeout, notify)
        if running is not None:
            notify(f"stopping the local model server serving {running.alias} (pid {running.pid})…")
            _terminate(running)
        return _start(command, model_path, _thread_count(threads), timeout, notify)


@dataclass(frozen=True)
class _Wanted:
    """What the caller asked for explicitly; None leaves it to the running server."""

    model: str | None
    threads: int | None

    def is_served_by(self, record: ServerRecord, model_path: Path | None) -> bool:
        """Whether `record` serves it (a chosen model must be resolved to `model_path` to compare)."""
        same_model = self.model is None or (model_path is not None and Path(record.model_path) == model_path)
        return same_model and self.threads in (None, record.threads)


def server_status() -> LocalEndpoint | None:
    """The running server's endpoint if it answers, else None (a stale state file is removed)."""
    record = server_record()
    return record.endpoint() if record is not None and server_answers(record) else None


def stop_server() -> bool:
    """Stop the server huashu started; False when none was running."""
    with exclusive_lock(server_dir()):
        record = server_record()
        if record is None:
            return False
        _terminate(record)
        return True


def server_record() -> ServerRecord | None:
    """The state of the server huashu started, if its process still runs (it may still be loading)."""
    state = _state_path()
    try:
        record = ServerRecord.model_validate_json(state.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValidationError):
        state.unlink(missing_ok=True)
        return None
    if _process_alive(record.pid) and _is_same_process(record):
        return record
    state.unlink(missing_ok=True)
    return None


def server_answers(record: ServerRecord) -> bool:
    """Whether the server lists its model on GET /v1/models (it answers only once the model is loaded)."""
    # No proxy: HTTP(S)_PROXY must never see requests meant for 127.0.0.1.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{record.endpoint().base_url}/models", timeout=2.0) as response:
            listing = json.loads(response.read())
    except (OSError, ValueError):
        return False
    models = listing.get("data", []) if isinstance(listing, dict) else []
    return any(isinstance(m, dict) and m.get("id") == record.alias for m in models)


def server_arguments(model_path: Path, port: int, threads: int, alias: str) -> list[str]:
    """The flags given to the server program."""
    return [
        "--model", str(model_path),
        "--host", HOST,
        "--port", str(port),
        "--n_threads", str(threads),
        "--n_threads_batch", str(threads),  # the prompt too: its default is every core
        "--n_ctx", str(CONTEXT_TOKENS),
        "--model_alias", alias,
    ]  # fmt: skip


def model_alias(model_path: Path) -> str:
    """The name the server gives the model: the bundle's name, or the GGUF file's stem."""
    for bundle in weights.load_catalog().bundles.values():
        if model_path.name == bundle.cache_filename:
            return bundle.name
    return model_path.stem


def _reuse(record: ServerRecord, timeout: float, notify: StatusCallback) -> LocalEndpoint:
    notify(f"using the local model server on {HOST}:{record.port} (pid {record.pid}, {record.alias})")
    if not server_answers(record):
        notify("waiting for the model to load…")
        _wait_until_ready(record, timeout)
    return record.endpoint()


def _start(
    command: list[str], model_path: Path, threads: int, timeout: float, notify: StatusCallback
) -> LocalEndpoint:
    port = _free_port()
    alias = model_alias(model_path)
    argv = [*command, *server_arguments(model_path, port, threads, alias)]
    log_path = server_dir() / "server.log"
    notify(f"starting local model server on {HOST}:{port}…")
    started = time.monotonic()
    with open(log_path, "wb") as log:
        try:
            process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        except OSError as exc:
            raise LocalModelError(f"cannot run the local model server {argv[0]}: {exc}") from exc
    _children[process.pid] = process
    record = ServerRecord(
        pid=process.pid,
        port=port,
        model_path=str(model_path),
        alias=alias,
        threads=threads,
        started_at=time.time(),
        argv=argv,
        log_path=str(log_path),
    )
    _write_state(record)
    notify("waiting for the model to load…")
    try:
        _wait_until_ready(record, timeout)
    except LocalModelError:
        _terminate(record)
        raise
    elapsed = time.monotonic() - started
    notify(f"ready: {alias} on {record.endpoint().base_url} (pid {record.pid}, {elapsed:.1f} s)")
    return record.endpoint()


def _wait_until_ready(record: ServerRecord, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not server_answers(record):
        if not _process_alive(record.pid):
            _state_path().unlink(missing_ok=True)
            raise LocalModelError(f"the local model server exited while starting{_log_tail(record)}")
        if time.monotonic() > deadline:
            raise LocalModelError(
                f"the local model server on {HOST}:{record.port} did not answer within {timeout:.0f} s "
                f"(slow disk or too little memory? retry with a longer --timeout){_log_tail(record)}"
            )
        time.sleep(_POLL_SECONDS)


def _terminate(record: ServerRecord) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(record.pid, signal.SIGTERM)
    deadline = time.monotonic() + _STOP_GRACE_SECONDS
    while _process_alive(record.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _process_alive(record.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(record.pid, signal.SIGKILL)
        deadline = time.monotonic() + _STOP_GRACE_SECONDS
        while _process_alive(record.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
    _state_path().unlink(missing_ok=True)


# Servers started by this process, kept so they can be reaped and Popen never warns at collection.
_children: dict[int, subprocess.Popen[bytes]] = {}


def _process_alive(pid: int) -> bool:
    child = _children.get(pid)
    if child is not None:
        return child.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """A server whose parent (another huashu process) has not reaped it yet has exited all the same."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


def _is_same_process(record: ServerRecord) -> bool:
    """Guards against a reused pid: on Linux the process's command line must be the one recorded."""
    if not sys.platform.startswith("linux"):
        return True
    try:
        cmdline = Path(f"/proc/{record.pid}/cmdline").read_bytes().decode("utf-8", "replace")
    except OSError:
        return False
    return cmdline.rstrip("\0").split("\0")[1:] == record.argv[1:]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _thread_count(requested: int | None) -> int:
    if requested is not None:
        if requested < 1:
            raise LocalModelError(f"--threads must be at least 1, got {requested}")
        return requested
    configured = local_setting("threads")
    if configured:
        if not configured.isdigit() or int(configured) < 1:
            raise LocalModelError(
                f"HUASHU_LOCAL_THREADS or [local] threads must be a positive whole number, not {configured!r}"
            )
        return int(configured)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _write_state(record: ServerRecord) -> None:
    state = _state_path()
    temporary = state.with_suffix(".tmp")
    temporary.write_text(record.model_dump_json(indent=2), encoding="utf-8")
    os.replace(temporary, state)


def _state_path() -> Path:
    return server_dir() / "state.json"


def _log_tail(record: ServerRecord) -> str:
    try:
        lines = Path(record.log_path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return f"; no log at {record.log_path}"
    tail = [line for line in lines if line.strip()][-_LOG_TAIL_LINES:]
    shown = "".join(f"\n  | {line}" for line in tail) if tail else " (empty)"
    return f"; last lines of {record.log_path}:{shown}"


def _silent(_message: str) -> None:
    """Status callback that says nothing."""
