"""`huashu policy`: show every rule of a policy with its source, and validate a company's file."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path

import click

from drafting.cli.policy_view import RuleRow, commitment_rows, policy_view, rule_rows
from guards import CATEGORIES, Category, Policy, load_policy
from guards.policy import duration_label

_SHOW_EPILOG = """\b
Examples:
  huashu policy show
  huashu policy show --category forbidden_phrase
  huashu policy show --policy company.toml --format json > rules.json
  huashu policy show | grep -A5 fp.please_wait
"""

_VALIDATE_EPILOG = """\b
Examples:
  huashu policy validate company.toml      # → ok: 40 rules and 10 time commitments in company.toml (…)
  huashu check --policy company.toml -f reply.txt

\b
A company file is merged over the built-in policy: a rule with an existing id
changes only the fields it gives, a new id adds a rule, [meta] disable = ["id", …]
switches rules off, and [meta] extends = "none" starts from nothing. See docs/policy.md.
Exit status: 0 when the file is valid, 2 with a one-line error naming the field.
"""


def register(group: click.Group) -> None:
    """Add the `policy` command group to the `huashu` group."""
    group.add_command(policy_group)


@click.group("policy")
def policy_group() -> None:
    """Show the rules huashu enforces, and validate a company's policy file."""


@policy_group.command("show", epilog=_SHOW_EPILOG)
@click.option(
    "--policy", "policy_file", metavar="FILE", help="Show this policy file (merged over the default)."
)
@click.option("--category", type=click.Choice(CATEGORIES), help="Show only the rules of one category.")
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def show_command(policy_file: str | None, category: Category | None, output_format: str) -> int:
    """List every rule (id, category, severity, patterns, fix, source), the time commitments,
    the required structure per scenario, the decisions where the documents disagree and what
    is consciously not enforced."""
    policy = load_policy(policy_file)
    _SHOW_FORMATS[output_format](policy, category)
    return 0


@policy_group.command("validate", epilog=_VALIDATE_EPILOG)
@click.argument("file")
def validate_command(file: str) -> int:
    """Check a company's policy FILE: valid TOML, known fields, valid patterns, unique ids."""
    policy = load_policy(file)
    base = "merged over the built-in default" if _extends_default(file) else "complete, extends none"
    disabled = f"; {len(policy.meta.disable)} disabled" if policy.meta.disable else ""
    commitments = len(policy.unkeepable_promise.commitments)
    click.echo(
        f"ok: {len(rule_rows(policy))} rules and {commitments} time commitments in {file} "
        f"({policy.meta.name} {policy.meta.version}, {base}{disabled})"
    )
    return 0


def _extends_default(file: str) -> bool:
    """Whether the file itself (not the merged result) builds on the default policy."""
    meta = tomllib.loads(Path(file).read_text(encoding="utf-8")).get("meta", {})
    return not isinstance(meta, dict) or meta.get("extends", "default") == "default"


def _show_json(policy: Policy, category: Category | None) -> None:
    click.echo(json.dumps(policy_view(policy, category), ensure_ascii=False, indent=2))


def _show_text(policy: Policy, category: Category | None) -> None:
    meta = policy.meta
    click.echo(
        click.style(f"{meta.name} {meta.version}", bold=True)
        + (f" — {meta.description}" if meta.description else "")
    )
    rows = rule_rows(policy)
    click.echo(
        f"{len(rows)} rules, {len(policy.unkeepable_promise.commitments)} time commitments, "
        f"{len(policy.decisions)} decisions, {len(policy.not_enforced)} not enforced"
    )
    for name in CATEGORIES:
        if category in (None, name):
            _rules_block(name, [r for r in rows if r.category == name])
    if category in (None, "unkeepable_promise"):
        _commitments_block(policy)
    if category in (None, "missing_structure"):
        _structure_block(policy)
    if category is None:
        _decisions_block(policy)
        _not_enforced_block(policy)


_SHOW_FORMATS: dict[str, Callable[[Policy, Category | None], None]] = {"text": _show_text, "json": _show_json}


def _heading(title: str) -> None:
    click.echo()
    click.echo(click.style(f"== {title} ==", bold=True, fg="cyan"))


def _field(label: str, value: str) -> None:
    if value:
        click.echo(f"  {(label + ':').ljust(11)} {value}")


def _joined(items: Iterable[str]) -> str:
    return " | ".join(items)


def _rules_block(category: str, rows: list[RuleRow]) -> None:
    _heading(f"{category} ({len(rows)} rules)")
    for row in rows:
        severity_colour = "red" if row.severity == "block" else "yellow"
        click.echo(click.style(row.id, bold=True) + "  " + click.style(row.severity, fg=severity_colour))
        _field("detects", row.detects)
        _field("patterns", _joined(row.patterns))
        _field("unless", _joined(row.unless))
        _field("not when", ", ".join(row.not_when))
        _field("applies", row.scope)
        _field("message", row.message)
        _field("suggestion", f"→ {row.suggestion}" if row.suggestion else "")
        _field("source", row.source)
        _field("note", row.note)


def _commitments_block(policy: Policy) -> None:
    rows = commitment_rows(policy)
    _heading(f"time commitments ({len(rows)})")
    for c in policy.unkeepable_promise.commitments:
        usually = f", usually {duration_label(c.usually)}" if c.usually else ""
        default = " (default for the scenario)" if c.default_for_scenario else ""
        click.echo(click.style(c.id, bold=True) + f"  within {duration_label(c.within)}{usually}{default}")
        _field("scenario", c.scenario or "any")
        _field("channels", ", ".join(c.channels))
        _field("cue words", _joined(c.actions))
        _field("phrase", c.phrase)
        _field("source", str(c.source))
    deadlines = policy.unkeepable_promise.deadlines
    click.echo(click.style("deadline rules", bold=True))
    _field("too fast", f"{deadlines.too_fast_severity} (a shorter deadline than the commitment's)")
    _field("too slow", f"{deadlines.too_slow_severity} (a longer deadline than the commitment's)")
    _field("hedges", _joined(deadlines.hedges) + " (a hedged deadline is judged against `usually`)")
    _field("source", str(deadlines.source))
    compensation = policy.unkeepable_promise.authorized_compensation
    _field(
        "authorized compensation", _joined(compensation) or "(none: every compensation promise is flagged)"
    )


def _structure_block(policy: Policy) -> None:
    structure = policy.missing_structure
    _heading(f"required structure ({len(structure.scenarios)} scenarios)")
    for s in structure.scenarios:
        click.echo(click.style(s.scenario, bold=True) + f"  {' → '.join(s.elements)}")
        for detail in s.details:
            _field("asks for", f"{detail.name} (request cues: {_joined(detail.request)})")
        _field("source", str(s.source))
    _field("not a deadline", _joined(structure.vague_deadlines))


def _decisions_block(policy: Policy) -> None:
    _heading(f"decisions where the documents disagree ({len(policy.decisions)})")
    for d in policy.decisions:
        click.echo(click.style(d.topic, bold=True))
        _field("decision", d.decision)
        _field("reason", d.reason)
        for source in d.sources:
            _field("source", str(source))


def _not_enforced_block(policy: Policy) -> None:
    _heading(f"not enforced ({len(policy.not_enforced)})")
    for n in policy.not_enforced:
        click.echo(click.style(n.topic, bold=True))
        _field("reason", n.reason)
        _field("source", str(n.source))
