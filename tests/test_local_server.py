"""The local model server's lifecycle through real processes and real HTTP on 127.0.0.1: a stdlib
server started through the same code path stands in for llama_cpp.server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from drafting.cli import main
from drafting.local import (
    BundleCatalog,
    BundleSpec,
    LocalEndpoint,
    LocalModelError,
    ensure_server,
    server_record,
    server_status,
    stop_server,
    weights,
)
from drafting.local.cache import exclusive_lock, server_dir

ROOT = Path(__file__).resolve().parents[1]

FAKE_SERVER = r'''
"""Stands in for `python -m llama_cpp.server`: same flags, answers GET /v1/models."""
import argparse, json, os, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser()
for flag in ("--model", "--host", "--n_threads", "--n_threads_batch", "--n_ctx", "--model_alias"):
    parser.add_argument(flag, required=True)
parser.add_argument("--port", type=int, required=True)
args = parser.parse_args()
behaviour = os.environ.get("FAKE_SERVER_BEHAVIOUR", "ok")
print(f"fake server pid {os.getpid()} loading {args.model}", flush=True)
if behaviour == "crash":
    print("gguf_init_from_file_impl: invalid magic characters", flush=True)
    print("error loading model: failed to load model", flush=True)
    sys.exit(1)
if behaviour == "hang":
    time.sleep(3600)
time.sleep(float(os.environ.get("FAKE_SERVER_LOAD_SECONDS", "0")))

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/v1/models":
            self.send_error(404)
            return
        model = {"id": args.model_alias, "object": "model", "owned_by": "me", "argv": sys.argv[1:]}
        body = json.dumps({"object": "list", "data": [model]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *arguments):
        print(format % arguments, flush=True)

ThreadingHTTPServer((args.host, args.port), Handler).serve_forever()
'''


# --------------------------------------------------------------------------- fixtures and helpers


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private cache dir and no model settings; stops any server a test left behind."""
    directory = tmp_path / "cache"
    monkeypatch.setenv("HUASHU_CACHE_DIR", str(directory))
    monkeypatch.setenv("HUASHU_CONFIG", str(tmp_path / "config.toml"))
    for name in ("HUASHU_LOCAL_MODEL", "HUASHU_LOCAL_THREADS", "FAKE_SERVER_BEHAVIOUR"):
        monkeypatch.delenv(name, raising=False)
    yield directory
    stop_server()


@pytest.fixture
def fake_program(tmp_path: Path) -> list[str]:
    """The command that runs the fake server instead of llama_cpp.server."""
    script = tmp_path / "fake_llama_server.py"
    script.write_text(FAKE_SERVER, encoding="utf-8")
    return [sys.executable, str(script)]


@pytest.fixture
def gguf(tmp_path: Path) -> Path:
    """A tiny file that passes huashu's GGUF check (the fake server never reads it)."""
    path = tmp_path / "tiny-model.gguf"
    path.write_bytes(b"GGUF" + bytes(60))
    return path


def start(
    program: list[str],
    model: Path | None,
    *,
    timeout: float = 30,
    on_status: Callable[[str], None] | None = None,
) -> LocalEndpoint:
    """ensure_server with the fake server program."""
    chosen = None if model is None else str(model)
    return ensure_server(program=lambda: program, model=chosen, timeout=timeout, on_status=on_status)


def listed_models(endpoint: LocalEndpoint) -> list[dict[str, object]]:
    """GET /v1/models from the endpoint over real HTTP."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"{endpoint.base_url}/models", timeout=5) as response:
        data: list[dict[str, object]] = json.loads(response.read())["data"]
    return data


def is_running(pid: int) -> bool:
    """Whether a process with this pid exists and has not exited."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rpartition(")")[2].split()[0] == "Z")


def huashu(*args: str, code: str = "") -> subprocess.CompletedProcess[str]:
    """Run the huashu CLI in a subprocess (after `code`, e.g. hiding a module)."""
    program = f"import sys\n{code}\nfrom drafting.cli import main\nsys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", program, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def use_uninstalled_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the default bundle one whose parts are not installed, so assembling it would fail."""
    absent = BundleSpec(
        name="absent",
        description="never installed",
        upstream="nobody (test)",
        distribution="huashu-test-absent-part{n}",
        module="huashu_test_absent_part{n}",
        version="0.0.1",
        parts=2,
        size=10,
        sha256="0" * 64,
        filename="absent.gguf",
        install="pip install absent",
    )
    catalog = BundleCatalog(default="absent", bundles={"absent": absent})
    monkeypatch.setattr(weights, "load_catalog", lambda: catalog)


def assembled(cache: Path) -> list[Path]:
    """Model files assembled into the cache."""
    return sorted(cache.glob("models/*.gguf"))


# --------------------------------------------------------------------------- the server lifecycle


def test_start_status_reuse_and_stop(cache: Path, fake_program: list[str], gguf: Path) -> None:
    messages: list[str] = []
    endpoint = ensure_server(
        program=lambda: fake_program, model=str(gguf), threads=1, timeout=30, on_status=messages.append
    )

    port = endpoint.base_url.removeprefix("http://127.0.0.1:").removesuffix("/v1")
    assert endpoint.base_url == f"http://127.0.0.1:{port}/v1"
    assert (endpoint.model, endpoint.structured_mode) == ("tiny-model", "json_object_schema")
    assert messages[0] == f"starting local model server on 127.0.0.1:{port}…"
    assert messages[1] == "waiting for the model to load…"
    assert messages[2].startswith(f"ready: tiny-model on {endpoint.base_url} (pid {endpoint.pid},")
    served = listed_models(endpoint)[0]
    assert served["id"] == "tiny-model"
    assert served["argv"] == [
        "--model", str(gguf), "--host", "127.0.0.1", "--port", port,
        "--n_threads", "1", "--n_threads_batch", "1", "--n_ctx", "8192", "--model_alias", "tiny-model",
    ]  # fmt: skip
    assert server_status() == endpoint

    again: list[str] = []
    assert start(fake_program, gguf, on_status=again.append) == endpoint
    assert again == [f"using the local model server on 127.0.0.1:{port} (pid {endpoint.pid}, tiny-model)"]

    assert stop_server() is True
    assert not is_running(endpoint.pid)
    assert server_status() is None
    assert stop_server() is False


def test_without_a_model_choice_the_running_server_is_reused(
    cache: Path, fake_program: list[str], gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_uninstalled_default(monkeypatch)
    endpoint = start(fake_program, gguf)

    assert start(fake_program, None) == endpoint  # the default bundle was never assembled
    assert assembled(cache) == []


def test_another_model_restarts_the_server(
    cache: Path, fake_program: list[str], gguf: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other-model.gguf"
    other.write_bytes(gguf.read_bytes())
    first = start(fake_program, gguf)

    second = start(fake_program, other)

    assert second.pid != first.pid and second.model == "other-model"
    assert not is_running(first.pid)
    assert server_status() == second


def served_threads(endpoint: LocalEndpoint) -> str:
    """The --n_threads flag the (fake) server was started with."""
    argv = listed_models(endpoint)[0]["argv"]
    assert isinstance(argv, list)
    return str(argv[argv.index("--n_threads") + 1])


def test_other_thread_count_restarts_the_server_with_the_same_model(
    cache: Path, fake_program: list[str], gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_uninstalled_default(monkeypatch)
    first = ensure_server(program=lambda: fake_program, model=str(gguf), threads=1, timeout=30)
    assert ensure_server(program=lambda: fake_program, threads=1, timeout=30) == first

    second = ensure_server(program=lambda: fake_program, threads=2, timeout=30)

    assert second.pid != first.pid and not is_running(first.pid)
    assert (second.model, served_threads(second)) == ("tiny-model", "2")


def test_threads_from_environment_over_config_file(
    cache: Path, fake_program: list[str], gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (cache.parent / "config.toml").write_text("[local]\nthreads = 3\n")
    assert served_threads(start(fake_program, gguf)) == "3"
    stop_server()

    monkeypatch.setenv("HUASHU_LOCAL_THREADS", "2")
    assert served_threads(start(fake_program, gguf)) == "2"
    stop_server()

    monkeypatch.setenv("HUASHU_LOCAL_THREADS", "many")
    with pytest.raises(
        LocalModelError, match=r"HUASHU_LOCAL_THREADS or \[local\] threads must be a positive"
    ):
        start(fake_program, gguf)


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Run the huashu CLI in this process: exit status and stdout."""
    status = main(list(args))
    return status, capsys.readouterr().out


def test_server_started_by_another_process_is_found_and_stopped(
    cache: Path, fake_program: list[str], gguf: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    starter = (
        "import sys\nfrom drafting.local import ensure_server\n"
        "e = ensure_server(program=lambda: sys.argv[1:3], model=sys.argv[3], timeout=30)\nprint(e.pid)\n"
    )
    started = subprocess.run(
        [sys.executable, "-c", starter, *fake_program, str(gguf)], capture_output=True, text=True, check=True
    )
    pid = int(started.stdout)

    status, shown = run_cli(capsys, "model", "status")
    record = server_record()
    assert record is not None and record.pid == pid
    assert status == 0 and shown.startswith("running\n")
    for expected in (
        f"pid:       {pid}",
        f"port:      {record.port}",
        f"file:      {gguf}",
        "uptime:    0m 0",
    ):
        assert expected in shown
    status, shown = run_cli(capsys, "model", "status", "--format", "json")
    assert (status, json.loads(shown)["pid"], json.loads(shown)["ready"]) == (0, pid, True)

    assert run_cli(capsys, "model", "stop") == (
        0,
        f"stopped the local model server (pid {pid}, tiny-model)\n",
    )
    assert not is_running(pid)
    assert run_cli(capsys, "model", "status") == (1, "not running\n")
    assert run_cli(capsys, "model", "stop") == (0, "no local model server is running\n")


def holds_open(pid: int, path: Path) -> bool:
    """Whether process `pid` has `path` open (Linux /proc)."""
    try:
        return any(os.readlink(fd) == str(path) for fd in Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="watches /proc")
def test_concurrent_starts_wait_for_the_lock_and_share_one_server(
    cache: Path, fake_program: list[str], gguf: Path
) -> None:
    starter = (
        "import sys\nfrom drafting.local import ensure_server\n"
        "print(ensure_server(program=lambda: sys.argv[1:3], model=sys.argv[3], timeout=30).pid)\n"
    )
    command = [sys.executable, "-c", starter, *fake_program, str(gguf)]
    lock = server_dir() / ".lock"
    with exclusive_lock(lock.parent):
        starters = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(2)]
        deadline = time.monotonic() + 30
        while not all(holds_open(p.pid, lock) for p in starters) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1)  # both wait for the lock now; neither may have started a server
        assert not (cache / "server" / "state.json").exists()
    pids = {int(p.communicate(timeout=60)[0]) for p in starters}

    assert len(pids) == 1
    endpoint = server_status()
    assert endpoint is not None and endpoint.pid in pids


def test_stale_state_is_detected_and_replaced(cache: Path, fake_program: list[str], gguf: Path) -> None:
    endpoint = start(fake_program, gguf)
    state = cache / "server" / "state.json"
    record = json.loads(state.read_text())
    os.kill(endpoint.pid, 9)
    while is_running(endpoint.pid):
        time.sleep(0.05)
    server_record()  # reaps our own child
    state.write_text(json.dumps(record))  # as a crashed huashu would leave it

    assert server_status() is None
    assert not state.exists()

    record["pid"] = os.getpid()  # a live process that is not the server (a reused pid)
    state.write_text(json.dumps(record))
    assert server_record() is None

    state.write_text("{not json")
    assert server_record() is None
    assert start(fake_program, gguf).pid != endpoint.pid


def test_server_that_exits_shows_its_log_tail(
    cache: Path, fake_program: list[str], gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_SERVER_BEHAVIOUR", "crash")

    with pytest.raises(LocalModelError) as raised:
        start(fake_program, gguf)
    message = str(raised.value)
    assert message.startswith("the local model server exited while starting; last lines of ")
    assert "\n  | error loading model: failed to load model" in message
    assert server_record() is None and not (cache / "server" / "state.json").exists()


def test_readiness_timeout_stops_the_server(
    cache: Path, fake_program: list[str], gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_SERVER_BEHAVIOUR", "hang")

    with pytest.raises(LocalModelError, match=r"did not answer within 1 s .*retry with a longer --timeout"):
        start(fake_program, gguf, timeout=1)
    log = (cache / "server" / "server.log").read_text()
    pid = int(log.split()[3])
    assert not is_running(pid)
    assert server_record() is None


def test_missing_llama_cpp_is_one_documented_line(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)

    with pytest.raises(LocalModelError) as raised:
        ensure_server()
    assert "pip install 'huashu[local]'" in str(raised.value)
    assert "HUASHU_BASE_URL" in str(raised.value)
    assert assembled(cache) == []  # it failed before assembling any weights

    result = huashu("model", "start", code="sys.modules['llama_cpp'] = None")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("huashu: error: no model endpoint is configured and the embedded local")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_server_program_that_cannot_run_is_a_clear_error(cache: Path, gguf: Path, tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-server")

    with pytest.raises(LocalModelError, match=r"cannot run the local model server .*no-such-server"):
        start([missing], gguf)
    assert server_record() is None
