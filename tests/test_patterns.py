"""Policy patterns cannot hang a check: validation rejects the usual culprits, a timeout the rest."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import guards
from guards.patterns import SEARCH_TIMEOUT_S

META = '[meta]\nname = "acme"\nversion = "1"\n'


def company_rule(tmp_path: Path, pattern: str) -> Path:
    path = tmp_path / "acme.toml"
    path.write_text(
        META
        + "[[forbidden_phrase]]\n"
        + 'id = "acme.slow"\nseverity = "block"\n'
        + f"patterns = ['{pattern}']\n"
        + 'message = "m"\nsource = { file = "acme.txt", line = "l" }\n',
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("pattern", "says"),
    [
        ("", "matches the empty string"),
        ("(好)?", "matches the empty string"),
        ("a*", "matches the empty string"),
        ("(a+)+$", "a repeated group holds a repeat"),
        ("(好|很好*)*啊", "a repeated group holds a repeat"),
        ("x(\\\\d{2,})+y", "a repeated group holds a repeat"),
    ],
)
def test_validation_rejects_patterns_that_match_nothing_or_backtrack_without_end(
    tmp_path: Path, pattern: str, says: str
) -> None:
    with pytest.raises(guards.PolicyError, match=r"acme\.slow") as raised:
        guards.load_policy(company_rule(tmp_path, pattern))
    assert says in str(raised.value)


def test_a_runaway_pattern_stops_the_check_with_an_error_naming_its_rule(tmp_path: Path) -> None:
    # (a|aa)+$ has no repeat inside its repeated group, so validation lets it through; on a run
    # of a's that cannot end the text it backtracks exponentially. The text does end in a match,
    # so the prefilter lets the rule run.
    policy = guards.compile_policy(guards.load_policy(company_rule(tmp_path, "(a|aa)+$")))
    started = time.monotonic()
    with pytest.raises(guards.PatternTimeout, match=r"acme\.slow"):
        guards.check("a" * 40 + "b" + "a", policy=policy)
    assert time.monotonic() - started < 20 * SEARCH_TIMEOUT_S


def test_built_in_patterns_are_trusted_and_company_patterns_are_timed() -> None:
    compiled = guards.default_compiled()
    builtin = guards.default_policy().forbidden_phrase[0]
    from guards.patterns import PolicyPattern

    assert PolicyPattern.one("x", builtin.patterns[0]).timeout is None
    assert PolicyPattern.one("x", "公司自己的(词|句)").timeout == SEARCH_TIMEOUT_S
    assert compiled.policy is guards.default_policy()
