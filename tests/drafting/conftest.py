"""Shared fixtures of the drafting tests: scripted replies, and cassettes of the real local model.

Cassettes are recorded from a real model, never written by hand. To re-record (about a
minute per cassette on 2 cores), start the local model (`huashu model start` prints its
endpoint) and run:

    HUASHU_RECORD=1 HUASHU_RECORD_BASE_URL=http://127.0.0.1:PORT/v1 \\
        .venv/bin/pytest tests/drafting/test_draft_cassettes.py

Without HUASHU_RECORD the cassettes are replayed (record_mode none): a request that is not in
the cassette (e.g. after a prompt change) fails the test; re-record then.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from draft_helpers import CASSETTES, RECORD_BASE_URL, RECORD_MODEL, cassette_vcr, recording
from vcr.errors import CannotOverwriteExistingCassetteException

from drafting import Drafter, OpenAIChatClient, Settings


@pytest.fixture
def recorded_drafter(request: pytest.FixtureRequest) -> Iterator[Drafter]:
    """A Drafter on the recorded local model, inside the test's own cassette."""
    name = f"{request.node.name}.yaml"
    if recording():
        (CASSETTES / name).unlink(missing_ok=True)  # record mode "all" would keep stale requests
    elif not (CASSETTES / name).exists():
        pytest.fail(f"cassette {name} is missing; record it (see tests/drafting/conftest.py)")
    settings = Settings(
        base_url=RECORD_BASE_URL,
        model=RECORD_MODEL,
        api_key="sk-no-key-required",
        structured_mode="json_object_schema",
        max_retries=0,
        timeout_s=1800,
        temperature=0.3,
    )
    with cassette_vcr().use_cassette(name):
        try:
            yield Drafter(OpenAIChatClient(settings), max_attempts=2)
        except CannotOverwriteExistingCassetteException:
            pytest.fail(
                f"cassette {name} is stale: the request changed (prompt, policy or settings); "
                "re-record it as described in tests/drafting/conftest.py"
            )
