"""Helpers of the eval tests: cases and drafts made with a scripted chat client (no model)."""

from __future__ import annotations

from typing import Any

from drafting.engine import Drafter
from drafting.fake import FakeChatClient, passing_reply_json
from drafting.models import Draft
from evals.cases import EvalCase
from evals.runner import execute

COMPLAINT = "你们这个软件怎么回事啊？老是闪退，根本没法用！我要投诉！"


def case_of(**fields: Any) -> EvalCase:
    """A draft case (a complaint unless told otherwise) with the given fields."""
    data: dict[str, Any] = {
        "id": "test-case",
        "origin": "test",
        "message": COMPLAINT,
        "scenario": "complaint",
    }
    data.update(fields)
    return EvalCase.model_validate(data)


reply = passing_reply_json
"""The model's JSON answer: the passing complaint reply with some sections changed."""


def draft_for(case: EvalCase, *answers: str) -> Draft:
    """The draft (or rewrite) of `case` when the model answers `answers` in turn."""
    drafter = Drafter(FakeChatClient(list(answers)), max_attempts=max(1, len(answers)))
    return execute(case, drafter)
