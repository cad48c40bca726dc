"""Where the model is: environment variables, a config file, or the embedded local model.

Read when a client is built, never at import. Precedence, per setting: HUASHU_* environment
variables, then the standard OPENAI_BASE_URL / OPENAI_API_KEY, then the `[endpoint]` table of
the config file (HUASHU_CONFIG, default `<user config dir>/huashu/config.toml`). An endpoint
counts as configured when a base URL or an API key is set; otherwise huashu uses the embedded
local model. The drafting strategy comes from HUASHU_STRATEGY or the `[drafting]` table.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import platformdirs

from drafting.errors import ConfigError
from drafting.models import STRATEGY_CHOICES, Strategy, StrategyChoice

StructuredMode = Literal["auto", "json_schema", "json_object_schema", "json_object", "none"]
STRUCTURED_MODES: tuple[StructuredMode, ...] = get_args(StructuredMode)
OPENAI_BASE_URL = "https://api.openai.com/v1"
# The local server accepts any key; the SDK insists on one.
NO_KEY = "sk-no-key-required"
# What a credential is replaced with wherever a URL or a message is shown or stored.
REDACTED = "***"
# Query parameters that carry credentials (Azure's api-key, Google's key, signed URLs' sig, …);
# any name that ends in one of these words counts too (x-api-key, client_secret, id_token).
SECRET_QUERY_WORDS = (
    "key",
    "token",
    "secret",
    "sig",
    "signature",
    "password",
    "passwd",
    "auth",
    "credential",
)
# Shorter configured values are not masked in free text: they would mask ordinary words.
MIN_SECRET_CHARS = 6

_ENV_NAMES = {
    "base_url": ("HUASHU_BASE_URL", "OPENAI_BASE_URL"),
    "api_key": ("HUASHU_API_KEY", "OPENAI_API_KEY"),
    "model": ("HUASHU_MODEL",),
    "structured_mode": ("HUASHU_STRUCTURED_MODE",),
    "timeout_s": ("HUASHU_TIMEOUT",),
    "max_retries": ("HUASHU_MAX_RETRIES",),
    "max_tokens": ("HUASHU_MAX_TOKENS",),
    "temperature": ("HUASHU_TEMPERATURE",),
    "strategy": ("HUASHU_STRATEGY",),
}
# Keys of the config file's `[drafting]` table (the rest belong to `[endpoint]`).
_DRAFTING_KEYS = ("strategy",)
_NUMBERS: dict[str, type[float] | type[int]] = {
    "timeout_s": float,
    "max_retries": int,
    "max_tokens": int,
    "temperature": float,
}


@dataclass(frozen=True)
class Settings:
    """How to reach the model: endpoint, key, model, structured-output mode and limits."""

    base_url: str | None = None
    api_key: str | None = None
    model: str | None = None
    structured_mode: StructuredMode = "auto"
    timeout_s: float = 120.0
    max_retries: int = 3
    max_tokens: int = 1024
    temperature: float = 0.3
    retry_wait_s: float = 1.0
    retry_max_wait_s: float = 30.0
    strategy: StrategyChoice = "auto"
    source: str = "defaults"

    @property
    def shown_url(self) -> str:
        """The base URL as it may be shown or stored: user, password and secret query values masked."""
        return redact_url(self.base_url or "")

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every configured credential: the API key and the URL's user, password and secret query values."""
        found = [self.api_key or ""]
        if self.base_url:
            found += url_secrets(self.base_url)
        # Shorter values would match ordinary words; in a URL they are masked by their place anyway.
        usable = {s for s in found if len(s) >= MIN_SECRET_CHARS and s != NO_KEY}
        return tuple(sorted(usable, key=len, reverse=True))

    def redact(self, text: str) -> str:
        """`text` with every configured credential masked (for messages that echo a server's words)."""
        return redact_text(text, self.secrets)

    @property
    def configured(self) -> bool:
        """True when an endpoint is set; False means: use the embedded local model."""
        return bool(self.base_url or self.api_key)

    def drafting_strategy(self, local: bool) -> Strategy:
        """The strategy to draft with: as chosen, or for `auto` compose on the local model, else free."""
        if self.strategy != "auto":
            return self.strategy
        return "compose" if local else "free"

    def with_endpoint(
        self, base_url: str, model: str, structured_mode: StructuredMode, source: str
    ) -> Settings:
        """These settings pointed at another endpoint (the local model's)."""
        return replace(
            self,
            base_url=base_url,
            model=model,
            api_key=NO_KEY,
            structured_mode=structured_mode,
            source=source,
        )


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """The config file: $HUASHU_CONFIG, else the platform's user config dir."""
    env = os.environ if env is None else env
    configured = env.get("HUASHU_CONFIG", "").strip()
    return (
        Path(configured).expanduser()
        if configured
        else Path(platformdirs.user_config_dir("huashu")) / "config.toml"
    )


def load_settings(env: Mapping[str, str] | None = None, path: Path | None = None) -> Settings:
    """Settings from the environment over the config file's `[endpoint]` table over defaults."""
    env = os.environ if env is None else env
    path = path or config_path(env)
    values: dict[str, Any] = dict(_read_config(path))
    sources = [str(path)] if values else []
    for name, env_names in _ENV_NAMES.items():
        for env_name in env_names:
            raw = env.get(env_name, "").strip()
            if raw:
                values[name] = _coerce(name, raw, env_name)
                sources.append(env_name)
                break
    strategy = values.get("strategy", "auto")
    if strategy not in STRATEGY_CHOICES:
        raise ConfigError(
            f"unknown drafting strategy {strategy!r}; choose one of: {', '.join(STRATEGY_CHOICES)}"
        )
    mode = values.get("structured_mode", "auto")
    if mode not in STRUCTURED_MODES:
        raise ConfigError(
            f"unknown structured output mode {mode!r}; choose one of: {', '.join(STRUCTURED_MODES)}"
        )
    if values.get("api_key") and not values.get("base_url"):
        values["base_url"] = OPENAI_BASE_URL
    return Settings(**values, source=", ".join(dict.fromkeys(sources)) or "defaults")


def _read_config(path: Path) -> dict[str, Any]:
    """The `[endpoint]` table of the config file ({} when there is no file)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    table = data.get("endpoint", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [endpoint] must be a table")
    endpoint_keys = [k for k in _ENV_NAMES if k not in _DRAFTING_KEYS]
    unknown = sorted(set(table) - set(endpoint_keys))
    if unknown:
        raise ConfigError(
            f"{path}: unknown [endpoint] key {unknown[0]!r}; known keys: {', '.join(endpoint_keys)}"
        )
    drafting = data.get("drafting", {})
    if not isinstance(drafting, dict):
        raise ConfigError(f"{path}: [drafting] must be a table")
    unknown = sorted(set(drafting) - set(_DRAFTING_KEYS))
    if unknown:
        raise ConfigError(
            f"{path}: unknown [drafting] key {unknown[0]!r}; known keys: {', '.join(_DRAFTING_KEYS)}"
        )
    values = {key: _coerce(key, value, f"{path}: endpoint.{key}") for key, value in table.items()}
    return values | {key: _coerce(key, value, f"{path}: drafting.{key}") for key, value in drafting.items()}


def _coerce(name: str, value: object, where: str) -> object:
    kind = _NUMBERS.get(name)
    if kind is None:
        return str(value)
    try:
        number = kind(value) if isinstance(value, int | float) else kind(str(value))
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: {value!r} is not a number") from None
    if number < 0:
        raise ConfigError(f"{where}: must not be negative")
    return number


def is_secret_query_key(name: str) -> bool:
    """True when a query parameter of this name carries a credential (api-key, key, access_token, sig…)."""
    lowered = name.lower()
    last_word = re.split(r"[^a-z0-9]+", lowered)[-1]
    return last_word in SECRET_QUERY_WORDS or lowered.endswith(("key", "token", "secret"))


def url_secrets(url: str) -> list[str]:
    """The credentials written into `url`: user, password and the values of secret query keys."""
    try:
        parts = urlsplit(url)
        found = [parts.username or "", parts.password or ""]
    except ValueError:
        return [m.group(1) for m in _USERINFO.finditer(url)]
    found += [
        value for name, value in parse_qsl(parts.query, keep_blank_values=True) if is_secret_query_key(name)
    ]
    return [value for value in found if value]


_USERINFO = re.compile(r"//([^/?#@]*)@")


def redact_url(url: str, secrets: Iterable[str] = ()) -> str:
    """`url` as it may be shown or stored: user:password@ and secret query values become ***."""
    try:
        parts = urlsplit(url)
        host = parts.netloc.rpartition("@")[2]
        netloc = f"{REDACTED}@{host}" if "@" in parts.netloc else host
        query = "&".join(_redacted_pair(pair) for pair in parts.query.split("&")) if parts.query else ""
        shown = urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:  # not a URL at all (e.g. a bad port): mask whatever looks like a userinfo
        shown = _USERINFO.sub(f"//{REDACTED}@", url)
    return redact_text(shown, secrets)


def _redacted_pair(pair: str) -> str:
    name, equals, _ = pair.partition("=")
    return f"{name}={REDACTED}" if equals and is_secret_query_key(name) else pair


def redact_text(text: str, secrets: Iterable[str]) -> str:
    """`text` with each of `secrets` (long enough to tell apart from words) replaced by ***."""
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= MIN_SECRET_CHARS:
            text = text.replace(secret, REDACTED)
    return text
