"""Policy patterns cannot hang a check: validation rejects the usual culprits, a timeout the rest."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import regex

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


@pytest.mark.parametrize(
    ("pattern", "starts_with_letter"),
    [
        ("(?i:(sorry|apologi[sz]e|apologies|regret))", True),
        ("(?i:(we|i) (have|已) (your|the) (order|record))", True),
        ("(?i:check with [^.!?]{0,40}yourself)", True),
        ("(?:a|(b|c))d", True),
        ("(您|sorry)", False),  # one alternative starts with a Chinese character
        ("abc|数", False),
        ("(?i:(a|b)|数)", False),
        ("(sorry)?您", False),  # the group may be skipped
        ("a?b", False),
        ("x{0,2}y", False),
        ("[a-z]+", False),  # a class, not a letter written plainly
        ("\\w+", False),
        ("(?:a|(b|[(]))d", False),
        ("(?<=x)y", False),
        ("", False),
    ],
)
def test_a_pattern_starts_with_a_latin_letter_only_when_every_match_must(
    pattern: str, starts_with_letter: bool
) -> None:
    from guards.patterns import starts_with_latin_letter

    assert starts_with_latin_letter(pattern) is starts_with_letter


@pytest.mark.parametrize(
    "text",
    [
        "非常理解您的感受，给您带来不便非常抱歉。",
        "Sorry for the trouble, 我们非常理解您的心情。",
        "I understand how frustrating this is.",
        "订单号SF1234567890，给您带来不便了。",
    ],
)
def test_english_cues_are_left_out_only_where_they_cannot_match(text: str) -> None:
    """A cue list with English cues finds the same in any text as the plain alternation."""
    from guards.patterns import PolicyPattern

    cues = ["理解", "(?i:(understand|frustrat))", "抱歉", "(?i:(sorry|apologi[sz]e))", "不便"]
    pattern = PolicyPattern.of("cues", cues)
    assert pattern is not None and pattern.without_latin is not None
    plain = regex.compile("|".join(f"(?:{c})" for c in cues))
    assert [m.span() for m in pattern.finditer(text)] == [m.span() for m in plain.finditer(text)]
    assert [m.group() for m in pattern.finditer(text)]  # every text has a cue


def test_the_prefilter_rules_out_cue_lists_absent_from_the_reply() -> None:
    """The structure and privacy cues are scanned with the phrase rules; absent ones are not searched."""
    compiled = guards.default_compiled()
    assert "missing_structure.record_known" in compiled.prefiltered_cues

    def ruled_out(text: str) -> frozenset[str]:
        return compiled.ruled_out(compiled.prefilter.candidates(text))

    assert "missing_structure.record_known" in ruled_out("非常抱歉给您带来不便。")
    assert "missing_structure.record_known" not in ruled_out("您的订单我这边已经查到了。")
    assert "privacy.other_customer_cues" not in ruled_out("隔壁的王先生也买了。")
    assert compiled.ruled_out(None) == frozenset()
    # Ruled out or not, the findings are those of searching every cue.
    unfiltered = guards.compile_policy(guards.default_policy(), prefilter=False)
    for text in ("非常抱歉给您带来不便。", "您的订单我这边已经查到了，请您放心。"):
        with_prefilter = guards.check(text, scenario="after_sales").violations
        assert with_prefilter == guards.check(text, scenario="after_sales", policy=unfiltered).violations
        assert with_prefilter  # a reply this short misses part of the structure
