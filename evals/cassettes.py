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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import vcr
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from vcr.errors import CannotOverwriteExistingCassetteException

from drafting.errors import HuashuError
from drafting.models import Strategy
from drafting.prompting import Prompts, prompt_fingerprint
from drafting.settings import REDACTED, StructuredMode, redact_url, url_secrets
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
SECRET_QUERY_PARAMETERS = ("key", "api_key", "api-key", "access_token", "token", "secret", "sig")
# Credentials as providers write them: OpenAI-style keys, bearer tokens, Google API keys.
KEY_PATTERN = re.compile(r"\bsk-[A-Za-z0-9_-]{16,}|Bearer\s+\S+|AIza[0-9A-Za-z_-]{30,}", re.IGNORECASE)
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


class SecretFilter:
    """Keeps credentials out of a cassette: the URL's user, password and secret query values,
    secret headers by name, and any header whose value holds a configured secret (a server may
    echo the key back under any name). A secret in a response body is masked by as many *.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = tuple(s for s in secrets if s)

    def request(self, request: Any) -> Any:
        """The request as recorded (and as matched on replay): its URI without credentials."""
        request.uri = redact_url(request.uri, self.secrets)
        return request

    def response(self, response: dict[str, Any]) -> dict[str, Any]:
        """The response as recorded: no secret header, no secret in any header or the body."""
        headers = response.get("headers", {})
        for name in list(headers):
            if name.lower() in SECRET_HEADERS or self._holds_secret(headers[name]):
                del headers[name]
        body = response.get("body", {})
        if isinstance(body, dict) and isinstance(body.get("string"), bytes | str):
            body["string"] = self._masked(body["string"])
        return response

    def _holds_secret(self, values: Any) -> bool:
        texts = values if isinstance(values, list) else [values]
        return any(secret in str(text) for text in texts for secret in self.secrets)

    def _masked(self, data: bytes | str) -> bytes | str:
        for secret in self.secrets:
            if isinstance(data, bytes):
                data = data.replace(secret.encode("utf-8"), b"*" * len(secret.encode("utf-8")))
            else:
                data = data.replace(secret, "*" * len(secret))  # same length: Content-Length holds
        return data


def cassette_vcr(folder: Path, *, record: bool, secrets: Iterable[str] = ()) -> vcr.VCR:
    """vcrpy set up for eval cassettes: secrets filtered, strict matching, replay-only unless recording."""
    secret_filter = SecretFilter(secrets)
    return vcr.VCR(
        cassette_library_dir=str(folder),
        record_mode="all" if record else "none",
        match_on=list(MATCH_ON),
        filter_headers=list(SECRET_HEADERS),
        filter_query_parameters=list(SECRET_QUERY_PARAMETERS),
        before_record_request=secret_filter.request,
        before_record_response=secret_filter.response,
        decode_compressed_response=True,
    )


@contextmanager
def cassette(folder: Path, name: str, *, record: bool, secrets: Iterable[str] = ()) -> Iterator[Any]:
    """Inside this block, HTTP calls of the openai SDK replay from (or record to) `folder/name`.

    `secrets` are the live endpoint's credentials: none of them is written to the cassette.
    """
    with cassette_vcr(folder, record=record, secrets=secrets).use_cassette(name) as tape:
        yield tape


def url_leaks(url: str) -> list[str]:
    """What in a stored URL is a credential: a user or password, or a secret query value."""
    return [value for value in url_secrets(url) if value != REDACTED]


def secret_leaks(folder: Path, secrets: Iterable[str] = ()) -> list[str]:
    """Every credential written in a folder's cassettes and manifest (see file_leaks)."""
    paths = sorted([*folder.glob("*.yaml"), *folder.glob(MANIFEST)])
    return [leak for path in paths for leak in file_leaks(path, secrets)]


def file_leaks(path: Path, secrets: Iterable[str] = ()) -> list[str]:
    """Every credential written in one cassette or manifest: the secret scan.

    Finds secret headers by name, user:password@ and secret query values in URLs, and any of
    `secrets` (or anything shaped like a provider key) anywhere in the file.
    """
    text = path.read_text(encoding="utf-8")
    leaks = [f"{path.name}: holds a configured secret" for s in secrets if s and s in text]
    leaks += [f"{path.name}: holds a key {m.group()[:6]}…" for m in KEY_PATTERN.finditer(text)]
    if path.name == MANIFEST:
        if url_leaks(json.loads(text).get("base_url", "")):
            leaks.append(f"{path.name}: base_url has credentials")
        return leaks
    for number, interaction in enumerate(yaml.safe_load(text).get("interactions", []), start=1):
        if url_leaks(interaction["request"]["uri"]):
            leaks.append(f"{path.name} #{number}: the URI has credentials")
        for part in ("request", "response"):
            names = {name.lower() for name in interaction[part].get("headers", {})}
            leaks += [
                f"{path.name} #{number}: {part} header {n}" for n in sorted(names & set(SECRET_HEADERS))
            ]
    return leaks


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
