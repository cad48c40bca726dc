"""Dump the findings of every gathered text in every scenario × channel, to compare two versions.

    python benchmarks/findings_snapshot.py --out before.jsonl [--corpus-dir /work/.mirror]
    python benchmarks/findings_snapshot.py --compare before.jsonl after.jsonl

Texts come from the seed documents, the string constants of the tests, the eval cases, the
docs samples and, when `--corpus-dir` holds the fetched public corpora (JDDC, NTCIR-STC3),
their agent turns. Each line of the output is one (text, scenario, channel, customer) check
with the JSON of its findings; `--compare` lists every check whose findings differ.
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import guards

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS: tuple[str | None, ...] = (None, *guards.SCENARIOS)
JDDC = "zhangbo2008+JDDC_for_train_gpt_data/repo"
STC3 = "SeanCherngTW+NTCIR-STC3-NDDQsubtask/repo/.git"


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_strings() -> Iterator[str]:
    """String constants with Chinese text in the tests."""
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _has_cjk(node.value):
                yield node.value


def eval_strings() -> Iterator[str]:
    """Messages and replies of the eval cases."""
    for path in sorted((ROOT / "evals" / "cases").glob("*.toml")):
        for case in tomllib.loads(path.read_text(encoding="utf-8")).get("case", []):
            for key in ("message", "reply", "agent_reply"):
                if isinstance(case.get(key), str):
                    yield case[key]


def seed_lines(seeds: Path) -> Iterator[str]:
    """Every non-empty line of the seed documents."""
    for path in sorted(seeds.glob("*.txt")):
        yield from (line for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def corpus_turns(corpus_dir: Path) -> Iterator[tuple[str, str | None]]:
    """Agent turns of the fetched corpora, with the customer's words before them when known."""
    jddc = corpus_dir / JDDC
    if jddc.exists():
        dec = _git_show(jddc, "data/train.dec").splitlines()
        enc = _git_show(jddc, "data/train.enc").splitlines()
        for reply, context in zip(dec, enc, strict=False):
            pieces = [p for p in context.split(",") if p.strip()]
            yield reply.strip(), pieces[-1] if pieces else None
    stc3 = corpus_dir / STC3
    if stc3.exists():
        for name in ("data/test_data_cn.json", "data/train_data_cn.json"):
            for dialogue in json.loads(_git_show(stc3, name) or "[]"):
                customer = None
                for turn in dialogue["turns"]:
                    text = "".join(turn["utterances"]).strip()
                    if turn["sender"] == "customer":
                        customer = text
                    elif text:
                        yield text, customer


def _git_show(git_dir: Path, path: str) -> str:
    """A file of a fetched mirror; empty when the snapshot lacks it (large files are left out)."""
    shown = subprocess.run(
        ["git", f"--git-dir={git_dir}", "show", f"HEAD:{path}"], capture_output=True, text=True
    )
    return shown.stdout if shown.returncode == 0 else ""


def checks(corpus_dir: Path | None) -> Iterator[tuple[str, str | None]]:
    """Every (text, customer) pair to check, without repeats."""
    seen: set[tuple[str, str | None]] = set()
    sources: list[Iterator[tuple[str, str | None]]] = [
        ((t, None) for t in test_strings()),
        ((t, None) for t in eval_strings()),
        ((t, None) for t in seed_lines(ROOT.parent / "shared" / "seeds")),
        (
            (t, None)
            for p in (ROOT / "docs" / "samples").glob("*.txt")
            for t in [p.read_text(encoding="utf-8")]
        ),
    ]
    if corpus_dir is not None:
        sources.append(corpus_turns(corpus_dir))
    for source in sources:
        for text, customer in source:
            if text.strip() and (text, customer) not in seen:
                seen.add((text, customer))
                yield text, customer


def snapshot(out: Path, corpus_dir: Path | None) -> int:
    """Write one JSON line per check; returns the number of checks."""
    count = 0
    with out.open("w", encoding="utf-8") as sink:
        for text, customer in checks(corpus_dir):
            for scenario in SCENARIOS:
                for channel in guards.CHANNELS:
                    report = guards.check(text, scenario=scenario, channel=channel, customer=customer)  # type: ignore[arg-type]
                    record = {
                        "key": [text, scenario, channel, customer],
                        "findings": [v.to_dict() for v in report.violations],
                    }
                    sink.write(json.dumps(record) + "\n")
                    count += 1
    return count


def compare(before: Path, after: Path) -> int:
    """Print every check whose findings differ; returns how many differ."""
    old = {json.dumps(r["key"], ensure_ascii=False): r["findings"] for r in _records(before)}
    new = {json.dumps(r["key"], ensure_ascii=False): r["findings"] for r in _records(after)}
    differ = 0
    for key in old.keys() | new.keys():
        if old.get(key) != new.get(key):
            differ += 1
            print(
                json.dumps(
                    {"key": json.loads(key), "before": old.get(key), "after": new.get(key)},
                    ensure_ascii=False,
                )
            )
    print(f"{differ} of {len(old)} checks differ", file=sys.stderr)
    return differ


def _records(path: Path) -> Iterator[dict[str, object]]:
    with path.open(encoding="utf-8") as source:
        for line in source:
            yield json.loads(line)


def main() -> None:
    """Snapshot or compare, as the arguments say."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, help="write a snapshot here")
    parser.add_argument("--corpus-dir", type=Path, help="folder of fetched corpus mirrors")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    args = parser.parse_args()
    if args.compare:
        sys.exit(1 if compare(*args.compare) else 0)
    if not args.out:
        parser.error("give --out FILE or --compare BEFORE AFTER")
    print(f"{snapshot(args.out, args.corpus_dir)} checks written to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
