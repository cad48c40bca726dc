"""The phrase prefilter is exact: a pattern never matches a text lacking its required strings."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import guards
from guards.literals import StringIndex, max_width, required_strings, search_start, skip_ahead
from guards.text import fold, normalize_pattern, strip_invisible

# The seed documents: $HUASHU_SEEDS_DIR, else ../shared/seeds beside the repository.
SEEDS = Path(os.environ.get("HUASHU_SEEDS_DIR") or Path(__file__).resolve().parents[2] / "shared" / "seeds")
TABLES = [
    Path(__file__).with_name(name)
    for name in ("test_forbidden_phrase.py", "test_blame_or_argue.py", "test_tone.py")
]


def corpus() -> list[str]:
    """Every line of the five seed documents and every reply in the guard tables, normalised."""
    lines = [
        line for path in sorted(SEEDS.glob("*.txt")) for line in path.read_text(encoding="utf-8").splitlines()
    ]
    quoted = [
        m.group(1) for path in TABLES for m in re.finditer(r'Case\(\s*f?"([^"]+)"', path.read_text("utf-8"))
    ]
    return [fold(strip_invisible(line)) for line in [*lines, *quoted] if line.strip()]


def policy_patterns() -> list[str]:
    """Every phrase-rule pattern of the default policy, normalised as the matcher uses it."""
    policy = guards.default_policy()
    rules = [
        *policy.forbidden_phrase,
        *policy.blame_or_argue,
        *policy.unkeepable_promise.phrases,
        *policy.tone.phrases,
    ]
    return [normalize_pattern(p) for rule in rules for p in rule.patterns]


@pytest.mark.skipif(not SEEDS.is_dir(), reason="seed documents not available")
def test_no_pattern_matches_without_its_required_strings() -> None:
    texts = corpus()
    checked = 0
    for pattern in policy_patterns():
        needs = required_strings(pattern)
        if needs is None:
            continue
        regex = re.compile(pattern)
        for text in texts:
            if regex.search(text):
                checked += 1
                assert any(s in text for s in needs), (pattern, text)
    assert checked > 100  # the corpus really exercises the patterns


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("不知道", {"不知道"}),
        ("(请|麻烦)?(您)?稍(等|候)", {"稍等", "稍候"}),
        ("(?<![我们])你(?!们)", {"你"}),
        ("(?i:ho){2,}", None),
        ("(?i:稍等)", {"稍等"}),
        ("难道[^。]{0,12}(吗|么)", {"难道"}),
        ("\\d+", None),
        ("(如果)?", None),
    ],
)
def test_required_strings(pattern: str, expected: set[str] | None) -> None:
    assert required_strings(pattern) == (frozenset(expected) if expected is not None else None)


def test_string_index_counts_prefixes_and_overlaps() -> None:
    index = StringIndex(
        [frozenset({"ab"}), frozenset({"abcd"}), None, frozenset({"自己"}), frozenset({"您自己"})]
    )
    assert index.scan("abcd").present == {0, 1, 2}
    assert index.scan("abce").present == {0, 2}
    assert index.scan("请您自己看").present == {2, 3, 4}
    assert index.scan("zzz").present == {2}


def test_string_index_without_strings() -> None:
    assert StringIndex([]).scan("任何文字").present == frozenset()
    assert StringIndex([None]).scan("").present == {0}


def test_string_index_scan_reports_every_start() -> None:
    index = StringIndex([frozenset({"不知道"}), frozenset({"知道"})])
    hits = index.scan("我不知道，你知道吗")
    assert hits.present == {0, 1}
    assert hits.positions == [1, 2, 6]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("不知道", 3),
        ("(?<![们迷])你(?!们)", 1),
        ("不知道[^，]{0,5}", 8),
        ("(保证|确保)(今天|明天)?解决", 6),
        ("呵呵+", None),
        ("没(办法)*", None),
    ],
)
def test_max_width(pattern: str, expected: int | None) -> None:
    assert max_width(pattern) == expected


@pytest.mark.parametrize(
    ("positions", "reach", "resume", "expected"),
    [
        ([10, 30], 4, 0, 6),  # jump to just before the first required string
        ([10, 30], 4, 8, 8),  # never before where the search resumes
        ([10, 30], 4, 11, 26),  # strings before `resume` cannot be in a later match
        ([10, 30], 4, 31, None),  # none left: no match is possible
        ([10, 30], None, 11, 11),  # unbounded width: search on from `resume`
        ([2], 5, 0, 0),
    ],
)
def test_search_start(positions: list[int], reach: int | None, resume: int, expected: int | None) -> None:
    assert search_start(positions, reach, resume) == expected


@pytest.mark.parametrize(
    ("pattern", "first"),
    [
        ("(?<![我们])没(有)?办法", "没"),
        ("(您|你)?(自己|自行)看", "你您自"),
        ("(?:a|b*)c", "abc"),
        ("(?i:一|二)天", "一二"),
        ("(?P<u0>不知道)|(?P<u1>(?<!我)没办法)", "不没"),
        ("(?>呵)+|嘿{2,}", "呵嘿"),
        ("(?:如)?[若假]", "假如若"),
    ],
)
def test_skip_ahead_starts_with_the_first_characters(pattern: str, first: str) -> None:
    rewritten = skip_ahead(pattern)
    assert rewritten == f"[{first}](?<=(?={pattern}).)"


@pytest.mark.parametrize(
    "pattern",
    [
        "不知道",  # a plain character already lets re skip ahead
        "[您你]自己",
        "(?:您|你)自己",  # literal-first branches too
        "\\d+天",  # a category: first characters unknown
        "[^，。]稍等",  # a negated class
        "(?i)ok",  # inline global flags cannot move into the lookaround
        "(?i:ok)",  # letters with case under IGNORECASE
    ],
)
def test_skip_ahead_leaves_other_patterns_alone(pattern: str) -> None:
    assert skip_ahead(pattern) == pattern


@pytest.mark.skipif(not SEEDS.is_dir(), reason="seed documents not available")
def test_skip_ahead_finds_the_same_matches_as_the_pattern() -> None:
    """From every place a non-empty match is found, the rewrite finds it too, with the same groups."""
    policy = guards.default_policy()
    rules = [*policy.forbidden_phrase, *policy.blame_or_argue, *policy.unkeepable_promise.phrases]
    unless = ["|".join(normalize_pattern(u) for u in rule.unless) for rule in rules if rule.unless]
    texts = corpus()
    rewritten_count = compared = 0
    for pattern in [*policy_patterns(), *unless]:
        # Group 1 spans the pattern's match in both (the rewrite's own match is one character).
        original, rewritten = re.compile(f"({pattern})"), re.compile(skip_ahead(f"({pattern})"))
        rewritten_count += original.pattern != rewritten.pattern
        for text in texts:
            for position in [0, *(m.start() for m in original.finditer(text))]:
                expected = original.search(text, position)
                if expected is None or expected.end() == expected.start():
                    continue
                found = rewritten.search(text, position)
                assert found is not None and found.groups() == expected.groups(), (pattern, text)
                assert found.span(1) == expected.span(1)
                compared += 1
    assert rewritten_count > 20 and compared > 500  # the rewrite really applies, and is exercised
