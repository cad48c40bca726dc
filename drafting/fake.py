"""A scripted chat client for tests, evals and UI tests: no network, no model.

    client = FakeChatClient([reply_json(soothe="…", …), RuntimeError("boom")])
    drafter = Drafter(client)

Each call takes the next scripted item: a string is the answer's content, a dict or Reply is
sent as JSON, a Completion is returned as is, an exception is raised. When the script runs
out, the last item repeats (so `FakeChatClient([answer])` always gives that answer).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from drafting.chat import ChatRequest, Completion, ContentDelta, StreamItem, check_completion
from drafting.models import SECTION_ORDER, Reply, Usage

Scripted = str | Mapping[str, Any] | Reply | Completion | BaseException


def reply_json(scenario: str | None = None, **sections: str) -> str:
    """The JSON a model would answer with: the scenario (if any) and the given sections."""
    unknown = set(sections) - set(SECTION_ORDER)
    if unknown:
        raise ValueError(f"unknown section(s): {', '.join(sorted(unknown))}")
    data: dict[str, Any] = {} if scenario is None else {"scenario": scenario}
    data.update({name: sections.get(name, "") for name in SECTION_ORDER})
    return json.dumps(data, ensure_ascii=False)


PASSING_COMPLAINT_SECTIONS = {
    "greeting": "张先生，您好",
    "soothe": "非常理解您的感受，请您别着急",
    "apology": "非常抱歉给您带来了不好的体验",
    "details_request": "为了更好地帮您解决问题，能否提供一下您的订单号或联系方式？",
    "solution": "我已经将您反映的情况记录下来，会安排专人为您核实处理",
    "commitment": "我们将在2个工作日内联系您反馈处理进展",
    "closing": "请问还有其他可以帮到您的吗？",
}
"""A complaint reply that passes every guard of the default policy (online channel)."""


def passing_reply_json(scenario: str | None = "complaint", **changes: str) -> str:
    """The passing complaint reply as model JSON, with some sections changed."""
    return reply_json(scenario, **{**PASSING_COMPLAINT_SECTIONS, **changes})


class FakeChatClient:
    """A ChatClient that answers from a script and records every request it got."""

    def __init__(
        self,
        script: Sequence[Scripted],
        *,
        model: str = "fake-model",
        chunk_chars: int = 7,
        usage: Usage | None = None,
    ) -> None:
        if not script:
            raise ValueError("the script needs at least one answer")
        self._script = list(script)
        self._model = model
        self._chunk_chars = chunk_chars
        self._usage = usage or Usage(prompt_tokens=100, completion_tokens=50)
        self._lock = threading.Lock()
        self.requests: list[ChatRequest] = []

    @property
    def model(self) -> str:
        """The fake model's name."""
        return self._model

    @property
    def calls(self) -> int:
        """How many requests were answered (or failed) so far."""
        return len(self.requests)

    def complete(self, request: ChatRequest) -> Completion:
        """The next scripted answer."""
        return check_completion(self._next(request), request.max_tokens)

    def stream(self, request: ChatRequest) -> Iterator[StreamItem]:
        """The next scripted answer in pieces of `chunk_chars` characters, then whole."""
        completion = self._next(request)
        for start in range(0, len(completion.content), self._chunk_chars):
            yield ContentDelta(completion.content[start : start + self._chunk_chars])
        yield check_completion(completion, request.max_tokens)

    def _next(self, request: ChatRequest) -> Completion:
        with self._lock:
            index = min(len(self.requests), len(self._script) - 1)
            self.requests.append(request)
            item = self._script[index]
        if isinstance(item, BaseException):
            raise item
        return self._completion(item)

    def _completion(self, item: str | Mapping[str, Any] | Reply | Completion) -> Completion:
        if isinstance(item, Completion):
            return item
        if isinstance(item, Reply):
            content = item.model_dump_json()
        elif isinstance(item, Mapping):
            content = json.dumps(dict(item), ensure_ascii=False)
        else:
            content = item
        return Completion(content=content, usage=self._usage, model=self._model)
