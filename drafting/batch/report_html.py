"""The HTML report: totals, then each row side by side, before and after, differences marked.

Each character of the original is marked when the rewrite deleted or replaced it (and when a
finding covers it); each character of the rewrite when it is new (or a finding covers it).
Runs of equally marked characters become one <span>. One self-contained page, no scripts.
`write_report` writes the report as this page or as the Markdown summary.
"""

from __future__ import annotations

import difflib
import functools
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2

from drafting.batch.atomic import replace_atomically, temporary_path
from drafting.batch.report import STDOUT, Detail, Report
from drafting.errors import InputError
from guards import Violation

# Texts longer than this are shown without a character diff (difflib is quadratic).
_MAX_DIFF_CHARS = 6000


@dataclass(frozen=True)
class Segment:
    """A run of text with the same marks: changed (deleted/inserted) and/or inside a finding."""

    text: str
    changed: bool
    finding: bool
    change_class: str = "del"

    @property
    def classes(self) -> str:
        """The CSS classes of the segment ('' when unmarked)."""
        return " ".join(c for c, on in ((self.change_class, self.changed), ("hit", self.finding)) if on)


def changed_chars(before: str, after: str) -> tuple[list[bool], list[bool]]:
    """Which characters of the original the rewrite removed, and which of the rewrite are new."""
    removed = [False] * len(before)
    added = [False] * len(after)
    if len(before) + len(after) <= _MAX_DIFF_CHARS:
        matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag != "equal":
                removed[i1:i2] = [True] * (i2 - i1)
                added[j1:j2] = [True] * (j2 - j1)
    return removed, added


def segments(
    text: str, changed: Sequence[bool], violations: Sequence[Violation], change_class: str
) -> list[Segment]:
    """`text` cut where its marks change."""
    inside = [False] * len(text)
    for v in violations:
        inside[max(0, v.start) : max(0, v.end)] = [True] * (max(0, v.end) - max(0, v.start))
    out: list[Segment] = []
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or (changed[i], inside[i]) != (changed[start], inside[start]):
            out.append(Segment(text[start:i], changed[start], inside[start], change_class))
            start = i
    return out


@dataclass(frozen=True)
class ShownRow:
    """A detail row ready for the template."""

    detail: Detail
    before: list[Segment]
    after: list[Segment]


def shown(detail: Detail) -> ShownRow:
    """A detail with both texts cut into marked segments."""
    if detail.rewritten:
        removed, added = changed_chars(detail.original, detail.rewritten)
    else:
        removed, added = [False] * len(detail.original), []
    return ShownRow(
        detail,
        segments(detail.original, removed, detail.before, "del"),
        segments(detail.rewritten, added, detail.after, "ins"),
    )


@functools.cache
def _template() -> jinja2.Template:
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return environment.from_string(_PAGE)


def render_html(report: Report) -> str:
    """The whole report as one HTML page."""
    return _template().render(
        r=report,
        order=report.status_order,
        rewrite=report.mode == "rewrite",
        rules=report.sorted_rules(),
        scenarios=report.scenario_rows(),
        rows=[shown(d) for d in report.details],
    )


def write_report(report: Report, target: str) -> None:
    """Write the report to `target`: .html, .md/.markdown, or '-' (Markdown on stdout)."""
    if target == STDOUT:
        sys.stdout.write(report.markdown())
        return
    path = Path(target)
    writers = {
        ".html": render_html,
        ".htm": render_html,
        ".md": Report.markdown,
        ".markdown": Report.markdown,
    }
    render = writers.get(path.suffix.lower())
    if render is None:
        raise InputError(f"cannot tell the report format of {target}", hint="end it in .html or .md")
    temporary = temporary_path(path)
    try:
        temporary.write_text(render(report), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {target}: {(exc.strerror or str(exc)).lower()}") from None
    replace_atomically(temporary, path)


_PAGE = """{% macro span(s) %}{% if s.classes %}<span class="{{ s.classes }}">{{ s.text }}</span>
{%- else %}{{ s.text }}{% endif %}{% endmacro -%}
{% macro findings(items) %}{% if items %}<ul class="findings">{% for v in items %}<li>
{{ "⛔" if v.severity == "block" else "⚠" }} <code>{{ v.rule_id }}</code> 「{{ v.match }}」 {{ v.message }}
{% if v.suggestion %}→ {{ v.suggestion }}{% endif %}</li>{% endfor %}</ul>{% endif %}{% endmacro -%}
<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{{ r.title }}</title>
<style>
body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.3em .6em;
vertical-align:top;text-align:left}th{background:#f3f3f3}.num{text-align:right}
.row td.text{width:45%;white-space:pre-wrap;line-height:1.6}
.del{background:#fdd;text-decoration:line-through}.ins{background:#dfd}
.hit{border-bottom:2px solid #c00}.status-clean,.status-rewritten{color:#070}
.status-violates,.status-still_violates,.status-error{color:#b00}
ul.findings{margin:.3em 0 0;padding-left:1.2em;font-size:.9em;color:#555}
</style></head><body>
<h1>{{ r.title }}</h1>
<ul>{% for name, value in r.facts.items() %}<li>{{ name }}: {{ value }}</li>{% endfor %}</ul>
<h2>Totals</h2>
<table><tr><th>rows</th>{% for s in order %}<th>{{ s }}</th>{% endfor %}</tr>
<tr><td class="num">{{ r.rows }}</td>{% for s in order %}<td class="num">{{ r.statuses[s] }}</td>
{% endfor %}</tr></table>
<h2>Per rule</h2>
{% if rules %}<table><tr><th>rule</th><th>category</th><th>severity</th><th>message</th>
{% if rewrite %}<th>before</th><th>after</th>{% else %}<th>rows</th>{% endif %}</tr>
{% for rule in rules %}<tr><td><code>{{ rule.rule_id }}</code></td><td>{{ rule.category }}</td>
<td>{{ rule.severity }}</td><td>{{ rule.message }}</td><td class="num">{{ rule.before }}</td>
{% if rewrite %}<td class="num">{{ rule.after }}</td>{% endif %}</tr>{% endfor %}</table>
{% else %}<p>No findings.</p>{% endif %}
<h2>Per scenario</h2>
<table><tr><th>scenario</th><th>rows</th>{% for s in order %}<th>{{ s }}</th>{% endfor %}</tr>
{% for name, counts in scenarios %}<tr><td>{{ name }}</td><td class="num">{{ counts.values()|sum }}</td>
{% for s in order %}<td class="num">{{ counts[s] }}</td>{% endfor %}</tr>{% endfor %}</table>
{% if r.bad_total %}<h2>Bad rows ({{ r.bad_total }})</h2>
<table><tr><th>row</th><th>id</th><th>reason</th></tr>
{% for b in r.bad_rows %}<tr><td class="num">{{ b.number }}</td><td>{{ b.id or "" }}</td>
<td>{{ b.reason }}</td></tr>{% endfor %}</table>
{% if r.bad_total > r.bad_rows|length %}<p>… and {{ r.bad_total - r.bad_rows|length }} more
(see the output file).</p>{% endif %}{% endif %}
<h2>Rows with findings ({{ r.detail_total }})</h2>
{% if r.detail_total > rows|length %}<p>The first {{ rows|length }} are shown; every row is in the
output file.</p>{% endif %}
<table class="row"><tr><th>row</th><th>before</th>{% if rewrite %}<th>after</th>{% endif %}</tr>
{% for row in rows %}{% set d = row.detail %}<tr class="row">
<td>{{ d.number }}{% if d.id %}<br>id {{ d.id }}{% endif %}<br>{{ d.scenario }}<br>
<b class="status-{{ d.status }}">{{ d.status }}</b></td>
<td class="text">{% for s in row.before %}{{ span(s) }}{% endfor %}{{ findings(d.before) }}</td>
{% if rewrite %}<td class="text">{% for s in row.after %}{{ span(s) }}{% endfor %}{{ findings(d.after) }}
{% if d.error %}<p class="status-error">{{ d.error }}</p>{% endif %}</td>{% endif %}
</tr>{% endfor %}</table>
</body></html>
"""
