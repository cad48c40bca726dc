"""Output of `huashu draft` and `huashu rewrite`: text for people (optionally streamed), JSON for programs."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import replace

import click
from rich.console import Console
from rich.text import Text

from drafting.cli.render import counted, report_lines
from drafting.cli.visible import safe_json, visible
from drafting.engine import AttemptFinished, Drafter, DraftFinished, StreamEvent, TextDelta
from drafting.models import Draft, StrategyChoice
from drafting.prompting import labels
from drafting.settings import Settings, load_settings
from guards import Policy

OUTPUT_FORMATS = ("text", "json")
# Exit status when the draft still has blocking findings after the last attempt.
EXIT_NOT_PASSED = 1


def make_drafter(
    *,
    policy: Policy | None,
    max_attempts: int,
    timeout_s: float | None = None,
    strategy: StrategyChoice | None = None,
) -> Drafter:
    """A Drafter on the configured endpoint (the openai SDK is loaded only now); `policy` None is the
    built-in one."""
    from drafting.api import build_drafter

    status = status_printer(Console(stderr=True))
    settings = with_timeout(load_settings(), timeout_s)
    return build_drafter(
        settings, policy=policy, max_attempts=max_attempts, on_status=status, strategy=strategy
    )


def with_timeout(settings: Settings, timeout_s: float | None) -> Settings:
    """`settings` with the --timeout given on the command line (else as configured)."""
    return settings if timeout_s is None else replace(settings, timeout_s=timeout_s)


# The --timeout option of the commands that call the model.
TIMEOUT_OPTION = click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(0, min_open=True),
    metavar="SECONDS",
    help="The most one model call may take, retries and waits included (default: HUASHU_TIMEOUT, "
    "else 120). A reply makes at most --max-attempts calls, so it takes at most their product.",
)


def single(make: Callable[[], Draft]) -> Iterator[StreamEvent]:
    """A draft made without streaming, as a one-event stream."""
    yield DraftFinished(make())


def exit_code(draft: Draft) -> int:
    """0 when the draft passed the guards, 1 when it still violates."""
    return 0 if draft.passed else EXIT_NOT_PASSED


def status_printer(console: Console) -> Callable[[str], None]:
    """Print status lines (e.g. the local model starting) on stderr."""
    return lambda message: console.print(Text(f"huashu: {message}", style="dim"))


def show_events(events: Iterator[StreamEvent], output_format: str, *, stream: bool) -> int:
    """Consume the drafting events, print the outcome, and return the exit status."""
    console = Console(highlight=False, soft_wrap=True)
    if output_format == "json" or not stream:
        draft = _final(events)
        if output_format == "json":
            click.echo(safe_json(draft.to_dict(), indent=2))
        else:
            _print_draft(console, draft)
        return exit_code(draft)
    draft = _stream(console, events)
    _print_draft(console, draft, reply_shown=True)
    return exit_code(draft)


def _final(events: Iterator[StreamEvent]) -> Draft:
    for event in events:
        if isinstance(event, DraftFinished):
            return event.draft
    raise RuntimeError("the drafting loop ended without a draft")


def _stream(console: Console, events: Iterator[StreamEvent]) -> Draft:
    for event in events:
        if isinstance(event, TextDelta):
            sys.stdout.write(visible(event.text))
            sys.stdout.flush()
        elif isinstance(event, AttemptFinished):
            sys.stdout.write("\n")
            if not event.attempt.passed:
                blocking = counted(len(event.attempt.blocking), "blocking finding")
                console.print(
                    Text(f"— attempt {event.attempt.number}: {blocking}, trying again", style="yellow")
                )
        elif isinstance(event, DraftFinished):
            return event.draft
    raise RuntimeError("the drafting loop ended without a draft")


def _print_draft(console: Console, draft: Draft, *, reply_shown: bool = False) -> None:
    styled = console.is_terminal
    if reply_shown:
        console.print(Text("\nFinal reply:", style="bold"))
    if draft.checked_text is not None:
        if not reply_shown:
            console.print(Text(draft.text))
        console.print(Text("Checked as the Chinese phrases it renders:", style="dim"))
    for line in report_lines(draft.report, styled=styled):
        console.print(line)
    console.print(Text("Sections:", style="bold"))
    names = labels()["sections"]
    for name, text in draft.reply.sections().items():
        console.print(Text(f"  {names.get(name, name)}（{name}）: {visible(text)}"))
    console.print(_verdict(draft))
    if draft.escalate:
        console.print(
            Text(
                f"⚠ escalate to a supervisor: {visible('; '.join(draft.escalation_reasons))}",
                style="bold magenta",
            )
        )


def _verdict(draft: Draft) -> Text:
    tries = counted(len(draft.attempts), "attempt")
    # llama.cpp's server sends no usage with streamed answers: say so rather than "0 tokens"
    tokens = f"{draft.usage.total_tokens} tokens" if draft.usage.total_tokens else "tokens not reported"
    context = (
        f"(scenario: {draft.scenario} from {draft.scenario_source}, channel: {draft.channel}, "
        f"strategy: {draft.strategy}, model: {visible(draft.model)}, {tokens}, {draft.latency_s:.1f} s)"
    )
    if draft.passed:
        return Text.assemble(("✓ passed", "bold green"), f" after {tries} {context}")
    blocking = counted(len(draft.report.blocking), "blocking finding")
    return Text.assemble(("✗ still violates", "bold red"), f" after {tries}: {blocking} {context}")
