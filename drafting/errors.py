"""Typed errors: each message tells the user what happened and what to do."""

from __future__ import annotations

import json


class HuashuError(Exception):
    """Base of every expected failure; the CLI prints it as one line and exits with `exit_code`."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class InputError(HuashuError):
    """Bad input from the user: empty text, unreadable file, malformed line."""


class ConfigError(HuashuError):
    """Missing or invalid configuration (endpoint, key, model, config file)."""


class EndpointError(HuashuError):
    """The model endpoint failed: unreachable, rejected the request, or kept failing."""

    exit_code = 4


class EndpointUnreachableError(EndpointError):
    """No connection to the endpoint (refused, DNS, TLS) or it did not answer in time."""


class AuthenticationFailedError(EndpointError):
    """The endpoint rejected the API key (401/403)."""


class ModelNotFoundError(EndpointError):
    """The endpoint does not serve the configured model (404)."""


class RateLimitedError(EndpointError):
    """The endpoint kept answering 429 after every retry."""


class ServerFailedError(EndpointError):
    """The endpoint kept answering 5xx after every retry."""


class RequestRejectedError(EndpointError):
    """The endpoint rejected the request itself (400/422)."""


class ModelOutputError(HuashuError):
    """The model answered, but not with a usable reply."""

    exit_code = 5


class TruncatedOutputError(ModelOutputError):
    """The model stopped at the token limit (finish_reason=length)."""


class RefusalError(ModelOutputError):
    """The model refused, or the endpoint's content filter stopped it."""


class UnparseableOutputError(ModelOutputError):
    """The model's answer was not the JSON reply asked for, even after one re-ask."""


def json_error_text(exc: json.JSONDecodeError) -> str:
    """What is wrong with a JSON text and where: 'Expecting value at column 5'.

    Some messages already end in 'at' ('Unterminated string starting at'): the column follows.
    """
    where = "" if exc.msg.endswith(" at") else " at"
    return f"{exc.msg}{where} column {exc.colno}"
