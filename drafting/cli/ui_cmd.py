"""`huashu ui`: start the agent page (Streamlit) on this machine."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import click

import drafting.ui
from drafting.errors import ConfigError
from drafting.ui.backend import POLICY_ENV
from guards import load_policy

DEFAULT_PORT = 8501
_EPILOG = """\b
Examples:
  huashu ui                              # http://127.0.0.1:8501, opens the browser
  huashu ui --port 8600 --no-browser
  huashu ui --policy company.toml

\b
The page drafts with the same model as `huashu draft`: HUASHU_BASE_URL / HUASHU_API_KEY /
HUASHU_MODEL, or the embedded local model (start and stop it under 详情 on the page).
Feedback (有用/没用) goes to HUASHU_FEEDBACK_DB (default: feedback.sqlite in the user data
directory); `huashu feedback export` turns it into eval cases.
"""


def register(group: click.Group) -> None:
    """Add the command to the `huashu` group."""
    group.add_command(ui_command)


def app_path() -> Path:
    """The packaged Streamlit app file."""
    return Path(drafting.ui.__file__).with_name("app.py")


def streamlit_installed() -> bool:
    """True when streamlit can be imported."""
    return importlib.util.find_spec("streamlit") is not None


def streamlit_command(host: str, port: int, *, browser: bool) -> list[str]:
    """The `streamlit run` command for the packaged app, with this interpreter."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app_path()),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "false" if browser else "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
    ]


@click.command("ui", epilog=_EPILOG)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve the page on.")
@click.option("--port", type=click.IntRange(1, 65535), default=DEFAULT_PORT, show_default=True)
@click.option("--no-browser", is_flag=True, help="Do not open a browser window.")
@click.option(
    "--policy", "policy_file", metavar="FILE", help="A company policy file (merged over the default)."
)
def ui_command(host: str, port: int, no_browser: bool, policy_file: str | None) -> None:
    """Start the agent page: draft, rewrite, see and fix every finding."""
    if not streamlit_installed():
        raise ConfigError("the agent page needs streamlit", hint="pip install 'huashu[ui]'")
    env = dict(os.environ)
    if policy_file:
        load_policy(policy_file)  # a bad file fails here with one line, not inside the page
        env[POLICY_ENV] = str(Path(policy_file).resolve())
    click.echo(f"huashu: the agent page is at http://{host}:{port} (Ctrl+C stops it)", err=True)
    # exec, not a child process: Ctrl+C and `kill` reach streamlit itself, and nothing is orphaned.
    command = streamlit_command(host, port, browser=not no_browser)
    os.execve(command[0], command, env)
