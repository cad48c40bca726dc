"""Tone presets for rewrites, as data (prompts/tones.toml)."""

from __future__ import annotations

import functools
import tomllib
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field

from drafting.errors import InputError
from guards import Channel


class Tone(BaseModel):
    """A rewrite tone: its name, other names, the prompt instruction and defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    aliases: list[str] = Field(default_factory=list)
    instruction: str
    address_as: str = "您"
    channel: Channel | None = None


class UnknownToneError(InputError):
    """A tone name that is not one of the presets."""


@functools.cache
def tones() -> tuple[Tone, ...]:
    """Every tone preset, in file order."""
    text = resources.files("prompts").joinpath("tones.toml").read_text(encoding="utf-8")
    return tuple(Tone.model_validate(item) for item in tomllib.loads(text)["tones"])


def tone_names() -> list[str]:
    """The preset names (标准, 正式, …)."""
    return [t.name for t in tones()]


def get_tone(name: str) -> Tone:
    """The preset called `name` (or one of its aliases); a clear error listing the presets otherwise."""
    wanted = name.strip().lower()
    for tone in tones():
        if wanted == tone.name or wanted in (a.lower() for a in tone.aliases):
            return tone
    raise UnknownToneError(f"unknown tone {name!r}; choose one of: {', '.join(tone_names())}")
