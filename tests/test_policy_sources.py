"""Every rule of the default policy traces back to a real line of the five seed documents."""

from __future__ import annotations

import os
import re
import tomllib
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

import guards
from guards.loader import default_policy_text

# The web dump of 001 carries pinyin after some characters: 兌現(xiàn).
_PINYIN = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)")
_WHITESPACE = re.compile(r"\s+")
SEED_COUNT = 5


def seeds_dir() -> Path:
    """The seed documents: $HUASHU_SEEDS_DIR, else ../shared/seeds beside the repository."""
    configured = os.environ.get("HUASHU_SEEDS_DIR")
    return Path(configured) if configured else Path(__file__).resolve().parents[2] / "shared" / "seeds"


def comparable(text: str) -> str:
    """Text as compared: NFKC, no whitespace, no pinyin artefacts."""
    return _PINYIN.sub("", _WHITESPACE.sub("", unicodedata.normalize("NFKC", text)))


class Citation(NamedTuple):
    """One `source` of the policy file: where it is and what it quotes."""

    where: str
    file: str
    line: str


def citations(node: Any, where: str = "") -> Iterator[Citation]:
    """Every {file, line} table in the raw policy data, with its path."""
    if isinstance(node, dict):
        if set(node) == {"file", "line"}:
            yield Citation(where, node["file"], node["line"])
            return
        for key, value in node.items():
            label = node.get("id") or node.get("topic") or node.get("scenario")
            yield from citations(value, f"{where}[{label}].{key}" if label else f"{where}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from citations(item, f"{where}[{index}]")


@pytest.fixture(scope="module")
def seeds() -> dict[str, str]:
    """The seed documents by file name, normalised for comparison."""
    directory = seeds_dir()
    if not directory.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"seed documents not found at {directory} (set HUASHU_SEEDS_DIR)")
        pytest.skip(f"seed documents not found at {directory}; set HUASHU_SEEDS_DIR to check sources")
    return {p.name: comparable(p.read_text(encoding="utf-8")) for p in sorted(directory.glob("*.txt"))}


POLICY_DATA = tomllib.loads(default_policy_text())
CITATIONS = list(citations(POLICY_DATA))


def test_there_are_five_seed_documents(seeds: dict[str, str]) -> None:
    assert len(seeds) == SEED_COUNT


@pytest.mark.parametrize("citation", CITATIONS, ids=[c.where.lstrip(".") for c in CITATIONS])
def test_source_is_a_real_quote(seeds: dict[str, str], citation: Citation) -> None:
    assert citation.file in seeds, f"{citation.where}: no seed document named {citation.file}"
    quoted = comparable(citation.line)
    assert quoted, f"{citation.where}: empty quote"
    assert quoted in seeds[citation.file], f"{citation.where}: not found in {citation.file}: {citation.line}"


def test_every_seed_document_is_cited(seeds: dict[str, str]) -> None:
    cited = {c.file for c in CITATIONS}
    assert set(seeds) <= cited, f"never cited: {sorted(set(seeds) - cited)}"


def test_citations_cover_every_kind_of_entry() -> None:
    policy = guards.default_policy()
    kinds = {c.where.lstrip(".").split("[")[0].split(".")[0] for c in CITATIONS}
    expected = {
        "forbidden_phrase",
        "blame_or_argue",
        "unkeepable_promise",
        "tone",
        "privacy",
        "missing_structure",
        "escalation",
        "model_phrases",
        "decisions",
        "not_enforced",
    }
    assert expected <= kinds
    cited_rules = {label for c in CITATIONS for label in re.findall(r"\[([a-z][\w.-]*)\]", c.where)}
    assert set(policy.rule_ids()) <= cited_rules, "every rule carries its own source"


def test_normalisation_removes_pinyin_and_whitespace() -> None:
    assert comparable("兌現(xiàn) 承諾\n") == "兌現承諾"
    assert comparable("（全角）ＡＢ") == "(全角)AB"
    assert comparable("我们(women)") == "我们"


def rules_by_category(policy: guards.Policy) -> dict[str, list[str]]:
    """Rule ids of the policy per guard category."""
    return {
        "forbidden_phrase": [r.id for r in policy.forbidden_phrase],
        "blame_or_argue": [r.id for r in policy.blame_or_argue],
        "unkeepable_promise": [r.id for r in policy.unkeepable_promise.phrases]
        + [c.id for c in policy.unkeepable_promise.commitments],
        "tone": [r.id for r in policy.tone.phrases]
        + [policy.tone.exclamation.id, policy.tone.repeated_punctuation.id, policy.tone.all_caps.id],
        "privacy": [r.id for r in policy.privacy.rules],
        "missing_structure": [e.id for e in policy.missing_structure.elements],
    }


def test_every_category_has_rules() -> None:
    by_category = rules_by_category(guards.default_policy())
    assert set(by_category) == set(guards.CATEGORIES)
    assert all(by_category.values()), {c: ids for c, ids in by_category.items() if not ids}
    assert sum(len(ids) for ids in by_category.values()) == len(guards.default_policy().rule_ids())


def test_every_privacy_kind_has_a_rule() -> None:
    kinds = {r.kind for r in guards.default_policy().privacy.rules}
    assert kinds == {"mobile", "id_card", "bank_card", "email", "address", "other_customer"}


def test_every_structured_scenario_uses_defined_elements() -> None:
    section = guards.default_policy().missing_structure
    assert {s.scenario for s in section.scenarios} >= {"complaint", "after_sales", "urgent"}
