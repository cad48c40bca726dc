"""Guard throughput: the full suite vs a naive baseline, side by side in one run.

The baseline is what a linter without context would do: one compiled regex alternation of the
forbidden phrases, run over each reply. The suite is `guards.check` with all six guards
(normalisation, quotes, polite forms, time parsing, privacy, structure).

Targets (issue 14): >= 5,000 replies/s on one core for ~100-character replies with the
complaint scenario, and at most 3x the baseline's time per reply. Rounds alternate between the
configurations and the best round counts, so a slow spell of a shared machine hits all of them
alike.

    .venv/bin/python benchmarks/bench_guards.py [--seconds 1.0] [--json out.json] [--check]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import guards

CLEAN_SENTENCES = (
    "您好，很高兴为您服务。",
    "非常理解您的感受，请您别着急，我们一定会帮您妥善处理。",
    "非常抱歉给您带来了不好的体验，让您着急了。",
    "为了更好地帮您解决问题，能否提供一下您的订单号或联系方式？",
    "我们将在2个工作日内联系您反馈处理进展，请您放心。",
    "关于您的退换货需求，我们会为您安排质检，预计1-3个工作日内完成。",
    "您反馈的情况我已经详细记录下来，将派专人跟进。",
    "请问还有其他可以帮到您的吗？",
    "如果方便的话，还请您拍1-2张照片给我，我这边好为您争取一个最好的解决方案。",
    "感谢您的耐心等待，我马上为您查询。",
    "您的订单号202311230001已经登记，物流单号SF1234567890。",
)
DIRTY_SENTENCES = (
    "这个我也不知道，您自己看说明吧！",
    "这是规定，我们也没有办法。",
    "保证今天解决，马上到账。",
    "这是快递公司的问题，不关我们的事。",
    "我已经说过很多遍了？？",
    "您的手机号13812345678已经登记。",
    "我们会给您全额赔偿。",
    "呵呵，稍等。",
)
TARGET_REPLIES_PER_S = 5_000
TARGET_RATIO = 3.0


@dataclass
class Row:
    """One measured configuration."""

    name: str
    length: int
    replies_per_s: float
    us_per_reply: float


def make_replies(count: int, length: int, dirty_share: float, seed: int = 7) -> list[str]:
    """Replies of about `length` characters built from the documents' good and bad sentences."""
    rng = random.Random(seed)
    replies = []
    for _ in range(count):
        parts: list[str] = []
        while sum(map(len, parts)) < length:
            pool = DIRTY_SENTENCES if rng.random() < dirty_share else CLEAN_SENTENCES
            parts.append(rng.choice(pool))
        replies.append("".join(parts))
    return replies


def naive_baseline() -> Callable[[str], list[tuple[int, int]]]:
    """One compiled alternation of the policy's forbidden phrases (no context, no other guards)."""
    phrases = [p for rule in guards.default_policy().forbidden_phrase for p in rule.patterns]
    pattern = re.compile("|".join(sorted(phrases, key=len, reverse=True)))
    return lambda text: [m.span() for m in pattern.finditer(text)]


def measure(
    configs: dict[str, Callable[[str], object]], replies: Sequence[str], seconds: float
) -> dict[str, float]:
    """Best seconds per reply of each configuration, over rounds that take turns between them."""
    best = dict.fromkeys(configs, float("inf"))
    deadline = time.perf_counter() + seconds * len(configs)
    rounds = 0
    while rounds < 5 or time.perf_counter() < deadline:
        for name, fn in configs.items():
            start = time.perf_counter()
            for text in replies:
                fn(text)
            best[name] = min(best[name], (time.perf_counter() - start) / len(replies))
        rounds += 1
    return best


def run(seconds: float) -> list[Row]:
    """Measure baseline and suite on ~100- and ~500-character replies."""
    baseline = naive_baseline()
    rows = []
    for length in (100, 500):
        replies = make_replies(200, length, dirty_share=0.25)
        configs: dict[str, Callable[[str], object]] = {
            "naive regex baseline": baseline,
            "huashu suite (no scenario)": lambda t: guards.check(t),
            "huashu suite (complaint)": lambda t: guards.check(t, scenario="complaint"),
        }
        for fn in configs.values():
            fn(replies[0])  # warm caches (policy load, regex compile)
        mean_len = round(statistics.mean(map(len, replies)))
        for name, per_reply in measure(configs, replies, seconds).items():
            rows.append(Row(name, mean_len, 1 / per_reply, per_reply * 1e6))
    return rows


def report(rows: list[Row]) -> bool:
    """Print the table with each row's verdict on the targets; True when every row meets them."""
    print(f"{'configuration':32} {'chars':>6} {'replies/s':>12} {'µs/reply':>10} {'× baseline':>11}  targets")
    ok = True
    for row in rows:
        base = next(r for r in rows if r.length == row.length and r.name.startswith("naive"))
        ratio = row.us_per_reply / base.us_per_reply
        verdict = ""
        if row is not base:
            missed = []
            if row.length <= 150 and row.replies_per_s < TARGET_REPLIES_PER_S:
                missed.append(f"< {TARGET_REPLIES_PER_S:,}/s")
            if ratio > TARGET_RATIO:
                missed.append(f"> {TARGET_RATIO:.0f}x")
            verdict = "missed: " + ", ".join(missed) if missed else "met"
            ok = ok and not missed
        figures = f"{row.replies_per_s:12,.0f} {row.us_per_reply:10.1f} {ratio:11.2f}"
        print(f"{row.name:32} {row.length:6} {figures}  {verdict}")
    print(
        f"\ntargets: >= {TARGET_REPLIES_PER_S:,} replies/s at ~100 chars, <= {TARGET_RATIO:.0f}x baseline: "
        + ("met by every row" if ok else "NOT met by every row")
    )
    return ok


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (single-threaded: one core) and print the side-by-side table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=1.0, help="measuring time per configuration")
    parser.add_argument("--json", help="also write the rows as JSON to this file")
    parser.add_argument("--check", action="store_true", help="exit 1 when a row misses a target")
    args = parser.parse_args(argv)
    prefilter = type(guards.default_compiled().prefilter).__name__
    print(f"guards: {Path(guards.__file__).parent}; prefilter: {prefilter}\n")
    rows = run(args.seconds)
    ok = report(rows)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump([asdict(r) for r in rows], out, ensure_ascii=False, indent=2)
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
