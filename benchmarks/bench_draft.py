"""Drafting overhead and local-model latency.

1. Overhead per draft excluding model time: render the prompt, parse the answer, run every
   guard (the six categories plus the draft checks), assemble the Draft — measured with the
   scripted FakeChatClient, which answers instantly. Target (issue 3): < 5 ms per draft.
2. With a real model (`--model`): time to first token and total time for a typical complaint,
   first call (prefix cache cold: another prompt was evaluated just before) and second call
   (a different complaint right after: the static system prompt is reused from the cache).
   Uses HUASHU_BASE_URL/HUASHU_MODEL when set, else the embedded local model.

    .venv/bin/python benchmarks/bench_draft.py [--drafts 300] [--model] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drafting import ChatClient, ChatRequest, Completion, ContentDelta, Drafter, Message, Ticket, build_client
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


def measure_overhead(drafts: int) -> Overhead:
    """Drafts with an instant scripted model: everything but the model's own time."""
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
    parser.add_argument("--model", action="store_true", help="also time a real model (slow: ~1 minute)")
    parser.add_argument("--json", type=Path, help="write the figures as JSON")
    args = parser.parse_args(argv)
    overhead = measure_overhead(args.drafts)
    print(f"Overhead per draft (fake model, {overhead.drafts} drafts, no model time):")
    target = f"target < {OVERHEAD_TARGET_MS} ms"
    print(f"  median {overhead.median_ms:.2f} ms, p95 {overhead.p95_ms:.2f} ms ({target})")
    print(f"  of which prompt render {overhead.render_ms:.3f} ms, parse {overhead.parse_ms:.3f} ms")
    print(f"  {'OK' if overhead.ok else 'SLOWER THAN TARGET'}")
    report: dict[str, object] = {"overhead": {**asdict(overhead), "ok": overhead.ok}}
    if args.model:
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
    return 0 if overhead.ok else 1


if __name__ == "__main__":
    sys.exit(main())
