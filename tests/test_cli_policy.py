"""`huashu policy show|validate` through a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from guards import default_policy

ROOT = Path(__file__).resolve().parents[1]
COMPANY_POLICY = """
[meta]
name = "acme"
version = "2"
disable = ["fp.please_wait"]

[[forbidden_phrase]]
id = "acme.no_qin"
severity = "block"
patterns = ['亲']
message = "本公司不用“亲”称呼客户。"
suggestion = "您好"
source = { file = "acme-style.md", line = "称呼客户一律用“您”" }
"""


def huashu(*args: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m drafting.cli ARGS` and capture its output as text."""
    environment = {
        k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE"}
    }
    environment["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run(
        [sys.executable, "-m", "drafting.cli", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        env=environment,
        timeout=60,
        check=False,
    )


@pytest.fixture
def company_file(tmp_path: Path) -> Path:
    path = tmp_path / "acme.toml"
    path.write_text(COMPANY_POLICY, encoding="utf-8")
    return path


def commitment_ids() -> set[str]:
    return {c.id for c in default_policy().unkeepable_promise.commitments}


def test_show_text_lists_every_rule_with_source_and_the_other_sections() -> None:
    result = huashu("policy", "show")
    assert result.returncode == 0
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    policy = default_policy()
    for rule_id in policy.rule_ids():
        head = next((i for i, line in enumerate(lines) if line.split(" ")[0] == rule_id), None)
        assert head is not None, f"{rule_id} is not listed"
        block = lines[head + 1 : head + 12]
        assert any(line.strip().startswith("source:") for line in block), rule_id
    for heading in ["== time commitments", "== required structure", "== decisions", "== not enforced"]:
        assert any(line.startswith(heading) for line in lines), heading
    for decision in policy.decisions:
        assert decision.topic in lines
    for item in policy.not_enforced:
        assert item.topic in lines


def test_show_json_has_every_rule_field_and_section() -> None:
    result = huashu("policy", "show", "--format", "json")
    assert result.returncode == 0
    view = json.loads(result.stdout)
    policy = default_policy()
    rules = view["rules"]
    assert {r["id"] for r in rules} == set(policy.rule_ids()) - commitment_ids()
    for rule in rules:
        assert {"id", "category", "severity", "patterns", "suggestion", "source", "message"} <= set(rule)
        assert rule["source"].split(": ", 1)[0].endswith(".txt")
    by_id = {r["id"]: r for r in rules}
    assert by_id["up.absolute_guarantee"]["not_when"] == ["negated", "past", "condition"]  # what cancels it
    assert {c["id"] for c in view["commitments"]} == commitment_ids()
    assert {s["scenario"] for s in view["structure"]["scenarios"]} >= {"complaint", "after_sales", "urgent"}
    assert len(view["decisions"]) == len(policy.decisions)
    assert len(view["not_enforced"]) == len(policy.not_enforced)
    assert view["meta"]["name"] == policy.meta.name


def test_show_one_category() -> None:
    result = huashu("policy", "show", "--category", "forbidden_phrase", "--format", "json")
    assert result.returncode == 0
    view = json.loads(result.stdout)
    assert {r["category"] for r in view["rules"]} == {"forbidden_phrase"}
    assert {r["id"] for r in view["rules"]} == {r.id for r in default_policy().forbidden_phrase}
    assert "decisions" not in view and "commitments" not in view


def test_show_a_company_policy_merged_over_the_default(company_file: Path) -> None:
    result = huashu("policy", "show", "--policy", str(company_file), "--format", "json")
    assert result.returncode == 0
    view = json.loads(result.stdout)
    ids = {r["id"] for r in view["rules"]}
    assert "acme.no_qin" in ids and "fp.please_wait" not in ids and "fp.dont_know" in ids
    assert view["meta"]["name"] == "acme"


def test_validate_a_good_file_reports_the_rule_count(company_file: Path) -> None:
    result = huashu("policy", "validate", str(company_file))
    assert result.returncode == 0
    default_rules = len(default_policy().rule_ids()) - len(commitment_ids())
    # One rule added, one disabled.
    assert result.stdout.startswith(f"ok: {default_rules} rules and {len(commitment_ids())} time commitments")
    assert str(company_file) in result.stdout and "1 disabled" in result.stdout


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        ('[meta]\nname = "x"\nversion = "1"\ncolour = "red"\n', ["meta.colour", "unknown field"]),
        ("[meta\n", ["invalid TOML"]),
        (
            '[[forbidden_phrase]]\nid = "x.y"\nseverity = "block"\npatterns = ["(abc"]\n'
            'message = "m"\nsource = { file = "f", line = "l" }\n',
            ["forbidden_phrase[x.y].patterns[0]", "regular expression"],
        ),
        ('[meta]\nname = "x"\nversion = "1"\ndisable = ["fp.nope"]\n', ["meta.disable", "fp.nope"]),
    ],
)
def test_validate_a_bad_file_is_one_line_naming_file_and_field(
    tmp_path: Path, content: str, fragments: list[str]
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content, encoding="utf-8")
    result = huashu("policy", "validate", str(path))
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"huashu: error: {path}: ")
    assert all(fragment in line for fragment in fragments), line
    assert "Traceback" not in result.stderr


def test_validate_a_missing_file() -> None:
    result = huashu("policy", "validate", "no/such/policy.toml")
    assert result.returncode == 2
    assert result.stderr.strip() == "huashu: error: no/such/policy.toml: no such policy file"


def test_module_entry_point_lists_the_commands() -> None:
    result = huashu("--help")
    assert result.returncode == 0
    assert "check" in result.stdout and "policy" in result.stdout
    show_help = huashu("policy", "show", "--help")
    assert show_help.returncode == 0 and "Examples:" in show_help.stdout and "--category" in show_help.stdout
