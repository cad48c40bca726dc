"""The embedded local model's interface for the drafting engine (implemented in drafting.local)."""

from drafting.local import (
    STRUCTURED_MODE,
    LocalEndpoint,
    LocalModelError,
    ensure_server,
    resolve_model_path,
    server_status,
    stop_server,
)

__all__ = [
    "STRUCTURED_MODE",
    "LocalEndpoint",
    "LocalModelError",
    "ensure_server",
    "resolve_model_path",
    "server_status",
    "stop_server",
]
