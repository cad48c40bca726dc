"""Fixtures of the agent-page tests: every test saves feedback into its own SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def feedback_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HUASHU_FEEDBACK_DB pointed at a file of this test's own."""
    path = tmp_path / "feedback.sqlite"
    monkeypatch.setenv("HUASHU_FEEDBACK_DB", str(path))
    return path
