"""The requests benchmarks/bench_prompt_lookup.py replays, read from the recorded cassettes."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from evals.cases import load_cases
from evals.cassettes import bundled_cassettes_dir, strategy_folder

REPO = Path(__file__).resolve().parents[1]


def _bench() -> ModuleType:
    path = REPO / "benchmarks" / "bench_prompt_lookup.py"
    spec = importlib.util.spec_from_file_location("bench_prompt_lookup", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_every_rewrite_case_gives_its_recorded_request_in_both_groups() -> None:
    bench = _bench()
    cases = {c.id: c for c in load_cases() if c.kind == "rewrite"}
    requests = bench.rewrite_requests(bundled_cassettes_dir(), bench.MODEL)
    for strategy, group in bench.GROUPS.items():
        folder = strategy_folder(bundled_cassettes_dir(), bench.MODEL, strategy)
        recorded = sorted(p.stem for p in folder.glob("rewrite-*.yaml"))
        assert recorded, f"no rewrite cassettes in {folder}"
        assert [r.case for r in requests if r.group == group] == recorded
    for request in requests:
        case = cases[request.case]
        user = request.body["messages"][-1]
        assert user["role"] == "user" and case.message in user["content"]
        assert request.body["temperature"] == 0.0 and request.body["max_tokens"] > 0
        assert request.body["response_format"]["schema"]["type"] == "object"
        # The free strategy's request rewrites the agent's text; compose only reads the ticket.
        assert (case.agent_text in user["content"]) == (request.group == "free rewrite")


def test_limit_takes_the_first_cassettes_of_each_group() -> None:
    bench = _bench()
    everything = bench.rewrite_requests(bundled_cassettes_dir(), bench.MODEL)
    limited = bench.rewrite_requests(bundled_cassettes_dir(), bench.MODEL, limit=1)
    assert [r.group for r in limited] == list(bench.GROUPS.values())
    assert all(r in everything for r in limited)


def test_a_cassette_without_a_chat_request_is_refused(tmp_path: Path) -> None:
    bench = _bench()
    empty = tmp_path / "rewrite-empty.yaml"
    empty.write_text("interactions: []\nversion: 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="records no interaction"):
        bench.read_request(empty)
