"""Drafting overhead and model latency, for both drafting strategies.

1. Overhead per draft excluding model time, with the scripted FakeChatClient (it answers
   instantly): free (render the prompt, parse the answer, every guard, the Draft) and compose
   (detection, the understand request, the cross-checks, composition, every guard, the Draft).
   Target (issues 3 and 16): < 5 ms per draft.
2. With a real model (`--model`): compose drafts end to end for `--tickets` varied customer
   messages of the eval suite (streamed: time to the first text on screen, total time, first
   attempt passed), median and p90, with the machine's load average; then the free strategy's
   first model call, cold and with the system prompt cached. Uses HUASHU_BASE_URL/HUASHU_MODEL
   when set, else the embedded local model (started first: `huashu model start`).

    .venv/bin/python benchmarks/bench_draft.py [--drafts 300] [--model] [--tickets 20] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drafting import ChatClient, ChatRequest, Completion, ContentDelta, Drafter, Message, Ticket, build_client
from drafting.engine import AttemptFinished, DraftFinished, TextDelta
from drafting.fake import FakeChatClient, reply_json
from drafting.parsing import parse_reply
from drafting.prompting import reply_schema

COMPLAINT = Ticket(
    message="你们的快递太慢了！我的订单下单一个星期了还没到，到底怎么回事？", address_as="张先生"
)
SECOND = Ticket(message="买的电饭煲用了两天就不加热了，太让人失望了，你们怎么保证质量的？")
ANSWER = reply_json(
    "complaint",
    greeting="张先生，您好",
    soothe="非常理解您的感受，请您别着急",
    apology="非常抱歉给您带来了不好的体验",
    details_request="为了更好地帮您解决问题，能否提供一下您的订单号或联系方式？",
    solution="我已经将您反映的情况记录下来，会安排专人为您核实处理",
    commitment="我们将在2个工作日内联系您反馈处理进展",
    closing="请问还有其他可以帮到您的吗？",
)
UNDERSTOOD = json.dumps(
    {"scenario": "complaint", "problem": "下单一个星期了还没到", "emotion": "angry", "action": "记录跟进"},
    ensure_ascii=False,
)
OVERHEAD_TARGET_MS = 5.0


@dataclass
class Overhead:
    """Milliseconds per draft (median and p95) and the share of each step."""

    drafts: int
    median_ms: float
    p95_ms: float
    render_ms: float
    parse_ms: float
    target_ms: float = OVERHEAD_TARGET_MS

    @property
    def ok(self) -> bool:
        """True when the median meets the target."""
        return self.median_ms < self.target_ms


def measure_overhead(drafts: int, strategy: str = "free") -> Overhead:
    """Drafts with an instant scripted model: everything but the model's own time."""
    if strategy == "compose":
        drafter = Drafter(FakeChatClient([UNDERSTOOD]), strategy="compose")
    else:
        drafter = Drafter(FakeChatClient([ANSWER]))
    drafter.draft(COMPLAINT)  # warm caches (compiled policy, templates)
    times = []
    for _ in range(drafts):
        started = time.perf_counter()
        draft = drafter.draft(COMPLAINT)
        times.append((time.perf_counter() - started) * 1000)
        assert draft.passed, "the benchmark answer must pass the guards"
    render = _mean_ms(lambda: drafter.prompts.draft(COMPLAINT), drafts)
    parse = _mean_ms(lambda: parse_reply(ANSWER), drafts)
    times.sort()
    return Overhead(drafts, statistics.median(times), times[int(len(times) * 0.95) - 1], render, parse)


def _mean_ms(step: object, repeat: int) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        step()  # type: ignore[operator]
    return (time.perf_counter() - started) * 1000 / repeat


@dataclass
class Call:
    """One streamed model call: time to first token, total time, tokens."""

    label: str
    first_token_s: float
    total_s: float
    prompt_tokens: int
    completion_tokens: int


def timed_call(client: ChatClient, drafter: Drafter, ticket: Ticket, label: str) -> Call:
    """Stream one draft request and time it."""
    messages = (Message("system", drafter.prompts.system), Message("user", drafter.prompts.draft(ticket)))
    started = time.perf_counter()
    first: float | None = None
    final: Completion | None = None
    chunks = 0
    for item in client.stream(ChatRequest(messages, reply_schema())):
        if isinstance(item, ContentDelta):
            chunks += 1
            first = first if first is not None else time.perf_counter() - started
        else:
            final = item
    total = time.perf_counter() - started
    assert final is not None
    parse_reply(final.content)
    # llama.cpp's server reports no usage when streaming: it sends one token per chunk.
    completion_tokens = final.usage.completion_tokens or chunks
    return Call(label, first or total, total, final.usage.prompt_tokens, completion_tokens)


@dataclass
class ComposedDraft:
    """One compose draft on the real model: first text on screen, total time, outcome."""

    message: str
    first_text_s: float
    total_s: float
    first_attempt_passed: bool
    passed: bool
    completion_tokens: int


@dataclass
class ComposeFigures:
    """End-to-end figures of compose drafts on a real model."""

    drafts: list[ComposedDraft]
    load_before: float
    load_after: float

    def figures(self) -> dict[str, float]:
        """Median and p90 of total and first-text times, and the pass shares."""
        totals = sorted(d.total_s for d in self.drafts)
        firsts = sorted(d.first_text_s for d in self.drafts)
        count = len(self.drafts)
        return {
            "drafts": count,
            "median_s": statistics.median(totals),
            "p90_s": totals[max(0, int(count * 0.9 + 0.5) - 1)],
            "first_text_median_s": statistics.median(firsts),
            "first_text_max_s": firsts[-1],
            "passed_first_attempt": sum(d.first_attempt_passed for d in self.drafts) / count,
            "passed": sum(d.passed for d in self.drafts) / count,
            "load_before": self.load_before,
            "load_after": self.load_after,
        }


def bench_tickets(count: int) -> list[Ticket]:
    """Varied customer messages: the eval suite's draft cases, every n-th one."""
    from evals.cases import load_cases

    cases = [c for c in load_cases() if c.kind == "draft"]
    step = max(1, len(cases) // count)
    return [c.ticket() for c in cases[::step][:count]]


def measure_compose(client: ChatClient, tickets: list[Ticket]) -> ComposeFigures:
    """Compose drafts streamed end to end on the real model."""
    drafter = Drafter(client, strategy="compose")
    drafter.draft(tickets[-1])  # the understand step's system prompt is now in the prefix cache
    load_before = os.getloadavg()[0]
    found = []
    for ticket in tickets:
        started = time.perf_counter()
        first: float | None = None
        first_passed = False
        for event in drafter.stream_draft(ticket):
            if isinstance(event, TextDelta) and first is None:
                first = time.perf_counter() - started
            elif isinstance(event, AttemptFinished) and event.attempt.number == 1:
                first_passed = event.attempt.passed
            elif isinstance(event, DraftFinished):
                draft = event.draft
        total = time.perf_counter() - started
        found.append(
            ComposedDraft(
                ticket.message[:30],
                first if first is not None else total,
                total,
                first_passed,
                draft.passed,
                draft.usage.completion_tokens,
            )
        )
    return ComposeFigures(found, load_before, os.getloadavg()[0])


def measure_model() -> list[Call]:
    """First call with a cold prefix, then a second ticket reusing the cached system prompt."""
    client = build_client(on_status=lambda message: print(f"  {message}", file=sys.stderr))
    drafter = Drafter(client)
    evict = ChatRequest((Message("user", "Say OK."),), max_tokens=4)
    client.complete(evict)  # another prompt evaluated just before: the draft's prefix is cold
    return [
        timed_call(client, drafter, COMPLAINT, "first call (cold prefix)"),
        timed_call(client, drafter, SECOND, "second call (system prompt cached)"),
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a report (and JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drafts", type=int, default=300)
    parser.add_argument("--model", action="store_true", help="also time a real model (a few minutes)")
    parser.add_argument("--tickets", type=int, default=20, help="compose drafts timed on the real model")
    parser.add_argument("--json", type=Path, help="write the figures as JSON")
    args = parser.parse_args(argv)
    report: dict[str, object] = {}
    ok = True
    for strategy in ("compose", "free"):
        overhead = measure_overhead(args.drafts, strategy)
        print(f"Overhead per {strategy} draft (fake model, {overhead.drafts} drafts, no model time):")
        target = f"target < {OVERHEAD_TARGET_MS} ms"
        print(f"  median {overhead.median_ms:.2f} ms, p95 {overhead.p95_ms:.2f} ms ({target})")
        if strategy == "free":
            print(f"  of which prompt render {overhead.render_ms:.3f} ms, parse {overhead.parse_ms:.3f} ms")
        print(f"  {'OK' if overhead.ok else 'SLOWER THAN TARGET'}")
        report[f"overhead_{strategy}"] = {**asdict(overhead), "ok": overhead.ok}
        ok = ok and overhead.ok
    if args.model:
        client = build_client(on_status=lambda message: print(f"  {message}", file=sys.stderr))
        composed = measure_compose(client, bench_tickets(args.tickets))
        figures = composed.figures()
        print(f"Compose drafts end to end on {client.model} ({figures['drafts']} tickets, streamed):")
        print(
            f"  median {figures['median_s']:.1f} s, p90 {figures['p90_s']:.1f} s (target ≤ 12 s / ≤ 25 s); "
            f"first text on screen median {figures['first_text_median_s']:.2f} s, "
            f"max {figures['first_text_max_s']:.2f} s (target ≤ 2 s)"
        )
        print(
            f"  passed on the first attempt {figures['passed_first_attempt']:.0%}, "
            f"passed {figures['passed']:.0%}; load average {figures['load_before']:.1f} → "
            f"{figures['load_after']:.1f} on {os.cpu_count()} cores"
        )
        report["compose"] = {"figures": figures, "drafts": [asdict(d) for d in composed.drafts]}
        calls = measure_model()
        print("Model latency (streamed, typical complaint):")
        for call in calls:
            print(
                f"  {call.label}: first token {call.first_token_s:.1f} s, total {call.total_s:.1f} s, "
                f"{call.completion_tokens} completion tokens"
            )
        report["model"] = [asdict(c) for c in calls]
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
