"""Eval cases as data: the bundled suite's coverage, loading errors, and the TOML writer."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from evals.cases import CaseError, EvalCase, dump_cases, load_cases
from guards import CHANNELS, SCENARIOS


def _intended_scenario(case: EvalCase) -> str:
    if case.scenario != "auto":
        return case.scenario
    named = [str(e.value) for e in case.expect if e.type == "scenario"]
    assert named, f"{case.id}: an auto-scenario case names its scenario with a `scenario` expectation"
    return named[0]


def test_bundled_suite_covers_the_issue() -> None:
    cases = load_cases()
    assert len(cases) >= 80
    scenarios = Counter(_intended_scenario(c) for c in cases)
    assert set(scenarios) == set(SCENARIOS), scenarios
    assert set(Counter(c.channel for c in cases)) == set(CHANNELS)
    kinds = Counter(c.kind for c in cases)
    assert kinds["rewrite"] >= 10 and kinds["draft"] >= 60
    assert all(c.origin.strip() and c.expect for c in cases)


def test_bundled_suite_has_the_hard_kinds_of_input() -> None:
    cases = load_cases()
    messages = [c.message or "" for c in cases]
    assert sum("忽略" in m or "Ignore all previous" in m for m in messages) >= 2  # injection
    assert any("12315" in m for m in messages) and any("律师" in m for m in messages)
    assert any("媒体" in m for m in messages) and any("微博" in m for m in messages)
    assert sum(m.isascii() and m.strip() != "" for m in messages) >= 4  # English customers
    assert any("們" in m or "麼" in m for m in messages)  # Traditional Chinese
    assert any(len(m) > 400 for m in messages)  # very long
    assert any(c.history for c in cases)  # repeated complaints over several turns
    escalations = [c for c in cases if any(e.type == "escalation-flagged" for e in c.expect)]
    assert len(escalations) >= 6


def _write(tmp_path: Path, text: str, name: str = "cases.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD_CASE = """
[[case]]
id = "a-01"
origin = "test"
message = "你好"
[[case.expect]]
type = "guards-pass"
"""


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[[case]\nid=", "invalid TOML"),
        ('[[case]]\nid = "Bad_Id"\norigin = "x"\nmessage = "m"\n', "case Bad_Id: id:"),
        (
            '[[case]]\nid = "a-1"\norigin = "x"\nmessage = "m"\ncolour = "red"\n',
            "case a-1: colour: Extra inputs",
        ),
        ('[[case]]\nid = "a-1"\norigin = "x"\n', "case a-1: a draft case needs a customer `message`"),
        ('[[case]]\nid = "a-1"\nkind = "rewrite"\norigin = "x"\n', "needs the agent's rough reply"),
        ('[[case]]\nid = "a-1"\norigin = "x"\nmessage = "m"\nchannel = "fax"\n', "case a-1: channel:"),
        (
            '[[case]]\nid = "a-1"\norigin = "x"\nmessage = "m"\n[[case.expect]]\ntype = "polite"\n',
            "case a-1: expect.0.type: unknown expectation type 'polite'",
        ),
        ('[[case]]\nid = "a-1"\nmessage = "m"\n', "case a-1: origin: Field required"),
        ('title = "x"\n', "unknown top-level key 'title'"),
    ],
)
def test_errors_name_the_file_and_the_case(tmp_path: Path, text: str, fragment: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(CaseError) as caught:
        load_cases([path])
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert fragment in message
    assert "\n" not in message


def test_duplicate_ids_across_files_are_refused(tmp_path: Path) -> None:
    _write(tmp_path, GOOD_CASE, "one.toml")
    _write(tmp_path, GOOD_CASE, "two.toml")
    with pytest.raises(CaseError, match="case a-01: duplicate id"):
        load_cases([tmp_path])


def test_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CaseError, match="no such case file"):
        load_cases([tmp_path / "nope.toml"])


def test_dump_and_load_round_trip(tmp_path: Path) -> None:
    cases = [
        EvalCase.model_validate(
            {
                "id": "feedback-01",
                "origin": "👎 feedback on a draft: “不知道”",
                "message": "第一行\n第二行：“引号”和 \\ 反斜杠",
                "scenario": "complaint",
                "channel": "phone",
                "address_as": "张先生",
                "facts": {"订单号": "202311230001"},
                "history": [{"role": "customer", "text": "之前说过了"}],
                "expect": [
                    {"type": "guards-pass"},
                    {"type": "not-contains-any", "value": ["全额退款", "保证"]},
                    {"type": "length", "max": 300},
                ],
            }
        ),
        EvalCase.model_validate(
            {"id": "rewrite-01", "kind": "rewrite", "origin": "x", "agent_text": "稍等。", "tone": "电商"}
        ),
    ]
    text = dump_cases(cases)
    assert text.startswith("[[case]]")
    path = _write(tmp_path, text)
    assert load_cases([path]) == cases


def test_dump_leaves_defaults_out() -> None:
    text = dump_cases([EvalCase(id="a-1", origin="x", message="m")])
    assert "channel" not in text and "tone" not in text and 'kind = "draft"' in text
