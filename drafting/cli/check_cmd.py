"""`huashu check`: check reply text against the policy, with no model involved."""

from __future__ import annotations

from collections.abc import Iterable

import click

from drafting.cli.check_output import OUTPUTS, Outcome, Totals
from drafting.cli.inputs import (
    Defaults,
    InputProblem,
    ReplyInput,
    check_encoding,
    display_name,
    history_file,
    jsonl_replies,
    single_reply,
)
from drafting.cli.render import counted
from drafting.conversation import TURN_CHOICES, turn_position
from guards import CHANNELS, SCENARIOS, Channel, CompiledPolicy, Scenario, check, compile_policy, load_policy

_EPILOG = """\b
Examples:
  huashu check "亲，这个我也不知道，您自己看说明吧！"
  huashu check --scenario complaint -f reply.txt
  pbpaste | huashu check --channel phone -
  huashu check --scenario complaint --customer "订单123456789一直没发货" "非常抱歉……"
  huashu check --scenario complaint --history chat.txt "好的，我这边帮您登记了"
  huashu check --jsonl replies.jsonl --format jsonl > findings.jsonl
  huashu check --policy company.toml -f reply.txt

\b
Exit status:
  0  nothing blocks (warnings may remain)
  1  at least one reply has a blocking finding
  2  bad input or usage: empty reply, unreadable or non-UTF-8 file, unknown
     scenario/channel, invalid policy or history file, or any JSONL line that could not be
     checked (the other lines are still checked and reported)

\b
A JSONL line is one JSON object: {"id": "t1", "text": "…", "scenario": "complaint",
"channel": "online", "customer": "…", "history": [{"speaker": "customer", "text": "…"},
{"speaker": "agent", "text": "…"}], "turn": "follow_up"}; "reply" may stand for "text",
and a missing id becomes the line number. Blank lines are skipped; any other line that
cannot be used (a malformed history included) is reported as an error record with its
line number.

\b
Conversations: the required structure is owed by the first substantive reply. A history
(--history FILE: a JSON list or JSONL of {"speaker": "customer"|"agent", "text": "…"}, or
lines 客户：… / 客服：…) holds the earlier turns, oldest first; with --turn auto a reply
after an agent turn that said more than a greeting is a follow-up, judged only for what
it says.
"""


def register(group: click.Group) -> None:
    """Add the command to the `huashu` group."""
    group.add_command(check_command)


@click.command("check", epilog=_EPILOG)
@click.argument("text", required=False)
@click.option("-f", "--file", "file", metavar="FILE", help="Read the reply from FILE ('-' reads stdin).")
@click.option(
    "--jsonl",
    metavar="FILE",
    help="Check many replies: one JSON object per line with id, text (or reply) and optional "
    "scenario, channel, customer, history, turn ('-' reads stdin).",
)
@click.option(
    "--scenario",
    type=click.Choice(SCENARIOS),
    help="The scenario of the reply; complaint, after_sales and urgent also check the required "
    "structure (soothe, apology, details, solution with a deadline). With --jsonl: the default "
    "for lines without one.",
)
@click.option(
    "--channel",
    type=click.Choice(CHANNELS),
    help="Where the reply is sent (default: online). With --jsonl: the default for lines without one.",
)
@click.option(
    "--customer",
    metavar="TEXT",
    help="The customer's message (single reply only): details already given are not asked "
    "for again, and words echoed from it are not the agent's.",
)
@click.option(
    "--history",
    "history_path",
    metavar="FILE",
    help="The earlier turns of the conversation (single reply only): a JSON list or JSONL of "
    '{"speaker": "customer"|"agent", "text": "…"}, or lines 客户：… / 客服：….',
)
@click.option(
    "--turn",
    type=click.Choice(TURN_CHOICES),
    default="auto",
    show_default=True,
    help="first: the first substantive reply, which owes the required structure; follow_up: a "
    "later turn, judged only for what it says; auto: tell from the history. With --jsonl: the "
    "default for lines without one.",
)
@click.option(
    "--policy",
    "policy_file",
    metavar="FILE",
    help="A company policy file merged over the built-in one (see `huashu policy validate`).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(list(OUTPUTS)),
    default="text",
    show_default=True,
    help="text: the reply with findings marked; json: one document; jsonl: one line per reply.",
)
@click.option(
    "--explain",
    is_flag=True,
    help="Also show each rule match that is not a finding and why (quoted, negated, conditional…).",
)
@click.option(
    "--encoding",
    default="utf-8",
    show_default=True,
    metavar="NAME",
    help="Encoding of -f FILE, stdin and --jsonl FILE (e.g. gb18030 for files saved by Excel).",
)
def check_command(
    text: str | None,
    file: str | None,
    jsonl: str | None,
    scenario: Scenario | None,
    channel: Channel | None,
    customer: str | None,
    history_path: str | None,
    turn: str,
    policy_file: str | None,
    output_format: str,
    explain: bool,
    encoding: str,
) -> int:
    """Check replies against the service standards; each finding comes with its fix and source.

    Give the reply as TEXT, with -f FILE, as - (read stdin), or many replies with --jsonl FILE.
    Findings that block (forbidden phrases, unkeepable promises, blame, …) make the exit status 1.
    """
    _check_sources(text, file, jsonl, customer, history_path)
    codec = check_encoding(encoding)
    policy = compile_policy(load_policy(policy_file))
    defaults = Defaults(scenario, channel or "online", turn_position(turn))
    many = jsonl is not None
    history = history_file(history_path, codec) if history_path is not None else ()
    replies: Iterable[ReplyInput | InputProblem] = (
        jsonl_replies(jsonl, defaults, codec)
        if jsonl is not None
        else [single_reply(text, file, defaults, customer, codec, history)]
    )
    output = OUTPUTS[output_format](many)
    totals = Totals()
    for item in replies:
        outcome = _outcome(item, policy, explain)
        totals.add(outcome)
        output.add(outcome)
    output.finish(totals)
    if totals.error_lines:
        _report_unchecked(totals.error_lines, display_name(jsonl or "-"))
    return totals.exit_code


def _report_unchecked(error_lines: list[int], source: str) -> None:
    """One line on stderr naming the input lines that could not be checked."""
    numbers = ", ".join(map(str, error_lines))
    click.echo(
        f"huashu: error: {counted(len(error_lines), 'line')} of {source} could not be checked "
        f"(line {numbers}); the other lines were checked",
        err=True,
    )


def _outcome(item: ReplyInput | InputProblem, policy: CompiledPolicy, explain: bool = False) -> Outcome:
    if isinstance(item, InputProblem):
        return Outcome(item.id, item.line, error=item.error)
    report = check(
        item.text,
        scenario=item.scenario,
        channel=item.channel,
        customer=item.customer,
        history=item.history,
        turn=item.turn,
        policy=policy,
        explain=explain,
    )
    return Outcome(item.id, item.line, report=report, turn=item.turn or "auto")


def _check_sources(
    text: str | None, file: str | None, jsonl: str | None, customer: str | None, history: str | None
) -> None:
    """Exactly one input: TEXT, -f FILE or --jsonl FILE; --customer, --history only with a single reply."""
    given = [
        name
        for name, value in (("TEXT", text), ("-f FILE", file), ("--jsonl FILE", jsonl))
        if value is not None
    ]
    if not given:
        raise click.UsageError("give the reply as TEXT, -f FILE, - (to read stdin) or --jsonl FILE")
    if len(given) > 1:
        raise click.UsageError(f"give only one of {' and '.join(given)}")
    if customer is not None and jsonl is not None:
        raise click.UsageError("--customer is for a single reply; put a customer field on each JSONL line")
    if history is not None and jsonl is not None:
        raise click.UsageError("--history is for a single reply; put a history field on each JSONL line")
    if history == "-" and "-" in (text, file):
        raise click.UsageError("only one input can come from stdin: give the reply or the history as a file")
