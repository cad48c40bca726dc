"""`huashu ui`: starts the packaged app with streamlit, or says how to install it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from drafting.cli import main, ui_cmd


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_without_streamlit_it_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(ui_cmd, "streamlit_installed", lambda: False)
    assert main(["ui", "--no-browser"]) == 2
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0
    assert "pip install 'huashu[ui]'" in err and "Traceback" not in err


def test_a_bad_policy_file_fails_before_streamlit_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ui", "--no-browser", "--policy", str(tmp_path / "missing.toml")]) == 2
    assert "no such policy file" in capsys.readouterr().err


def test_the_packaged_app_file_ships_inside_the_package() -> None:
    path = ui_cmd.app_path()
    assert path.is_file() and path.parent.name == "ui" and path.parent.parent.name == "drafting"
    command = ui_cmd.streamlit_command("127.0.0.1", 8600, browser=False)
    assert command[:4] == [sys.executable, "-m", "streamlit", "run"] and str(path) in command


def test_huashu_ui_serves_the_page(tmp_path: Path) -> None:
    port = _free_port()
    huashu = Path(sys.executable).with_name("huashu")
    env = {**os.environ, "HOME": str(tmp_path), "HUASHU_FEEDBACK_DB": str(tmp_path / "f.sqlite")}
    process = subprocess.Popen(
        [str(huashu), "ui", "--no-browser", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        health = _wait_for(f"http://127.0.0.1:{port}/_stcore/health", process)
        assert health == "ok"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            assert "<title>Streamlit</title>" in response.read().decode("utf-8")
    finally:
        process.terminate()
        output = process.communicate(timeout=20)[0].decode("utf-8", "replace")
    assert f"http://127.0.0.1:{port}" in output


def _wait_for(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"huashu ui exited with {process.returncode}: {process.communicate()[0]!r}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return str(response.read().decode("utf-8"))
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"huashu ui did not answer on {url} within {timeout:.0f} s")
