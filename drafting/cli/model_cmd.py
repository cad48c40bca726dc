"""`huashu model start|stop|status`: run the embedded local model used when no endpoint is configured."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import click

from drafting.local import (
    DEFAULT_STARTUP_TIMEOUT,
    ServerRecord,
    ensure_server,
    server_answers,
    server_record,
    stop_server,
)

_START_EPILOG = """\b
Examples:
  huashu model start                          # the default bundle (qwen2.5-coder-1.5b)
  huashu model start --model qwen2.5-0.5b --threads 2
  huashu model start --model ~/models/my-model.gguf

\b
The first start joins the model weights from their installed packages into the
cache (about 1.1 GB, once). A running server is reused; one serving another model
or running with another --threads is restarted. HUASHU_LOCAL_MODEL and
HUASHU_LOCAL_THREADS (or the config file's [local] model/threads) set the defaults.
Exit status: 0 when the server answers, 2 with a one-line error (the server log's
last lines follow it when the server failed).
"""

_STATUS_EPILOG = """\b
Exit status: 0 when the server runs and answers, 1 when none runs or it is still
loading, 2 on errors.
"""

_STOP_EPILOG = """\b
Exit status: 0 whether or not a server was running, 2 on errors.
"""


def register(group: click.Group) -> None:
    """Add the `model` command group to the `huashu` group."""
    group.add_command(model_group)


@click.group("model")
def model_group() -> None:
    """Start, stop and inspect the embedded local model (llama.cpp on 127.0.0.1)."""


@model_group.command("start", epilog=_START_EPILOG)
@click.option("--model", "model", metavar="NAME_OR_PATH", help="A known bundle name or a GGUF file.")
@click.option("--threads", type=click.IntRange(min=1), help="CPU threads (default: all available cores).")
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=DEFAULT_STARTUP_TIMEOUT,
    show_default=True,
    help="Seconds to wait for the model to load.",
)
def start_command(model: str | None, threads: int | None, timeout: float) -> int:
    """Start the local model server, or reuse the running one, and wait until it answers."""
    endpoint = ensure_server(on_status=_status_line, model=model, threads=threads, timeout=timeout)
    click.echo(f"local model {endpoint.model} ready at {endpoint.base_url} (pid {endpoint.pid})")
    return 0


@model_group.command("stop", epilog=_STOP_EPILOG)
def stop_command() -> int:
    """Stop the local model server huashu started."""
    record = server_record()
    if record is not None and stop_server():
        click.echo(f"stopped the local model server (pid {record.pid}, {record.alias})")
    else:
        click.echo("no local model server is running")
    return 0


@model_group.command("status", epilog=_STATUS_EPILOG)
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def status_command(output_format: str) -> int:
    """Show whether the local model server runs: pid, port, model file, uptime."""
    record = server_record()
    ready = record is not None and server_answers(record)
    _STATUS_FORMATS[output_format](record, ready)
    return 0 if ready else 1


def _status_text(record: ServerRecord | None, ready: bool) -> None:
    if record is None:
        click.echo("not running")
        return
    click.echo("running" if ready else "starting (the model is still loading)")
    for label, value in _status_fields(record).items():
        click.echo(f"  {(label + ':').ljust(10)} {value}")


def _status_json(record: ServerRecord | None, ready: bool) -> None:
    view: dict[str, object] = {"running": record is not None, "ready": ready}
    if record is not None:
        view |= {
            "pid": record.pid,
            "port": record.port,
            "base_url": record.endpoint().base_url,
            "model": record.alias,
            "model_path": record.model_path,
            "threads": record.threads,
            "uptime_seconds": round(time.time() - record.started_at, 1),
            "log": record.log_path,
        }
    click.echo(json.dumps(view, ensure_ascii=False, indent=2))


def _status_fields(record: ServerRecord) -> dict[str, str]:
    return {
        "pid": str(record.pid),
        "port": str(record.port),
        "endpoint": record.endpoint().base_url,
        "model": record.alias,
        "file": record.model_path,
        "threads": str(record.threads),
        "uptime": _duration(time.time() - record.started_at),
        "log": record.log_path,
    }


_STATUS_FORMATS: dict[str, Callable[[ServerRecord | None, bool], None]] = {
    "text": _status_text,
    "json": _status_json,
}


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


def _status_line(message: str) -> None:
    click.echo(f"huashu: {message}", err=True)
