"""Prompt-lookup decoding against plain decoding on the eval suite's rewrite requests, side by side.

Replays the recorded model requests of the rewrite cases (the first request of each vcrpy cassette):
the free strategy's rewrite request (evals/cassettes/<model>/free/rewrite-*.yaml) and the compose
strategy's understand request (evals/cassettes/<model>/compose/rewrite-*.yaml). Each request body
(messages, max_tokens, temperature 0, the JSON-schema response_format, …) goes through the request
model of llama-cpp-python's server, so the sampling defaults the server fills in (repeat_penalty
1.1, top_k 40, …) apply here too, and is sent to two `llama_cpp.Llama` loaded in this process from
the same GGUF file as huashu's local server loads it (its n_ctx and llama-cpp-python's server
defaults, logits_all=True among them), except that `--threads` also bounds prompt evaluation
(the server evaluates prompts on every core):

    plain          no draft model
    prompt lookup  draft_model=LlamaPromptLookupDecoding(num_pred_tokens=--pred-tokens)

Each model is loaded once and warmed up once; then the configurations alternate request by
request (which one goes first alternates too). Per request and configuration, a one-token request
evaluates the prompt first ("prompt s"), then the timed request generates the whole answer with
the prompt cached ("gen s"), so tokens/s is the generation speed that prompt lookup can change;
"end to end" is the sum. Reported per group: completion tokens, seconds, tokens/s, the speed ratio
(prompt lookup / plain), draft tokens proposed and accepted, and whether both answers are the
same text (greedy speculative decoding keeps the text only if the verified batch computes the
same logits as one token at a time; llama.cpp's batched kernels differ slightly, so near ties
can flip). Does not use huashu's model server; takes about 7 minutes on one thread.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_prompt_lookup.py \\
        [--threads 1] [--pred-tokens 2] [--limit N] [--model-path FILE.gguf] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drafting.local.server import CONTEXT_TOKENS
from drafting.models import Strategy
from evals.cassettes import bundled_cassettes_dir, strategy_folder

if TYPE_CHECKING:
    from llama_cpp import Llama

MODEL = "qwen2.5-coder-1.5b"
GROUPS: dict[Strategy, str] = {"free": "free rewrite", "compose": "compose understand"}
PLAIN, LOOKUP = "plain", "prompt lookup"
# Request fields the server leaves out of the call (app.py: create_chat_completion).
SERVER_EXCLUDED = {"n", "logit_bias_type", "user", "min_tokens"}
WARM_UP = {
    "messages": [{"role": "user", "content": "用一个JSON对象回答：今天星期几？"}],
    "max_tokens": 8,
    "temperature": 0.0,
    "response_format": {"type": "json_object", "schema": {"type": "object"}},
}


@dataclass(frozen=True)
class RecordedRequest:
    """One model request of an eval case, as its cassette recorded it."""

    group: str
    case: str
    body: dict[str, Any]


def read_request(cassette: Path) -> dict[str, Any]:
    """The JSON body of the first request recorded in a vcrpy cassette."""
    data = yaml.safe_load(cassette.read_text(encoding="utf-8"))
    interactions = data.get("interactions") if isinstance(data, dict) else None
    if not interactions:
        raise ValueError(f"{cassette} records no interaction")
    body = json.loads(interactions[0]["request"]["body"])
    if not isinstance(body, dict) or "messages" not in body:
        raise ValueError(f"{cassette}: the first request is not a chat completion")
    return body


def rewrite_requests(root: Path, model: str, limit: int | None = None) -> list[RecordedRequest]:
    """The first request of every rewrite case's cassette, per strategy (at most `limit` each)."""
    found = []
    for strategy, group in GROUPS.items():
        cassettes = sorted(strategy_folder(root, model, strategy).glob("rewrite-*.yaml"))
        found += [RecordedRequest(group, p.stem, read_request(p)) for p in cassettes[:limit]]
    return found


def chat_arguments(body: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments llama-cpp-python's server gives `create_chat_completion` for `body`."""
    from llama_cpp.llama_grammar import LlamaGrammar
    from llama_cpp.server.types import CreateChatCompletionRequest

    request = CreateChatCompletionRequest(**body)
    if request.min_tokens > 0 or request.logit_bias_type == "tokens":
        raise ValueError("min_tokens and token logit biases are not replayed")
    arguments = request.model_dump(exclude=SERVER_EXCLUDED)
    arguments["stream"] = False
    if request.grammar is not None:
        arguments["grammar"] = LlamaGrammar.from_string(request.grammar)
    return arguments


@dataclass
class DraftCounter:
    """Draft tokens proposed by prompt lookup, and how many verification passes asked for them."""

    calls: int = 0
    drafted: int = 0


def load_model(model_path: Path, threads: int, pred_tokens: int | None, counter: DraftCounter) -> Llama:
    """A Llama as huashu's server loads it; with prompt lookup when `pred_tokens` is given."""
    import numpy as np
    import numpy.typing as npt
    from llama_cpp import Llama
    from llama_cpp.llama_speculative import LlamaPromptLookupDecoding

    class CountedPromptLookup(LlamaPromptLookupDecoding):
        def __call__(self, input_ids: npt.NDArray[np.intc], /, **kwargs: Any) -> npt.NDArray[np.intc]:
            draft = super().__call__(input_ids, **kwargs)
            counter.calls += 1
            counter.drafted += len(draft)
            return draft

    draft = CountedPromptLookup(num_pred_tokens=pred_tokens) if pred_tokens else None
    # logits_all=True is the server's default; 0.3.36 also needs it with a draft model (its logits
    # buffer otherwise holds n_batch rows and a prompt longer than 512 tokens fails).
    return Llama(
        model_path=str(model_path),
        n_ctx=CONTEXT_TOKENS,
        n_threads=threads,
        n_threads_batch=threads,
        logits_all=True,
        draft_model=draft,
        verbose=False,
    )


@dataclass
class Run:
    """One request on one configuration."""

    prompt_tokens: int
    completion_tokens: int
    prompt_s: float
    generation_s: float
    text: str
    draft_calls: int = 0
    drafted: int = 0

    @property
    def tokens_per_s(self) -> float:
        """Generation speed: completion tokens per second with the prompt already evaluated."""
        return self.completion_tokens / self.generation_s

    @property
    def accepted(self) -> int:
        """Draft tokens accepted: each pass after the first token yields one token of its own plus these."""
        return max(0, self.completion_tokens - self.draft_calls) if self.draft_calls else 0


def timed_run(llm: Llama, arguments: dict[str, Any], counter: DraftCounter) -> Run:
    """Evaluate the prompt with a one-token request, then time the whole answer."""
    started = time.perf_counter()
    llm.create_chat_completion(**{**arguments, "max_tokens": 1})
    prompt_s = time.perf_counter() - started
    counter.calls = counter.drafted = 0
    started = time.perf_counter()
    result = llm.create_chat_completion(**arguments)
    generation_s = time.perf_counter() - started
    assert isinstance(result, dict)
    usage = result["usage"]
    text = result["choices"][0]["message"]["content"] or ""
    return Run(
        usage["prompt_tokens"],
        usage["completion_tokens"],
        prompt_s,
        generation_s,
        text,
        counter.calls,
        counter.drafted,
    )


@dataclass
class Comparison:
    """Both configurations on one recorded request."""

    group: str
    case: str
    runs: dict[str, Run] = field(default_factory=dict)

    @property
    def same_text(self) -> bool:
        """Whether prompt lookup wrote exactly what plain decoding wrote."""
        return self.runs[PLAIN].text == self.runs[LOOKUP].text

    @property
    def first_difference(self) -> int | None:
        """The first character at which the two answers differ, if they do."""
        plain, lookup = self.runs[PLAIN].text, self.runs[LOOKUP].text
        if plain == lookup:
            return None
        differing = (i for i, (a, b) in enumerate(zip(plain, lookup, strict=False)) if a != b)
        return next(differing, min(len(plain), len(lookup)))

    @property
    def ratio(self) -> float:
        """Generation speed of prompt lookup over plain."""
        return self.runs[LOOKUP].tokens_per_s / self.runs[PLAIN].tokens_per_s


def compare(
    requests: list[RecordedRequest], models: dict[str, tuple[Llama, DraftCounter]]
) -> list[Comparison]:
    """Every request on both configurations, alternating which goes first."""
    found = []
    for index, request in enumerate(requests):
        arguments = chat_arguments(request.body)
        order = [PLAIN, LOOKUP] if index % 2 == 0 else [LOOKUP, PLAIN]
        comparison = Comparison(request.group, request.case)
        for config in order:
            llm, counter = models[config]
            comparison.runs[config] = timed_run(llm, arguments, counter)
        found.append(comparison)
        print(_row(comparison), flush=True)
    return found


def _pair(plain: float, lookup: float, digits: int) -> str:
    return f"{plain:.{digits}f}/{lookup:.{digits}f}"


def _row(c: Comparison) -> str:
    plain, lookup = c.runs[PLAIN], c.runs[LOOKUP]
    same = "yes" if c.same_text else f"no (from char {c.first_difference} of {len(plain.text)})"
    cells = (
        _pair(plain.completion_tokens, lookup.completion_tokens, 0),
        _pair(plain.prompt_s, lookup.prompt_s, 1),
        _pair(plain.generation_s, lookup.generation_s, 1),
        _pair(plain.tokens_per_s, lookup.tokens_per_s, 2),
        f"{c.ratio:.2f}",
        f"{lookup.drafted}/{lookup.accepted}",
    )
    return f"  {c.group:<19}{c.case:<30}" + "".join(f"{cell:>12}" for cell in cells) + f"  {same}"


HEADER = (
    f"  {'group':<19}{'case':<30}"
    + "".join(f"{name:>12}" for name in ("tokens", "prompt s", "gen s", "tokens/s", "ratio", "drafted/ok"))
    + "  same text\n  (each pair: plain/prompt lookup; ratio: prompt lookup tokens/s over plain; "
    "drafted/ok: draft tokens proposed/accepted)"
)


def summary(comparisons: list[Comparison]) -> dict[str, float]:
    """Medians and totals of a set of comparisons."""
    figures: dict[str, float] = {"requests": len(comparisons)}
    for config, key in ((PLAIN, "plain"), (LOOKUP, "lookup")):
        runs = [c.runs[config] for c in comparisons]
        tokens = sum(r.completion_tokens for r in runs)
        generation = sum(r.generation_s for r in runs)
        figures[f"{key}_median_tokens_per_s"] = statistics.median(r.tokens_per_s for r in runs)
        figures[f"{key}_tokens"] = tokens
        figures[f"{key}_generation_s"] = generation
        figures[f"{key}_total_tokens_per_s"] = tokens / generation
        figures[f"{key}_end_to_end_s"] = sum(r.prompt_s + r.generation_s for r in runs)
    figures["median_ratio"] = statistics.median(c.ratio for c in comparisons)
    figures["total_ratio"] = figures["lookup_total_tokens_per_s"] / figures["plain_total_tokens_per_s"]
    figures["end_to_end_ratio"] = figures["plain_end_to_end_s"] / figures["lookup_end_to_end_s"]
    lookups = [c.runs[LOOKUP] for c in comparisons]
    figures["drafted"] = sum(r.drafted for r in lookups)
    figures["accepted"] = sum(r.accepted for r in lookups)
    figures["same_text"] = sum(c.same_text for c in comparisons)
    return figures


def print_summary(title: str, figures: dict[str, float]) -> None:
    """Medians and totals in two lines."""
    print(
        f"  {title}: {figures['requests']:.0f} requests, generation tokens/s median "
        f"{figures['plain_median_tokens_per_s']:.2f} plain / {figures['lookup_median_tokens_per_s']:.2f} "
        f"prompt lookup (ratio median {figures['median_ratio']:.2f}); total {figures['plain_tokens']:.0f} "
        f"tokens in {figures['plain_generation_s']:.1f} s = "
        f"{figures['plain_total_tokens_per_s']:.2f}/s plain, "
        f"{figures['lookup_tokens']:.0f} in {figures['lookup_generation_s']:.1f} s = "
        f"{figures['lookup_total_tokens_per_s']:.2f}/s prompt lookup (ratio {figures['total_ratio']:.2f})"
    )
    drafted = figures["drafted"]
    accepted = f"{figures['accepted'] / drafted:.0%}" if drafted else "none"
    print(
        f"    end to end {figures['plain_end_to_end_s']:.1f} s plain, {figures['lookup_end_to_end_s']:.1f} s "
        f"prompt lookup (speed-up {figures['end_to_end_ratio']:.2f}); {drafted:.0f} draft tokens, "
        f"{accepted} accepted; same text in {figures['same_text']:.0f} of {figures['requests']:.0f}"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a report (and JSON with --json)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--model-path", type=Path, help="GGUF file (default: huashu's local model)")
    parser.add_argument("--threads", type=int, default=1, help="llama.cpp threads (default 1)")
    parser.add_argument("--pred-tokens", type=int, default=2, help="draft tokens per lookup (default 2)")
    parser.add_argument("--limit", type=int, help="at most this many requests per group")
    parser.add_argument(
        "--cassettes",
        type=Path,
        default=bundled_cassettes_dir(),
        help="cassette root (default: evals/cassettes)",
    )
    parser.add_argument("--json", type=Path, help="write the figures and answers as JSON")
    args = parser.parse_args(argv)
    requests = rewrite_requests(args.cassettes, MODEL, args.limit)
    if not requests:
        print(f"no rewrite cassettes of {MODEL} under {args.cassettes}", file=sys.stderr)
        return 2
    if args.model_path is None:
        from drafting.local import resolve_model_path

        args.model_path = resolve_model_path()
    models = {}
    for config, pred_tokens in ((PLAIN, None), (LOOKUP, args.pred_tokens)):
        counter = DraftCounter()
        llm = load_model(args.model_path, args.threads, pred_tokens, counter)
        llm.create_chat_completion(**chat_arguments(WARM_UP))
        models[config] = (llm, counter)
    load_before = os.getloadavg()[0]
    print(
        f"Plain vs prompt lookup ({args.pred_tokens} draft tokens) on {len(requests)} recorded rewrite "
        f"requests; {args.model_path.name}, {args.threads} thread(s), n_ctx {CONTEXT_TOKENS}"
    )
    print(HEADER)
    comparisons = compare(requests, models)
    load_after = os.getloadavg()[0]
    report: dict[str, Any] = {
        "model_path": str(args.model_path),
        "threads": args.threads,
        "pred_tokens": args.pred_tokens,
        "n_ctx": CONTEXT_TOKENS,
        "load_average": [load_before, load_after],
        "groups": {},
    }
    for group in GROUPS.values():
        chosen = [c for c in comparisons if c.group == group]
        if chosen:
            report["groups"][group] = summary(chosen)
            print_summary(group, report["groups"][group])
    report["total"] = summary(comparisons)
    print_summary("all", report["total"])
    print(f"  load average {load_before:.1f} → {load_after:.1f} on {os.cpu_count()} cores")
    report["requests"] = [
        {"group": c.group, "case": c.case, "same_text": c.same_text, "runs": _runs(c)} for c in comparisons
    ]
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


def _runs(comparison: Comparison) -> dict[str, dict[str, Any]]:
    return {
        config: {**asdict(run), "tokens_per_s": run.tokens_per_s, "accepted": run.accepted}
        for config, run in comparison.runs.items()
    }


if __name__ == "__main__":
    sys.exit(main())
