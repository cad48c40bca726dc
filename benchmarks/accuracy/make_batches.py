"""Labelling batches: real and written items mixed, without labels, for independent labellers.

    python3 benchmarks/accuracy/make_batches.py [--real /work/corpus/real_items.jsonl]
        [--out-dir /work/corpus/batches] [--size 135]

Each batch_NN.jsonl row has only id, text, customer, history and channel: a labeller sees
neither the written items' intended categories nor the guards' findings. Labellers write
labels/batch_NN.labels.jsonl rows {"id", "scenario", "turn", "categories", "note"}.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
from evals.accuracy import read_jsonl, write_jsonl  # noqa: E402

LABELLER_FIELDS = ("id", "text", "customer", "history", "channel")
SEED = 1515


def labeller_row(item: dict[str, Any]) -> dict[str, Any]:
    """Only what a labeller may see."""
    return {name: item.get(name, "" if name != "history" else []) for name in LABELLER_FIELDS}


def main(argv: list[str] | None = None) -> int:
    """Write the batches and list them in BATCHES_READY."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--real", type=Path, default=Path("/work/corpus/real_items.jsonl"))
    parser.add_argument("--written", type=Path, default=REPO / "evals" / "judgment" / "written.jsonl")
    parser.add_argument("--out-dir", type=Path, default=Path("/work/corpus/batches"))
    parser.add_argument("--size", type=int, default=135)
    args = parser.parse_args(argv)
    items = [labeller_row(i) for path in (args.real, args.written) for i in read_jsonl(path)]
    random.Random(SEED).shuffle(items)
    paths = []
    for start in range(0, len(items), args.size):
        path = args.out_dir / f"batch_{start // args.size + 1:02d}.jsonl"
        write_jsonl(path, items[start : start + args.size])
        paths.append(path)
    ready = args.out_dir.parent / "BATCHES_READY"
    ready.write_text("".join(f"{p}\n" for p in paths), encoding="utf-8")
    print(f"{len(items)} items in {len(paths)} batches under {args.out_dir}; listed in {ready}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
