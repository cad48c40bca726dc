"""Fixtures of the batch tests: a latency-injecting OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from drafting.batch.testing import BatchServer


@pytest.fixture
def server() -> Iterator[BatchServer]:
    """A local server that answers every rewrite with a passing reply after 20 ms."""
    with BatchServer(latency_s=0.02) as running:
        yield running


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch, server: BatchServer, tmp_path: Path) -> BatchServer:
    """The environment pointed at `server` (and at no config file)."""
    monkeypatch.setenv("HUASHU_BASE_URL", server.base_url)
    monkeypatch.setenv("HUASHU_MODEL", "batch-model")
    monkeypatch.setenv("HUASHU_API_KEY", "sk-test")
    monkeypatch.setenv("HUASHU_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("HUASHU_MAX_RETRIES", "1")
    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "HUASHU_STRUCTURED_MODE"):
        monkeypatch.delenv(name, raising=False)
    return server
