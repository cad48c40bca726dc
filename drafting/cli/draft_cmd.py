"""`huashu draft`: draft a checked reply to a customer message with the model."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from drafting.cli.draft_output import OUTPUT_FORMATS, TIMEOUT_OPTION, make_drafter, show_events, single
from drafting.engine import DEFAULT_MAX_ATTEMPTS
from drafting.errors import InputError
from drafting.models import MAX_MESSAGE_CHARS, STRATEGY_CHOICES, StrategyChoice, Ticket, Turn
from guards import CHANNELS, SCENARIOS, load_policy

_EPILOG = f"""\b
Examples:
  huashu draft "订单 202411230001 一个星期了还没到，你们怎么回事？"
  huashu draft --scenario complaint --address-as 张先生 --facts order.json -f message.txt
  huashu draft --stream "买的耳机坏了，我要投诉到12315"
  huashu draft --format json "……" > draft.json

\b
The model: HUASHU_BASE_URL / HUASHU_API_KEY / HUASHU_MODEL (or OPENAI_BASE_URL /
OPENAI_API_KEY, or the config file); with none set, the embedded local model.
A message is at most {MAX_MESSAGE_CHARS} characters. The embedded model composes the
reply from the policy's phrases (--strategy compose); an endpoint writes it (free).

\b
Exit status:
  0  the draft passed the guards
  1  the draft still has blocking findings after the last attempt (shown)
  2  bad input or usage (empty or too long message, bad facts file, bad policy)
  4  the model endpoint failed (unreachable, wrong key, unknown model, kept failing)
  5  the model's answer was unusable (cut off, refused, not the JSON asked for)
"""


def register(group: click.Group) -> None:
    """Add the command to the `huashu` group."""
    group.add_command(draft_command)


@click.command("draft", epilog=_EPILOG)
@click.argument("message", required=False)
@click.option(
    "-f", "--file", "file", metavar="FILE", help="Read the customer's message from FILE ('-': stdin)."
)
@click.option("--scenario", type=click.Choice(["auto", *SCENARIOS]), default="auto", show_default=True)
@click.option("--channel", type=click.Choice(CHANNELS), default="online", show_default=True)
@click.option(
    "--address-as", default="您", show_default=True, help="How to address the customer (张先生, 女士, 亲)."
)
@click.option(
    "--facts", "facts_file", metavar="FILE", help='Order facts: a JSON object, e.g. {"订单号": "…"}.'
)
@click.option(
    "--history", "history_file", metavar="FILE", help='Earlier turns: a JSON list of {"role", "text"}.'
)
@click.option(
    "--format", "output_format", type=click.Choice(OUTPUT_FORMATS), default="text", show_default=True
)
@click.option("--stream", is_flag=True, help="Show the reply as the model writes it (text format).")
@click.option(
    "--policy", "policy_file", metavar="FILE", help="A company policy file (merged over the default)."
)
@click.option("--max-attempts", type=click.IntRange(1, 10), default=DEFAULT_MAX_ATTEMPTS, show_default=True)
@TIMEOUT_OPTION
@click.option(
    "--strategy",
    type=click.Choice(STRATEGY_CHOICES),
    help="compose: from the policy's phrases after a small understand step; free: the model writes. "
    "Default: HUASHU_STRATEGY or the config file, else auto (compose on the embedded model).",
)
def draft_command(
    message: str | None,
    file: str | None,
    scenario: str,
    channel: str,
    address_as: str,
    facts_file: str | None,
    history_file: str | None,
    output_format: str,
    stream: bool,
    policy_file: str | None,
    max_attempts: int,
    timeout_s: float | None,
    strategy: StrategyChoice | None,
) -> int:
    """Draft a reply to the customer's MESSAGE, checked by the guards (up to N attempts)."""
    ticket = _ticket(
        read_text(message, file, "the customer's message"),
        scenario=scenario,
        channel=channel,
        address_as=address_as,
        facts=_facts(facts_file) if facts_file else {},
        history=_history(history_file) if history_file else [],
    )
    # No file: the built-in policy, compiled once per process (guards.default_compiled).
    policy = load_policy(policy_file) if policy_file else None
    drafter = make_drafter(policy=policy, max_attempts=max_attempts, timeout_s=timeout_s, strategy=strategy)
    events = (
        drafter.stream_draft(ticket)
        if stream and output_format == "text"
        else single(lambda: drafter.draft(ticket))
    )
    return show_events(events, output_format, stream=stream)


def read_text(text: str | None, file: str | None, what: str) -> str:
    """TEXT, or the contents of FILE ('-' is stdin); empty or over-long text is an error."""
    if text is not None and file is not None:
        raise InputError(f"give {what} as an argument or with -f, not both")
    if text == "-" or file == "-":
        text = sys.stdin.read()
    elif file is not None:
        text = _read_file(file, what)
    if text is None or not text.strip():
        raise InputError(f"{what} is empty", hint="pass it as an argument, with -f FILE, or '-' for stdin")
    text = text.strip()
    if len(text) > MAX_MESSAGE_CHARS:
        raise InputError(
            f"{what} is {len(text)} characters long; the limit is {MAX_MESSAGE_CHARS}",
            hint="shorten it to the part that needs an answer",
        )
    return text


def _read_file(path: str, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file ({what})") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text; convert it with `iconv -f GB18030 -t UTF-8`") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None


def _json_file(path: str, what: str) -> Any:
    try:
        return json.loads(_read_file(path, what))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: invalid JSON in {what}: {exc.msg} (line {exc.lineno})") from None


def _facts(path: str) -> dict[str, str]:
    data = _json_file(path, "the facts file")
    if not isinstance(data, dict) or not all(isinstance(v, str | int | float) for v in data.values()):
        raise InputError(
            f'{path}: the facts file must be one JSON object of names to values, e.g. {{"订单号": "…"}}'
        )
    return {str(k): str(v) for k, v in data.items()}


def _history(path: str) -> list[Turn]:
    data = _json_file(path, "the history file")
    try:
        return [Turn.model_validate(turn) for turn in data] if isinstance(data, list) else _bad_history(path)
    except ValidationError:
        return _bad_history(path)


def _bad_history(path: str) -> list[Turn]:
    raise InputError(
        f'{path}: the history file must be a JSON list of {{"role": "customer"|"agent", "text": "…"}}'
    )


def _ticket(message: str, **fields: Any) -> Ticket:
    try:
        return Ticket(message=message, **fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(f"invalid ticket: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
