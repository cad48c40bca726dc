"""What the agent page talks to: how drafters are made, the local model's controls, the policy.

The page reads a `Backend` from session state under BACKEND_KEY and falls back to
`default_backend()`; tests put one with a fake chat client there before the first run.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from tenacity import RetryCallState

from drafting.api import build_drafter
from drafting.client import OpenAIChatClient
from drafting.engine import Drafter
from drafting.local.server import LocalEndpoint
from drafting.settings import Settings, load_settings
from guards import CompiledPolicy, Policy, compile_policy, load_policy
from guards.loader import DEFAULT_POLICY_NAME

BACKEND_KEY = "huashu_backend"
POLICY_ENV = "HUASHU_POLICY"
StatusCallback = Callable[[str], None]
DrafterFactory = Callable[[CompiledPolicy, StatusCallback], Drafter]


class LocalModelControls(Protocol):
    """Status, start and stop of the embedded local model."""

    def status(self) -> LocalEndpoint | None:
        """The running server's endpoint, or None."""
        ...

    def start(self, on_status: StatusCallback) -> LocalEndpoint:
        """Start it (or reuse the running one) and wait until it answers."""
        ...

    def stop(self) -> bool:
        """Stop it; False when it was not running."""
        ...


class EmbeddedLocalModel:
    """The real local llama.cpp server huashu runs (drafting.local_model)."""

    def status(self) -> LocalEndpoint | None:
        """The running server's endpoint, or None."""
        from drafting import local_model

        return local_model.server_status()

    def start(self, on_status: StatusCallback) -> LocalEndpoint:
        """Start it (or reuse the running one) and wait until it answers."""
        from drafting import local_model

        return local_model.ensure_server(on_status=on_status)

    def stop(self) -> bool:
        """Stop it; False when it was not running."""
        from drafting import local_model

        return local_model.stop_server()


def _build_drafter(policy: CompiledPolicy, on_status: StatusCallback) -> Drafter:
    drafter = build_drafter(policy=policy, on_status=on_status)
    if isinstance(drafter.client, OpenAIChatClient):
        report_retries(drafter.client, on_status)
    return drafter


def report_retries(client: OpenAIChatClient, on_status: StatusCallback) -> None:
    """Tell the agent while the client waits to try the endpoint again (attempt n of m)."""
    total = client.settings.max_retries + 1

    def before_sleep(state: RetryCallState) -> None:
        wait = state.next_action.sleep if state.next_action else 0.0
        when = f"{wait:.0f} 秒后" if wait >= 1 else "马上"
        on_status(f"模型服务暂时没有回答，{when}进行第 {state.attempt_number + 1} 次尝试（共 {total} 次）…")

    # The client's one retry layer tells the page; the UI needs no retry logic of its own.
    client.on_retry = before_sleep


@dataclass(frozen=True)
class Backend:
    """The drafter factory, the settings shown in the status line, the local model and the policy file."""

    make_drafter: DrafterFactory = _build_drafter
    settings: Callable[[], Settings] = load_settings
    local_model: LocalModelControls = field(default_factory=EmbeddedLocalModel)
    policy_path: str | None = None


def default_backend(env: Mapping[str, str] | None = None) -> Backend:
    """The real backend: settings from the environment, the policy file from $HUASHU_POLICY."""
    env = os.environ if env is None else env
    return Backend(policy_path=env.get(POLICY_ENV, "").strip() or None)


@dataclass(frozen=True)
class LoadedPolicy:
    """A policy, compiled once, and how the status line names it."""

    policy: Policy
    label: str
    compiled: CompiledPolicy


def page_policy(path: str | None) -> LoadedPolicy:
    """The policy file (or the built-in one), loaded once per file version."""
    if path is None:
        return _load(None, 0.0)
    resolved = Path(path).expanduser().resolve()
    try:
        mtime = resolved.stat().st_mtime
    except OSError:
        mtime = 0.0  # load_policy reports the missing file
    return _load(str(resolved), mtime)


@functools.lru_cache(maxsize=8)
def _load(path: str | None, mtime: float) -> LoadedPolicy:
    # Cached by file and mtime (the page reruns on every interaction): compiled once per version.
    policy = load_policy(path)
    meta = f"{policy.meta.name} {policy.meta.version}"
    label = f"{path}（{meta}）" if path else f"{DEFAULT_POLICY_NAME}，内置（{meta}）"
    return LoadedPolicy(policy, label, compile_policy(policy))
