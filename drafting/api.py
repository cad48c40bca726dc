"""Build a client and a drafter from the settings: the configured endpoint, or the local model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import cast

from drafting.client import OpenAIChatClient
from drafting.engine import DEFAULT_MAX_ATTEMPTS, Drafter
from drafting.models import StrategyChoice
from drafting.settings import Settings, StructuredMode, load_settings
from guards import CompiledPolicy, Policy

StatusCallback = Callable[[str], None]
LOCAL_MODEL_SOURCE = "embedded local model"


def local_settings(settings: Settings, on_status: StatusCallback | None = None) -> Settings:
    """`settings` pointed at the embedded local model (started if needed, reused if running)."""
    from drafting import local_model  # imported on use: only needed without an endpoint

    endpoint = local_model.ensure_server(on_status=on_status)
    mode = cast(StructuredMode, endpoint.structured_mode)
    return settings.with_endpoint(endpoint.base_url, endpoint.model, mode, source=LOCAL_MODEL_SOURCE)


def resolve_settings(
    settings: Settings | None = None, *, on_status: StatusCallback | None = None
) -> Settings:
    """The settings to use: loaded now (env, config file), with the local model when none is set."""
    settings = settings or load_settings()
    return settings if settings.configured else local_settings(settings, on_status)


def build_client(
    settings: Settings | None = None, *, on_status: StatusCallback | None = None
) -> OpenAIChatClient:
    """An OpenAI-compatible client for the configured endpoint (or the embedded local model)."""
    return OpenAIChatClient(resolve_settings(settings, on_status=on_status))


def build_drafter(
    settings: Settings | None = None,
    *,
    policy: Policy | CompiledPolicy | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    on_status: StatusCallback | None = None,
    strategy: StrategyChoice | None = None,
) -> Drafter:
    """A Drafter on the configured endpoint (or the embedded local model), in its drafting strategy.

    `strategy` overrides the settings' (`auto`: compose on the embedded model, free on an endpoint).
    """
    settings = settings or load_settings()
    if strategy is not None:
        settings = replace(settings, strategy=strategy)
    local = not settings.configured
    client = build_client(settings, on_status=on_status)
    return Drafter(
        client, policy=policy, max_attempts=max_attempts, strategy=settings.drafting_strategy(local)
    )
