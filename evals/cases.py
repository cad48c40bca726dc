"""Eval cases as data: TOML files of `[[case]]` tables, each with its `[[case.expect]]` checks.

    [[case]]
    id = "complaint-crash-01"
    kind = "draft"
    origin = "000 用户投诉/不满类场景: “你们这个软件怎么回事啊?老是闪退…”"
    message = "你们这个软件怎么回事啊？老是闪退，根本没法用！我要投诉！"
    [[case.expect]]
    type = "guards-pass"

`load_cases` reads files or directories (every `*.toml` in them) and fails with one line
naming the file and the case; `dump_cases` writes cases back in the same format.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from drafting.errors import InputError
from drafting.models import MAX_MESSAGE_CHARS, ScenarioChoice, Ticket, Turn
from evals.expectations import Expectation
from guards import Channel

CaseKind = Literal["draft", "rewrite"]
_CASE_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class CaseError(InputError):
    """An eval case file that cannot be used; the message names the file and the case."""


class EvalCase(BaseModel):
    """A ticket (or an agent's reply to rewrite) with the expectations its draft must meet."""

    model_config = ConfigDict(extra="forbid")

    id: str
    kind: CaseKind = "draft"
    origin: str = Field(min_length=1, description="The document line or the kind of real situation")
    message: str | None = Field(default=None, max_length=MAX_MESSAGE_CHARS)
    scenario: ScenarioChoice = "auto"
    channel: Channel = "online"
    address_as: str = "您"
    facts: dict[str, str] = Field(default_factory=dict)
    history: list[Turn] = Field(default_factory=list)
    agent_text: str | None = Field(default=None, max_length=MAX_MESSAGE_CHARS)
    tone: str = "标准"
    expect: list[Expectation] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        if not _CASE_ID.fullmatch(value):
            raise ValueError(f"id {value!r} must be lowercase letters, digits and single hyphens")
        return value

    @model_validator(mode="after")
    def _inputs_for_kind(self) -> EvalCase:
        if self.kind == "draft" and not (self.message and self.message.strip()):
            raise ValueError("a draft case needs a customer `message`")
        if self.kind == "rewrite" and not (self.agent_text and self.agent_text.strip()):
            raise ValueError("a rewrite case needs the agent's rough reply in `agent_text`")
        return self

    def ticket(self) -> Ticket:
        """The ticket a draft case answers."""
        return Ticket(
            message=self.message or "",
            scenario=self.scenario,
            channel=self.channel,
            address_as=self.address_as,
            facts=self.facts,
            history=self.history,
        )


def bundled_cases_dir() -> Path:
    """The cases shipped with huashu (evals/cases/)."""
    return Path(str(resources.files("evals").joinpath("cases")))


def case_files(paths: Iterable[Path]) -> list[Path]:
    """The TOML files named, with directories expanded to their `*.toml` files (sorted)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(path.glob("*.toml")))
        elif path.is_file():
            files.append(path)
        else:
            raise CaseError(f"{path}: no such case file or directory")
    return files


def load_cases(paths: Iterable[Path | str] | None = None) -> list[EvalCase]:
    """Every case in the files or directories (default: the bundled cases); ids must be unique."""
    files = case_files(Path(p) for p in paths) if paths is not None else case_files([bundled_cases_dir()])
    cases: list[EvalCase] = []
    seen: dict[str, Path] = {}
    for path in files:
        for case in _load_file(path):
            if case.id in seen:
                raise CaseError(f"{path}: case {case.id}: duplicate id (also in {seen[case.id]})")
            seen[case.id] = path
            cases.append(case)
    return cases


def _load_file(path: Path) -> list[EvalCase]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise CaseError(f"{path}: cannot read the case file: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise CaseError(f"{path}: invalid TOML: {exc}") from None
    unknown = sorted(set(data) - {"case"})
    if unknown:
        raise CaseError(f"{path}: unknown top-level key {unknown[0]!r}; cases go in [[case]] tables")
    raw_cases = data.get("case", [])
    if not isinstance(raw_cases, list):
        raise CaseError(f"{path}: `case` must be an array of tables ([[case]])")
    return [_parse_case(path, index, raw) for index, raw in enumerate(raw_cases, start=1)]


def _parse_case(path: Path, index: int, raw: Any) -> EvalCase:
    case_id = raw.get("id", f"#{index}") if isinstance(raw, dict) else f"#{index}"
    try:
        return EvalCase.model_validate(raw)
    except ValidationError as exc:
        raise CaseError(f"{path}: case {case_id}: {_first_error(exc)}") from None


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {message}{more}" if where else f"{message}{more}"


def dump_cases(cases: Sequence[EvalCase]) -> str:
    """The cases as TOML in the case-file format (defaults left out, so the files stay short)."""
    tables = [case.model_dump(mode="json", exclude_defaults=True, exclude={"id", "kind"}) for case in cases]
    ordered = [
        {"id": case.id, "kind": case.kind, **{k: v for k, v in table.items() if k != "expect"}}
        | ({"expect": [_without_none(e) for e in table["expect"]]} if table.get("expect") else {})
        for case, table in zip(cases, tables, strict=True)
    ]
    return tomli_w.dumps({"case": ordered}, multiline_strings=True)


def _without_none(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value is not None}
