"""Judgment accuracy: the guards against the labelled corpus (issue 15), per category and per set.

    .venv/bin/python benchmarks/accuracy/build_set.py rebuild      # once: the real items, outside the repo
    .venv/bin/python benchmarks/bench_accuracy.py                   # dev split, all sources
    .venv/bin/python benchmarks/bench_accuracy.py --split test      # the frozen test split
    .venv/bin/python benchmarks/bench_accuracy.py --source real --errors   # dev mistakes to study

Each labelled reply is checked with its labelled scenario and channel, the customer's latest
message and (when `guards.check` accepts them) the earlier turns (`history=`) and, with
--tell-turn, whether it is the first reply (`turn=`). A reply is predicted positive for a
category when any finding of that category is present (--blocking-only: any blocking finding);
draft-only categories are ignored. Targets on the test split: micro P and R >= 0.90, every
category >= 0.85, >= 97% of clean real turns left clean (exit 1 under --check when missed).
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import guards
from evals.accuracy import (
    JUDGED_CATEGORIES,
    Case,
    Prediction,
    Scores,
    evaluate,
    format_table,
    load_cases,
    load_labelled_items,
    read_jsonl,
    select_cases,
)

JUDGMENT = Path(__file__).resolve().parents[1] / "evals" / "judgment"
SET_ORDER = ("jddc", "stc3", "real", "written", "fresh", "all")
TARGET_MICRO, TARGET_CATEGORY, TARGET_CLEAN_KEPT = 0.90, 0.85, 0.97


def make_predictor(tell_turn: bool, blocking_only: bool) -> Callable[[Case], Prediction]:
    """A function checking one case with today's `guards.check` (history/turn when it takes them)."""
    accepted = inspect.signature(guards.check).parameters

    def predict(case: Case) -> Prediction:
        kwargs: dict[str, Any] = {
            "scenario": case.scenario,
            "channel": case.channel,
            "customer": case.customer or None,
        }
        if "history" in accepted:
            kwargs["history"] = [{"speaker": who, "text": said} for who, said in case.history]
        if tell_turn and "turn" in accepted:
            kwargs["turn"] = case.turn
        report = guards.check(case.text, **kwargs)
        found = [v for v in report.violations if v.category in JUDGED_CATEGORIES]
        if blocking_only:
            found = [v for v in found if v.blocking]
        return Prediction(frozenset(v.category for v in found), tuple(sorted({v.rule_id for v in found})))

    return predict


def sets_table(scores: dict[str, Scores]) -> str:
    """One line per set: items, micro P/R/F1, clean items left clean."""
    lines = [f"{'set':<8} {'items':>5} {'micro P':>8} {'micro R':>8} {'F1':>5}  clean left clean"]
    for name in SET_ORDER:
        if name not in scores:
            continue
        s, micro = scores[name], scores[name].micro
        share = s.clean_kept_share
        kept = "–" if share is None else f"{s.clean_kept}/{s.clean_gold} ({share:.1%})"
        lines.append(
            f"{name:<8} {s.items:>5} {_ratio(micro.precision):>8} {_ratio(micro.recall):>8} "
            f"{_ratio(micro.f1):>5}  {kept}"
        )
    return "\n".join(lines)


def groups_table(cases: list[Case], errors: list[tuple[Case, Prediction]]) -> str:
    """Written items per class of issue 15: how many the guards got exactly right, missed or over-flagged."""
    wrong = {case.id: prediction for case, prediction in errors}
    lines = [f"{'written class':<16} {'items':>5} {'exact':>6} {'missed':>7} {'over-flagged':>13}"]
    for group in sorted({c.group for c in cases if c.source == "written"}):
        mine = [c for c in cases if c.source == "written" and c.group == group]
        missed = sum(bool(set(c.gold) - wrong[c.id].categories) for c in mine if c.id in wrong)
        over = sum(bool(wrong[c.id].categories - set(c.gold)) for c in mine if c.id in wrong)
        exact = sum(c.id not in wrong for c in mine)
        lines.append(f"{group:<16} {len(mine):>5} {exact:>6} {missed:>7} {over:>13}")
    return "\n".join(lines)


def _ratio(value: float | None) -> str:
    """Two decimals or a dash."""
    return "–" if value is None else f"{value:.2f}"


def missed_targets(scores: dict[str, Scores]) -> list[str]:
    """The issue-15 targets the overall scores miss."""
    overall, missed = scores["all"], []
    micro = overall.micro
    for name, value in (("micro precision", micro.precision), ("micro recall", micro.recall)):
        if value is not None and value < TARGET_MICRO:
            missed.append(f"{name} {value:.2f} < {TARGET_MICRO}")
    for category, counts in overall.categories.items():
        for name, value in (("P", counts.precision), ("R", counts.recall)):
            if value is not None and value < TARGET_CATEGORY:
                missed.append(f"{category} {name} {value:.2f} < {TARGET_CATEGORY}")
    real = scores.get("real")
    share = real.clean_kept_share if real else None
    if share is not None and share < TARGET_CLEAN_KEPT:
        missed.append(f"clean real turns left clean {share:.1%} < {TARGET_CLEAN_KEPT:.0%}")
    return missed


def print_errors(errors: list[tuple[Case, Prediction]]) -> None:
    """False positives and negatives, one block per reply."""
    for case, prediction in errors:
        gold = set(case.gold)
        fp = sorted(prediction.categories - gold)
        fn = sorted(gold - prediction.categories)
        print(f"\n{case.id}  [{case.scenario}/{case.channel}/{case.turn}]")
        print(f"  text: {case.text}")
        if case.customer:
            print(f"  customer: {case.customer}")
        print(f"  gold: {sorted(gold) or 'clean'}  predicted: {sorted(prediction.categories) or 'clean'}")
        print(
            f"  false positive: {fp or '-'}  false negative: {fn or '-'}  "
            f"rules: {', '.join(prediction.rules) or '-'}"
        )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=["dev", "test", "all"], default="dev")
    sources = ["real", "written", "frozen", "fresh", "jddc", "stc3", "all"]
    parser.add_argument("--source", choices=sources, default="all")
    parser.add_argument("--labels", type=Path, default=JUDGMENT / "labels.jsonl")
    parser.add_argument("--real", type=Path, default=Path("/work/corpus/real_items.jsonl"))
    parser.add_argument("--written", type=Path, default=JUDGMENT / "written.jsonl")
    parser.add_argument(
        "--fresh",
        type=Path,
        default=JUDGMENT / "fresh.jsonl",
        help="sets written and labelled by independent writers",
    )
    parser.add_argument(
        "--writers", default="", help="only the fresh items of these writers (their letters, e.g. mn)"
    )
    parser.add_argument("--tell-turn", action="store_true", help="pass the labelled turn (first/follow_up)")
    parser.add_argument("--blocking-only", action="store_true", help="count only blocking findings")
    parser.add_argument("--errors", action="store_true", help="list false positives/negatives (dev only)")
    parser.add_argument("--json", type=Path, help="also write the scores as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Load, check, print the tables."""
    args = parse_args(argv)
    if args.errors and args.split != "dev":
        print("bench_accuracy: --errors only on the dev split: the test split is frozen, nobody tunes on it")
        return 2
    if not args.labels.exists():
        print(f"bench_accuracy: no labels at {args.labels}: run benchmarks/accuracy/merge_labels.py first")
        return 2
    labels = list(read_jsonl(args.labels))
    wants_real = args.source not in ("written", "fresh")
    need_real = wants_real and any(not row["id"].startswith("w:") for row in labels)
    if need_real and not args.real.exists():
        print(f"bench_accuracy: no real items at {args.real}: run benchmarks/accuracy/build_set.py rebuild")
        return 2
    real = list(read_jsonl(args.real)) if need_real else []
    if not need_real:
        labels = [row for row in labels if row["id"].startswith("w:")]
    cases, problems = load_cases(labels, real, read_jsonl(args.written))
    if args.fresh.exists():
        cases += load_labelled_items(read_jsonl(args.fresh))
    for line in problems:
        print(f"skipped {line}")
    selected = select_cases(cases, args.split, args.source)
    if args.writers:
        selected = [c for c in selected if c.source != "fresh" or c.group in args.writers]
    if not selected:
        print("bench_accuracy: no labelled items in this selection")
        return 2
    scores, errors = evaluate(selected, make_predictor(args.tell_turn, args.blocking_only))
    told = "told the turn" if args.tell_turn else "not told the turn"
    counted = "blocking" if args.blocking_only else "all"
    print(f"split {args.split}, source {args.source}, {told}, {counted} findings\n")
    print(sets_table(scores) + "\n")
    print(format_table(scores["all"], "per category (all selected items)"))
    if any(c.source in ("written", "fresh") for c in selected):
        print("\n" + groups_table(selected, errors))
    missed = missed_targets(scores)
    print("\ntargets: " + ("all met" if not missed else "missed: " + "; ".join(missed)))
    if args.json:
        args.json.write_text(json.dumps(to_json(scores), ensure_ascii=False, indent=2), encoding="utf-8")
    if args.errors:
        print_errors(errors)
    return 1 if args.check and missed else 0


def to_json(scores: dict[str, Scores]) -> dict[str, Any]:
    """The scores as plain data."""
    return {
        name: {
            "items": s.items,
            "clean_kept": s.clean_kept,
            "clean_gold": s.clean_gold,
            "categories": {
                c: {"tp": k.tp, "fp": k.fp, "fn": k.fn, "precision": k.precision, "recall": k.recall}
                for c, k in [*s.categories.items(), ("micro", s.micro)]
            },
        }
        for name, s in scores.items()
    }


if __name__ == "__main__":
    sys.exit(main())
