"""`huashu feedback export`: agents' 👍/👎 from the agent page as eval cases."""

from __future__ import annotations

from pathlib import Path

import click

from drafting.errors import InputError
from drafting.ui.feedback import FEEDBACK_DB_ENV, FeedbackStore, feedback_db_path

_RATINGS = {"all": ("up", "down"), "up": ("up",), "down": ("down",)}
_EPILOG = f"""\b
Examples:
  huashu feedback export                          # every record, TOML on stdout
  huashu feedback export --rating down -o evals/cases/feedback.toml
  huashu eval evals/cases/feedback.toml

\b
Each 👍/👎 saved on the agent page becomes one [[case]]: the customer's message (or the
agent's text for a rewrite) with its scenario, channel, facts and earlier turns, an origin
naming the rating, date and note, and expectations: guards-pass; escalation-flagged when
the customer threatened escalation; facts-preserved for rewrites; not-contains for flagged
phrases the agent removed; contains for suggested wordings the agent applied and kept.
The records are read from ${FEEDBACK_DB_ENV} (default: feedback.sqlite in the user data
directory).
"""


def register(group: click.Group) -> None:
    """Add the `feedback` command group to the `huashu` group."""
    group.add_command(feedback_group)


@click.group("feedback")
def feedback_group() -> None:
    """Agents' feedback on drafts (saved by the agent page)."""


@feedback_group.command("export", epilog=_EPILOG)
@click.option("-o", "--output", metavar="FILE", help="Write the cases to FILE (default: stdout).")
@click.option("--rating", type=click.Choice(list(_RATINGS)), default="all", show_default=True)
@click.option(
    "--db",
    "db_path",
    metavar="FILE",
    help=f"The feedback file (default: ${FEEDBACK_DB_ENV} or the user data dir).",
)
def export_command(output: str | None, rating: str, db_path: str | None) -> int:
    """Turn saved 👍/👎 feedback into eval cases (the evals/cases TOML format)."""
    from evals.cases import dump_cases
    from evals.feedback import feedback_cases

    path = Path(db_path).expanduser() if db_path else feedback_db_path()
    records = [r for r in FeedbackStore(path).records() if r.rating in _RATINGS[rating]]
    if not records:
        click.echo(
            f"huashu: no {'' if rating == 'all' else rating + ' '}feedback saved in {path} yet", err=True
        )
        return 0
    text = dump_cases(feedback_cases(records))
    if output is None:
        click.echo(text, nl=False)
        return 0
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{output}: cannot write the cases: {exc.strerror}") from None
    click.echo(f"huashu: wrote {len(records)} case{'s' * (len(records) != 1)} to {output}", err=True)
    return 0
