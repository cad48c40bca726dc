"""Recorded model responses: one vcrpy cassette per case and model, and the settings they need.

    evals/cassettes/<model>/<strategy>/<case-id>.yaml   the HTTP interactions of one case (vcrpy)
    evals/cassettes/<model>/<strategy>/manifest.json    how they were recorded: endpoint path,
                                              model, strategy, structured mode, temperature,
                                              token limit, attempts, prompt version, and per
                                              case the time it took and when

Replays match on method, path and body, so a replay must send byte-identical requests:
it uses the manifest's settings. A request that is not in the cassette (prompts, policy or
engine changed) is a stale cassette, reported with the command that re-records it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import vcr
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from vcr.errors import CannotOverwriteExistingCassetteException

from drafting.errors import HuashuError
from drafting.models import Strategy
from drafting.prompting import Prompts, prompt_fingerprint
from drafting.settings import StructuredMode
from guards import Policy

# Headers that may carry credentials; never written to a cassette (requests or responses).
SECRET_HEADERS = (
    "authorization",
    "proxy-authorization",
    "api-key",
    "x-api-key",
    "x-goog-api-key",
    "openai-organization",
    "openai-project",
    "cookie",
    "set-cookie",
)
SECRET_QUERY_PARAMETERS = ("key", "api_key", "api-key", "access_token")
MATCH_ON = ("method", "path", "body")
MANIFEST = "manifest.json"
_FOLDER_UNSAFE = re.compile(r"[^a-z0-9._-]+")


def bundled_cassettes_dir() -> Path:
    """The cassettes shipped with huashu (evals/cassettes/)."""
    return Path(str(resources.files("evals").joinpath("cassettes")))


def model_folder(model: str) -> str:
    """The folder name for a model's cassettes: lowercase, path-safe."""
    name = _FOLDER_UNSAFE.sub("-", model.strip().lower()).strip("-.")
    if not name:
        raise HuashuError(f"cannot name a cassette folder after the model {model!r}")
    return name


def recorded_models(root: Path) -> list[str]:
    """The model folders under `root` that hold a strategy folder with a manifest."""
    return sorted({p.parent.parent.name for p in root.glob(f"*/*/{MANIFEST}")})


def recorded_strategies(root: Path, model: str) -> list[Strategy]:
    """The strategies recorded for a model (compose first)."""
    found = {p.parent.name for p in (root / model_folder(model)).glob(f"*/{MANIFEST}")}
    return [s for s in ("compose", "free") if s in found]


def strategy_folder(root: Path, model: str, strategy: Strategy) -> Path:
    """Where a model's cassettes of one drafting strategy live."""
    return root / model_folder(model) / strategy


def cassette_path(folder: Path, case_id: str) -> Path:
    """Where one case's cassette lives."""
    return folder / f"{case_id}.yaml"


def _drop_secret_response_headers(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in SECRET_HEADERS:
            del headers[name]
    return response


def cassette_vcr(folder: Path, *, record: bool) -> vcr.VCR:
    """vcrpy set up for eval cassettes: secrets filtered, strict matching, replay-only unless recording."""
    return vcr.VCR(
        cassette_library_dir=str(folder),
        record_mode="all" if record else "none",
        match_on=list(MATCH_ON),
        filter_headers=list(SECRET_HEADERS),
        filter_query_parameters=list(SECRET_QUERY_PARAMETERS),
        before_record_response=_drop_secret_response_headers,
        decode_compressed_response=True,
    )


@contextmanager
def cassette(folder: Path, name: str, *, record: bool) -> Iterator[Any]:
    """Inside this block, HTTP calls of the openai SDK replay from (or record to) `folder/name`."""
    with cassette_vcr(folder, record=record).use_cassette(name) as tape:
        yield tape


def prompt_version(policy: Policy) -> str:
    """A short hash of the prompts as sent: the templates, the rendered system prompt, the reply schema.

    The policy's own fingerprint is kept apart (a guard change alone does not change what the
    model is asked; when it changes a re-ask, the replay finds the cassette stale anyway).
    """
    return prompt_fingerprint(Prompts(policy))[:12]


class CaseRecording(BaseModel):
    """How one case's cassette was recorded."""

    model_config = ConfigDict(extra="forbid")

    prompt_version: str
    recorded_at: str
    latency_s: float
    calls: int = 0
    policy_fingerprint: str = ""


class Manifest(BaseModel):
    """A model folder's recording settings (a replay uses them to send identical requests)."""

    model_config = ConfigDict(extra="forbid")

    model: str
    strategy: Strategy = "free"
    base_url: str
    structured_mode: StructuredMode
    temperature: float
    max_tokens: int
    max_attempts: int
    prompt_version: str = ""
    cases: dict[str, CaseRecording] = Field(default_factory=dict)

    def same_requests_as(self, other: Manifest) -> bool:
        """True when both send the same requests for the same case (the endpoint's host aside)."""
        keys = ("model", "strategy", "structured_mode", "temperature", "max_tokens", "max_attempts")
        return all(getattr(self, k) == getattr(other, k) for k in keys)


def load_manifest(folder: Path) -> Manifest | None:
    """The folder's manifest, or None when nothing was recorded there yet."""
    path = folder / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        return Manifest.model_validate_json(text)
    except ValidationError as exc:
        raise HuashuError(
            f"{path}: not a valid cassette manifest ({exc.errors()[0]['msg']})",
            hint="re-record the folder with: huashu eval --record --force",
        ) from None


def save_manifest(folder: Path, manifest: Manifest) -> None:
    """Write the manifest with sorted keys (stable diffs)."""
    folder.mkdir(parents=True, exist_ok=True)
    data = manifest.model_dump(mode="json")
    data["cases"] = dict(sorted(data["cases"].items()))
    text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    (folder / MANIFEST).write_text(text, encoding="utf-8")


def replay_mismatch(error: BaseException) -> CannotOverwriteExistingCassetteException | None:
    """The vcrpy 'request not in cassette' error behind `error` (the SDK and the client wrap it)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, CannotOverwriteExistingCassetteException):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def rerecord_command(model: str, case_id: str | None = None, strategy: Strategy = "free") -> str:
    """The command that re-records a model's cassettes of a strategy (one case, or the whole folder)."""
    case = f" --case {case_id}" if case_id else ""
    return f"huashu eval --record --force --model {model} --strategy {strategy}{case}"
