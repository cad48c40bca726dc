"""`huashu rewrite`: rewrite an agent's rough reply to the standards, keeping its facts."""

from __future__ import annotations

import click

from drafting.cli.draft_cmd import read_text
from drafting.cli.draft_output import OUTPUT_FORMATS, TIMEOUT_OPTION, make_drafter, show_events, single
from drafting.engine import DEFAULT_MAX_ATTEMPTS
from drafting.models import MAX_MESSAGE_CHARS, STRATEGY_CHOICES, ScenarioChoice, StrategyChoice
from drafting.tones import get_tone, tone_names
from guards import CHANNELS, SCENARIOS, Channel, load_policy

_EPILOG = f"""\b
Examples:
  huashu rewrite "这个我也不知道，你自己看说明吧"
  huashu rewrite --tone 电商 --customer "订单123456789怎么还没发货" "已经发了，等着吧"
  huashu rewrite --tone 邮件 -f reply.txt --format json

\b
Tones: {", ".join(tone_names())}. Every order id, number, date, amount and product name of
the original must survive; a rewrite that drops one, or adds a deadline or compensation the
original does not contain, is reported as a finding (category facts_changed).
Texts are at most {MAX_MESSAGE_CHARS} characters.

\b
Exit status: 0 passed, 1 still violates after the last attempt, 2 bad input (empty or too
long text, unknown tone), 4 endpoint failed, 5 unusable model answer.
"""


def register(group: click.Group) -> None:
    """Add the command to the `huashu` group."""
    group.add_command(rewrite_command)


@click.command("rewrite", epilog=_EPILOG)
@click.argument("text", required=False)
@click.option(
    "-f", "--file", "file", metavar="FILE", help="Read the reply to rewrite from FILE ('-': stdin)."
)
@click.option("--customer", metavar="MESSAGE", help="The customer's message the reply answers.")
@click.option("--tone", default="标准", show_default=True, help=f"One of: {', '.join(tone_names())}.")
@click.option("--scenario", type=click.Choice(["auto", *SCENARIOS]), default="auto", show_default=True)
@click.option(
    "--channel",
    type=click.Choice(CHANNELS),
    help="Where the reply is sent (default: the tone's, else online).",
)
@click.option("--address-as", help="How to address the customer (default: the tone's, e.g. 亲 for 电商).")
@click.option(
    "--format", "output_format", type=click.Choice(OUTPUT_FORMATS), default="text", show_default=True
)
@click.option("--stream", is_flag=True, help="Show the rewrite as the model writes it (text format).")
@click.option(
    "--policy", "policy_file", metavar="FILE", help="A company policy file (merged over the default)."
)
@click.option("--max-attempts", type=click.IntRange(1, 10), default=DEFAULT_MAX_ATTEMPTS, show_default=True)
@TIMEOUT_OPTION
@click.option(
    "--strategy",
    type=click.Choice(STRATEGY_CHOICES),
    help="compose: keep the agent's clean clauses and compose the rest from the policy's phrases; "
    "free: the model rewrites. Default: HUASHU_STRATEGY or the config file, else auto.",
)
def rewrite_command(
    text: str | None,
    file: str | None,
    customer: str | None,
    tone: str,
    scenario: ScenarioChoice,
    channel: Channel | None,
    address_as: str | None,
    output_format: str,
    stream: bool,
    policy_file: str | None,
    max_attempts: int,
    timeout_s: float | None,
    strategy: StrategyChoice | None,
) -> int:
    """Rewrite the agent's reply TEXT in a tone preset, checked by the guards and the fact guard."""
    original = read_text(text, file, "the reply to rewrite")
    customer_text = read_text(customer, None, "the customer's message") if customer is not None else None
    get_tone(tone)  # an unknown tone fails before any model starts
    # No file: the built-in policy, compiled once per process (guards.default_compiled).
    policy = load_policy(policy_file) if policy_file else None
    drafter = make_drafter(policy=policy, max_attempts=max_attempts, timeout_s=timeout_s, strategy=strategy)
    if stream and output_format == "text":
        events = drafter.stream_rewrite(
            original,
            customer=customer_text,
            tone=tone,
            channel=channel,
            scenario=scenario,
            address_as=address_as,
        )
    else:
        events = single(
            lambda: drafter.rewrite(
                original,
                customer=customer_text,
                tone=tone,
                channel=channel,
                scenario=scenario,
                address_as=address_as,
            )
        )
    return show_events(events, output_format, stream=stream)
