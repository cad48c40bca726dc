"""The embedded default model: llama.cpp's OpenAI-compatible server on 127.0.0.1, run by huashu.

Used when no endpoint is configured. See docs/local-model.md.
"""

from drafting.local.errors import LocalModelError
from drafting.local.server import (
    DEFAULT_STARTUP_TIMEOUT,
    STRUCTURED_MODE,
    LocalEndpoint,
    ServerProgram,
    ServerRecord,
    ensure_server,
    llama_cpp_program,
    server_answers,
    server_record,
    server_status,
    stop_server,
)
from drafting.local.weights import BundleCatalog, BundleSpec, load_catalog, resolve_model_path

__all__ = [
    "DEFAULT_STARTUP_TIMEOUT",
    "STRUCTURED_MODE",
    "BundleCatalog",
    "BundleSpec",
    "LocalEndpoint",
    "LocalModelError",
    "ServerProgram",
    "ServerRecord",
    "ensure_server",
    "llama_cpp_program",
    "load_catalog",
    "resolve_model_path",
    "server_answers",
    "server_record",
    "server_status",
    "stop_server",
]
