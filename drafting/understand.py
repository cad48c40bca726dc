"""The understand step of the compose strategy: one small grammar-constrained JSON answer.

The model reads the ticket and names the scenario, the problem in the customer's own words,
the emotion and the action the policy allows. Order ids, script, language, the details already
given, demands and escalation are read by code (drafting/detect.py) and are not asked for: a
small model invents demands the customer never made. What it says is
cross-checked deterministically: a problem the customer did not write is dropped, an action
the scenario does not offer is replaced by the scenario's first one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from drafting.chat import ChatRequest, Message
from drafting.demands import compose_data
from drafting.models import Turn
from drafting.prompting import labels, render, scenario_line
from guards import SCENARIOS, Policy, Scenario
from guards.text import fold, strip_invisible

Emotion = Literal["calm", "anxious", "angry"]
EMOTIONS: tuple[Emotion, ...] = ("calm", "anxious", "angry")
# The answer is a few short fields; this caps a model that rambles inside a string.
UNDERSTAND_MAX_TOKENS = 160
_SPACE = re.compile(r"\s+")
_CLAUSE_END = "，,。.！!？?；;：:、…~～)）」』”’\"'"
_SPEAKERS = {"customer": "客户", "agent": "客服"}
_EXAMPLE = {
    "scenario": "after_sales",
    "problem": "充电宝用了两天就充不进电",
    "emotion": "angry",
    "action": "退款审核",
}


def scenario_actions(policy: Policy) -> dict[Scenario, list[str]]:
    """The actions each scenario's solution phrases offer (policy order)."""
    actions: dict[Scenario, list[str]] = {}
    for phrase in policy.model_phrases:
        if phrase.element == "solution" and phrase.scenario and phrase.action and phrase.language == "zh":
            found = actions.setdefault(phrase.scenario, [])
            if phrase.action not in found:
                found.append(phrase.action)
    return actions


def understand_schema(policy: Policy, scenarios: Sequence[Scenario] = SCENARIOS) -> dict[str, Any]:
    """The JSON schema of the answer: enums and short strings only (a small grammar)."""
    all_actions = list(dict.fromkeys(a for found in scenario_actions(policy).values() for a in found))
    problem_chars = compose_data().problem.max_chars
    properties: dict[str, Any] = {
        "scenario": {"type": "string", "enum": list(scenarios)},
        "problem": {"type": "string", "maxLength": problem_chars},
        "emotion": {"type": "string", "enum": list(EMOTIONS)},
        "action": {"type": "string", "enum": all_actions},
    }
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


class UnderstandPrompt:
    """The understand step's prompt for one policy: the system prompt and schemas built once."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.actions = scenario_actions(policy)
        self.system = render(
            "understand_system.j2",
            scenarios=[scenario_line(policy, s) for s in SCENARIOS],
            problem_chars=compose_data().problem.max_chars,
            emotions=labels()["emotions"],
            actions=self.actions,
            example=json.dumps(_EXAMPLE, ensure_ascii=False, separators=(",", ":")),
        )
        self._schemas = {s: understand_schema(policy, [s]) for s in SCENARIOS}
        self._any_scenario = understand_schema(policy)

    def request(self, message: str, history: Sequence[Turn], scenario: Scenario | None) -> ChatRequest:
        """The request: the static system prompt, then the ticket (scenario narrowed when given)."""
        user = render(
            "understand.j2",
            history=[{"speaker": _SPEAKERS[t.role], "text": t.text} for t in history],
            message=message,
        )
        return ChatRequest(
            (Message("system", self.system), Message("user", user)),
            self._schemas[scenario] if scenario else self._any_scenario,
            schema_name="understanding",
            max_tokens=UNDERSTAND_MAX_TOKENS,
        )


class ModelUnderstanding(BaseModel):
    """The model's answer as parsed (unchecked)."""

    model_config = ConfigDict(extra="ignore")

    scenario: Scenario | None = None
    problem: str = ""
    emotion: Emotion = "calm"
    action: str = ""


def parse_understanding(content: str) -> ModelUnderstanding | None:
    """The answer, or None when it is not the JSON asked for (the engine then goes on without it)."""
    try:
        return ModelUnderstanding.model_validate_json(content.strip())
    except ValidationError:
        return None


@dataclass(frozen=True)
class Understanding:
    """The model's reading after the cross-checks: only what the customer said survives."""

    scenario: Scenario | None
    problem: str
    emotion: Emotion
    action: str
    dropped: tuple[str, ...] = ()


def _compact(text: str) -> str:
    return _SPACE.sub("", fold(strip_invisible(text))).lower()


def _whole_clauses(problem: str, customer_texts: Sequence[str]) -> bool:
    """True when `problem` is a piece of a customer text that ends where a clause ends.

    The grammar cuts a long answer at its length limit; a cut piece (“请帮”) is not quoted.
    """
    piece = _compact(problem)
    for text in customer_texts:
        said = _compact(text)
        start = said.find(piece)
        while start != -1:
            end = start + len(piece)
            if end == len(said) or said[end] in _CLAUSE_END:
                return True
            start = said.find(piece, start + 1)
    return False


def cross_check(answer: ModelUnderstanding | None, customer_texts: Sequence[str]) -> Understanding:
    """The answer with every string the customer did not write (or that is not a problem) dropped."""
    if answer is None:
        return Understanding(None, "", "calm", "", ("the model's answer was not usable JSON",))
    dropped: list[str] = []
    problem = answer.problem.strip().strip("，。,.!?！？ ")
    slot = compose_data().problem
    if problem and (
        not _whole_clauses(problem, customer_texts)
        or len(problem) > slot.max_chars
        or any(re.search(p, fold(problem)) for p in slot.rejects)
    ):
        dropped.append(f"problem “{problem}”")
        problem = ""
    return Understanding(
        scenario=answer.scenario,
        problem=problem,
        emotion=answer.emotion,
        action=answer.action,
        dropped=tuple(dropped),
    )
