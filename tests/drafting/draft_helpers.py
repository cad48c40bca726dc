"""Helpers shared by the drafting tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

import os
from pathlib import Path

import vcr

from drafting.fake import passing_reply_json
from evals.cassettes import SECRET_HEADERS

CASSETTES = Path(__file__).parent / "cassettes"
RECORD_BASE_URL = os.environ.get("HUASHU_RECORD_BASE_URL", "http://127.0.0.1:8765/v1")
RECORD_MODEL = os.environ.get("HUASHU_RECORD_MODEL", "qwen2.5-coder-1.5b")
good_reply = passing_reply_json
"""A complaint reply that passes every guard, with some sections changed."""


def recording() -> bool:
    """True when cassettes are being (re-)recorded from a live model."""
    return os.environ.get("HUASHU_RECORD", "") == "1"


def cassette_vcr() -> vcr.VCR:
    """vcrpy configured for huashu: secrets filtered, strict matching, replay-only unless recording."""
    return vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode="all" if recording() else "none",
        match_on=["method", "path", "body"],  # not the port: recording servers pick a free one
        filter_headers=SECRET_HEADERS,
        decode_compressed_response=True,
    )
