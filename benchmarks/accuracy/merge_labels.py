"""Merge the labellers' files into the committed labels file evals/judgment/labels.jsonl (stdlib only).

    python3 benchmarks/accuracy/merge_labels.py                      # /work/corpus/labels/*.jsonl
    python3 benchmarks/accuracy/merge_labels.py a.jsonl b.jsonl      # these files, in this order

Input rows: {"id", "scenario", "turn": "first"|"follow_up", "categories": [...], "note"}. Files
are read in order and a later row for the same id overrides an earlier one, so second opinions and
adjudications go last. The default order is: labels/*.labels.jsonl, then labels/*.second.jsonl,
then labels/*.adjudicated.jsonl (each sorted by name).

Output rows: {"id", "sha256", "split", "scenario", "channel", "turn", "categories", "note"}: the
sha256 and split of a real item come from evals/judgment/manifest.jsonl, of a written item from
its text in evals/judgment/written.jsonl. Rows with an unknown id or value are reported and left
out; items nobody labelled are counted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
from evals.accuracy import (  # noqa: E402
    JUDGED_CATEGORIES,
    SCENARIOS,
    TURNS,
    natural_key,
    read_jsonl,
    split_of,
    text_sha256,
    write_jsonl,
)

JUDGMENT = REPO / "evals" / "judgment"
DEFAULT_LABELS_DIR = Path("/work/corpus/labels")
ORDER = ("*.labels.jsonl", "*.second.jsonl", "*.adjudicated.jsonl")


def known_items(manifest: Path, written: Path) -> dict[str, dict[str, Any]]:
    """Every corpus item by id: its sha256, split and channel."""
    items: dict[str, dict[str, Any]] = {}
    for row in read_jsonl(manifest):
        items[row["id"]] = {"sha256": row["sha256"], "split": row["split"], "channel": "online"}
    for row in read_jsonl(written):
        items[row["id"]] = {
            "sha256": text_sha256(row["text"]),
            "split": split_of(row["id"]),
            "channel": row["channel"],
        }
    return items


def problem(row: dict[str, Any], items: dict[str, dict[str, Any]]) -> str | None:
    """What is wrong with a labeller's row, or None."""
    item_id = row.get("id")
    if item_id not in items:
        return f"unknown id {item_id!r}"
    if row.get("scenario") not in SCENARIOS:
        return f"scenario {row.get('scenario')!r} is not one of {', '.join(SCENARIOS)}"
    if row.get("turn") not in TURNS:
        return f"turn {row.get('turn')!r} is not first or follow_up"
    categories = row.get("categories")
    if not isinstance(categories, list) or not set(categories) <= set(JUDGED_CATEGORIES):
        return f"categories {categories!r} are not a list of {', '.join(JUDGED_CATEGORIES)}"
    return None


def input_files(paths: list[Path], labels_dir: Path) -> list[Path]:
    """The files to read, in override order."""
    if paths:
        return paths
    return [p for pattern in ORDER for p in sorted(labels_dir.glob(pattern))]


def merge(
    files: list[Path], items: dict[str, dict[str, Any]]
) -> tuple[dict[str, dict[str, Any]], int, list[str]]:
    """The merged label per id, how many rows overrode an earlier one, and the problems."""
    merged: dict[str, dict[str, Any]] = {}
    overrides = 0
    problems = []
    for path in files:
        for number, row in enumerate(read_jsonl(path), 1):
            why = problem(row, items)
            if why:
                problems.append(f"{path.name}:{number}: {why}")
                continue
            item = items[row["id"]]
            overrides += row["id"] in merged
            merged[row["id"]] = {
                "id": row["id"],
                "sha256": item["sha256"],
                "split": item["split"],
                "scenario": row["scenario"],
                "channel": item["channel"],
                "turn": row["turn"],
                "categories": [c for c in JUDGED_CATEGORIES if c in row["categories"]],
                "note": str(row.get("note") or ""),
            }
    return merged, overrides, problems


def main(argv: list[str] | None = None) -> int:
    """Merge, write, report; exit 1 when a row had a problem."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="label files in override order")
    parser.add_argument("--labels-dir", type=Path, default=DEFAULT_LABELS_DIR)
    parser.add_argument("--manifest", type=Path, default=JUDGMENT / "manifest.jsonl")
    parser.add_argument("--written", type=Path, default=JUDGMENT / "written.jsonl")
    parser.add_argument("--out", type=Path, default=JUDGMENT / "labels.jsonl")
    args = parser.parse_args(argv)
    files = input_files(args.files, args.labels_dir)
    if not files:
        print(f"merge_labels: no label files under {args.labels_dir} (expected {', '.join(ORDER)})")
        return 2
    items = known_items(args.manifest, args.written)
    merged, overrides, problems = merge(files, items)
    rows = [merged[i] for i in sorted(merged, key=natural_key)]
    write_jsonl(args.out, rows)
    test = sum(r["split"] == "test" for r in rows)
    clean = sum(not r["categories"] for r in rows)
    print(
        f"{len(rows)} labelled items from {len(files)} files ({overrides} overridden by a later file): "
        f"dev {len(rows) - test}, test {test}, clean {clean}; {len(items) - len(rows)} items unlabelled"
    )
    print(f"wrote {args.out}")
    for line in problems:
        print(f"  left out: {line}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
