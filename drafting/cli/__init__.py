"""The `huashu` command line: one module per command group, registered here."""

from __future__ import annotations

import os
import sys
import traceback
from importlib.metadata import entry_points

import click

from drafting.cli.visible import visible
from drafting.errors import HuashuError
from guards import PolicyError

# Commands of packages that import drafting (`huashu eval` and `huashu feedback` in evals) register
# themselves through this entry-point group, so that drafting never imports them back.
COMMAND_ENTRY_POINTS = "huashu.commands"


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="huashu", prog_name="huashu")
def cli() -> None:
    """huashu（话术）: draft, rewrite and check Chinese customer-service replies.

    Every reply is checked against the service standards (forbidden phrases,
    unkeepable promises, blame, tone, privacy, required structure).
    """


def _register() -> None:
    from drafting.cli import (
        batch_cmd,
        check_cmd,
        draft_cmd,
        model_cmd,
        policy_cmd,
        rewrite_cmd,
        ui_cmd,
    )

    commands = (
        check_cmd,
        policy_cmd,
        model_cmd,
        draft_cmd,
        rewrite_cmd,
        batch_cmd,
        ui_cmd,
    )
    for module in commands:
        module.register(cli)
    for entry_point in entry_points(group=COMMAND_ENTRY_POINTS):
        entry_point.load()(cli)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI; expected errors become one line on stderr, never a traceback."""
    _register()
    try:
        result = cli.main(args=argv, prog_name="huashu", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("huashu: aborted", err=True)
        return 130
    except click.ClickException as exc:
        click.echo(f"huashu: error: {visible(exc.format_message())}", err=True)
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except (HuashuError, PolicyError) as exc:
        click.echo(f"huashu: error: {visible(str(exc))}", err=True)
        return exc.exit_code if isinstance(exc, HuashuError) else 2
    except KeyboardInterrupt:
        click.echo("huashu: interrupted", err=True)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if os.environ.get("HUASHU_DEBUG"):
            traceback.print_exc()
        click.echo(
            f"huashu: internal error: {type(exc).__name__}: {visible(str(exc))} "
            "(set HUASHU_DEBUG=1 for details)",
            err=True,
        )
        return 3
    return int(result) if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
