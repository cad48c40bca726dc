"""The judgment benchmark (evals.accuracy, benchmarks/bench_accuracy.py) on project-written items."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

import guards
from evals.accuracy import (
    CHANNELS,
    JUDGED_CATEGORIES,
    SCENARIOS,
    Case,
    Prediction,
    evaluate,
    format_table,
    load_cases,
    load_labelled_items,
    natural_key,
    read_jsonl,
    score,
    select_cases,
    source_of,
    split_of,
    text_sha256,
)

REPO = Path(__file__).resolve().parents[1]
JUDGMENT = REPO / "evals" / "judgment"


def test_names_match_the_policy_model() -> None:
    assert JUDGED_CATEGORIES == guards.CATEGORIES
    assert SCENARIOS == guards.SCENARIOS
    assert CHANNELS == guards.CHANNELS


def test_precision_recall_f1_per_category_and_micro() -> None:
    scores = score(
        [
            (["tone"], ["tone"]),  # tp tone
            (["tone", "privacy"], ["tone"]),  # tp tone, fn privacy
            ([], ["forbidden_phrase"]),  # fp forbidden_phrase, a clean item flagged
            ([], []),  # a clean item left clean
            (["privacy"], ["privacy", "tone"]),  # tp privacy, fp tone
        ]
    )
    tone, privacy = scores.categories["tone"], scores.categories["privacy"]
    assert (tone.tp, tone.fp, tone.fn) == (2, 1, 0)
    assert tone.precision == pytest.approx(2 / 3)
    assert tone.recall == 1.0
    assert privacy.recall == 0.5
    assert privacy.f1 == pytest.approx(2 * 1.0 * 0.5 / 1.5)
    micro = scores.micro
    assert (micro.tp, micro.fp, micro.fn) == (3, 2, 1)
    assert micro.precision == pytest.approx(3 / 5)
    assert micro.recall == pytest.approx(3 / 4)
    assert (scores.clean_gold, scores.clean_kept) == (2, 1)
    assert scores.clean_kept_share == 0.5
    # Nothing predicted and nothing gold: undefined, not zero.
    assert scores.categories["missing_structure"].precision is None
    assert scores.categories["missing_structure"].recall is None


def test_unknown_category_is_an_error() -> None:
    with pytest.raises(ValueError, match="model_artifact"):
        score([(["tone"], ["model_artifact"])])


def test_table_shows_undefined_ratios_as_dashes() -> None:
    table = format_table(score([(["tone"], [])]), "t")
    assert "tone" in table and "0.00" in table
    assert "privacy" in table and "–" in table
    assert "clean items left clean: 0/0" in table


def test_split_depends_on_the_id_alone_and_is_about_a_third_test() -> None:
    ids = [f"w:{n:04d}" for n in range(2000)]
    assert [split_of(i) for i in ids] == [split_of(i) for i in ids]
    share = sum(split_of(i) == "test" for i in ids) / len(ids)
    assert 0.30 < share < 0.40


def test_ids_sort_with_numbers_as_numbers() -> None:
    ids = ["jddc:train:100", "w:002", "jddc:train:9", "stc3:test:41:3", "stc3:test:41:11"]
    assert sorted(ids, key=natural_key) == [
        "jddc:train:9",
        "jddc:train:100",
        "stc3:test:41:3",
        "stc3:test:41:11",
        "w:002",
    ]


def _label(item_id: str, text: str, categories: list[str], split: str = "dev") -> dict[str, object]:
    return {
        "id": item_id,
        "sha256": text_sha256(text),
        "split": split,
        "scenario": "consult",
        "channel": "online",
        "turn": "first",
        "categories": categories,
        "note": "",
    }


def test_labels_whose_text_changed_or_is_missing_are_reported_not_used() -> None:
    labels = [
        _label("jddc:train:1", "好的", []),
        _label("jddc:train:2", "原来的文字", []),
        _label("stc3:test:7:1", "没有重建", []),
    ]
    real = [{"id": "jddc:train:1", "text": "好的"}, {"id": "jddc:train:2", "text": "改过的文字"}]
    cases, problems = load_cases(labels, real, [])
    assert [c.id for c in cases] == ["jddc:train:1"]
    assert problems == [
        "jddc:train:2: the text no longer matches the label's sha256",
        "stc3:test:7:1: no text (rebuild the real items with build_set.py)",
    ]


def _case(item_id: str, gold: tuple[str, ...], split: str = "dev") -> Case:
    return Case(item_id, source_of(item_id), "t", "", (), "consult", "online", "first", gold, split)


def test_selection_and_evaluation_by_source() -> None:
    cases = [
        _case("jddc:train:1", ()),
        _case("stc3:test:1:1", ("tone",)),
        _case("w:001", ("privacy",)),
        _case("w:002", (), split="test"),
    ]
    assert [c.id for c in select_cases(cases, "dev", "real")] == ["jddc:train:1", "stc3:test:1:1"]
    assert [c.id for c in select_cases(cases, "test", "all")] == ["w:002"]
    assert [c.id for c in select_cases(cases, "all", "written")] == ["w:001", "w:002"]

    def predict(case: Case) -> Prediction:
        return Prediction(frozenset({"tone"}), ("tone.x",))

    scores, errors = evaluate(cases, predict)
    assert scores["real"].items == 2 and scores["written"].items == 2 and scores["all"].items == 4
    assert scores["real"].clean_kept_share == 0.0
    assert scores["all"].categories["tone"].tp == 1
    assert [c.id for c, _ in errors] == ["jddc:train:1", "w:001", "w:002"]


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_accuracy", REPO / "benchmarks" / "bench_accuracy.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_benchmark_runs_the_guards_on_a_tiny_written_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    written = [
        {
            "id": "w:1",
            "text": "这是规定，我们也没有办法。",
            "customer": "能退吗",
            "history": [],
            "channel": "online",
            "class": "wording",
        },
        {
            "id": "w:2",
            "text": "您好，这款保温杯目前有现货。",
            "customer": "有货吗",
            "history": [],
            "channel": "online",
        },
    ]
    labels = [
        _label("w:1", written[0]["text"], ["forbidden_phrase"]),  # type: ignore[arg-type]
        _label("w:2", written[1]["text"], []),  # type: ignore[arg-type]
    ]
    args = [
        "--labels", str(_write(tmp_path / "labels.jsonl", labels)),
        "--written", str(_write(tmp_path / "written.jsonl", written)),
        "--real", str(tmp_path / "absent.jsonl"),
        "--json", str(tmp_path / "scores.json"),
    ]  # fmt: skip
    assert _bench().main(args) == 0
    out = capsys.readouterr().out
    assert "forbidden_phrase" in out
    assert any(line.split()[:3] == ["wording", "1", "1"] for line in out.splitlines())  # class, items, exact
    scores = json.loads((tmp_path / "scores.json").read_text(encoding="utf-8"))
    assert scores["written"]["items"] == 2
    assert scores["written"]["categories"]["forbidden_phrase"]["tp"] == 1
    assert (scores["written"]["clean_gold"], scores["written"]["clean_kept"]) == (1, 1)


def test_benchmark_refuses_to_list_errors_on_the_test_split(capsys: pytest.CaptureFixture[str]) -> None:
    assert _bench().main(["--split", "test", "--errors"]) == 2
    assert "frozen" in capsys.readouterr().out


def test_committed_corpus_files_hold_no_corpus_text_and_valid_written_items() -> None:
    for row in read_jsonl(JUDGMENT / "manifest.jsonl"):
        assert set(row) <= {
            "id",
            "corpus",
            "file",
            "line",
            "dialogue",
            "turn",
            "sha256",
            "split",
            "selected_by",
        }
        assert row["split"] == split_of(row["id"])
    written = list(read_jsonl(JUDGMENT / "written.jsonl"))
    assert len({w["id"] for w in written}) == len(written) >= 300
    for item in written:
        assert item["scenario"] in SCENARIOS and item["channel"] in CHANNELS
        assert item["turn"] in ("first", "follow_up")
        assert set(item["intended"]) <= set(JUDGED_CATEGORIES)


def test_the_fresh_sets_are_well_formed_and_split_frozen_from_fresh() -> None:
    rows = list(read_jsonl(JUDGMENT / "fresh.jsonl"))
    cases = load_labelled_items(rows)
    assert len(cases) == len(rows) >= 800
    assert {c.source for c in cases} == {"fresh"}
    assert {c.split for c in cases} == {"dev", "test"}
    assert all(set(c.gold) <= set(JUDGED_CATEGORIES) for c in cases)
    assert all(c.scenario in SCENARIOS and c.channel in CHANNELS for c in cases)
    written = Case("w:1", "written", "好的。", "", (), "consult", "online", "follow_up", (), "test")
    assert select_cases([*cases, written], "test", "frozen") == [written]
    assert written not in select_cases([*cases, written], "test", "fresh")
