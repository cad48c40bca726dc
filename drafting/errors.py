"""Typed errors: each message tells the user what happened and what to do."""

from __future__ import annotations


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
