"""Helpers shared by the drafting tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

import os
from pathlib import Path

import vcr

from drafting.fake import reply_json

CASSETTES = Path(__file__).parent / "cassettes"
RECORD_BASE_URL = os.environ.get("HUASHU_RECORD_BASE_URL", "http://127.0.0.1:8765/v1")
RECORD_MODEL = os.environ.get("HUASHU_RECORD_MODEL", "qwen2.5-coder-1.5b")
SECRET_HEADERS = ["authorization", "api-key", "x-api-key", "openai-organization", "openai-project"]

GOOD_SECTIONS = {
    "greeting": "张先生，您好",
    "soothe": "非常理解您的感受，请您别着急",
    "apology": "非常抱歉给您带来了不好的体验",
    "details_request": "为了更好地帮您解决问题，能否提供一下您的订单号或联系方式？",
    "solution": "我已经将您反映的情况记录下来，会安排专人为您核实处理",
    "commitment": "我们将在2个工作日内联系您反馈处理进展",
    "closing": "请问还有其他可以帮到您的吗？",
}


def good_reply(scenario: str | None = "complaint", **changes: str) -> str:
    """A complaint reply that passes every guard, with some sections changed."""
    return reply_json(scenario, **{**GOOD_SECTIONS, **changes})


def recording() -> bool:
    """True when cassettes are being (re-)recorded from a live model."""
    return os.environ.get("HUASHU_RECORD", "") == "1"


def cassette_vcr() -> vcr.VCR:
    """vcrpy configured for huashu: secrets filtered, strict matching, replay-only unless recording."""
    return vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode="all" if recording() else "none",
        match_on=["method", "scheme", "host", "port", "path", "body"],
        filter_headers=SECRET_HEADERS,
        decode_compressed_response=True,
    )
