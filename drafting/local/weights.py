"""Model weights for the local server: a known bundle assembled from its PyPI parts, or any GGUF file."""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import os
import tempfile
import time
import tomllib
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import BinaryIO, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from drafting.local.cache import exclusive_lock, models_dir
from drafting.local.errors import LocalModelError
from drafting.local.settings import local_setting

StatusCallback = Callable[[str], None]
GGUF_MAGIC = b"GGUF"
_CHUNK_BYTES = 8 << 20
_ENDPOINT_HINT = "or use an OpenAI-compatible endpoint: set HUASHU_BASE_URL, HUASHU_API_KEY and HUASHU_MODEL"


class BundleSpec(BaseModel):
    """A GGUF file shipped as numbered PyPI packages whose parts join, in order, into the file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str
    upstream: str
    distribution: str = Field(description="Distribution name with {n} for the part number")
    module: str = Field(description="Importable module with {n}; its get_part_path() gives the part file")
    version: str
    parts: int = Field(ge=1)
    size: int = Field(gt=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    filename: str
    install: str = Field(description="The command that installs the parts")

    @property
    def cache_filename(self) -> str:
        """File name in the cache; the hash prefix keeps two versions of a bundle apart."""
        stem = self.filename.removesuffix(".gguf")
        return f"{stem}-{self.sha256[:12]}.gguf"


class BundleCatalog(BaseModel):
    """The known bundles (drafting/local/bundles.toml) and the one used when nothing is configured."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default: str
    bundles: dict[str, BundleSpec]


class PartFile(NamedTuple):
    """One installed part of a bundle."""

    distribution: str
    path: Path


def load_catalog() -> BundleCatalog:
    """Read the known bundles from the package data."""
    data = tomllib.loads(resources.files("drafting.local").joinpath("bundles.toml").read_text("utf-8"))
    tables = data.get("bundles", {})
    try:
        bundles = {name: BundleSpec(name=name, **table) for name, table in tables.items()}
        return BundleCatalog(default=data["default"], bundles=bundles)
    except (ValidationError, KeyError, TypeError) as exc:
        raise LocalModelError(f"drafting/local/bundles.toml is invalid: {exc}") from exc


def configured_model() -> str | None:
    """The model set by `HUASHU_LOCAL_MODEL` or the config file's [local] model, if any."""
    return local_setting("model")


def resolve_model_path(on_status: StatusCallback | None = None, *, model: str | None = None) -> Path:
    """The GGUF file to serve: `model`, else the configured one, else the default bundle, assembled."""
    catalog = load_catalog()
    choice = model or configured_model() or catalog.default
    if choice in catalog.bundles:
        return assemble_bundle(catalog.bundles[choice], on_status)
    path = Path(choice).expanduser()
    if not path.exists() and path.suffix != ".gguf" and os.sep not in choice:
        known = ", ".join(catalog.bundles)
        raise LocalModelError(
            f"unknown local model {choice!r}: name a known bundle ({known}) or give the path of a GGUF file"
        )
    return checked_gguf(path)


def checked_gguf(path: Path) -> Path:
    """`path` resolved, after checking it is a readable GGUF file (llama.cpp's own error is cryptic)."""
    try:
        with open(path, "rb") as handle:
            magic = handle.read(len(GGUF_MAGIC))
    except OSError as exc:
        raise LocalModelError(
            f"cannot read the local model file {path}: {exc.strerror or exc}; "
            "set HUASHU_LOCAL_MODEL to a GGUF file or a known bundle name"
        ) from exc
    if magic != GGUF_MAGIC:
        raise LocalModelError(f"{path} is not a GGUF model file (it does not start with 'GGUF')")
    return path.resolve()


def assemble_bundle(bundle: BundleSpec, on_status: StatusCallback | None = None) -> Path:
    """The bundle's joined file from the cache, joining and verifying its parts the first time."""
    notify = on_status or _silent
    directory = models_dir()
    target = directory / bundle.cache_filename
    if _is_cached(target, bundle):
        return target
    with exclusive_lock(directory):
        if _is_cached(target, bundle):  # another process assembled it while we waited
            return target
        _remove_leftovers(directory, bundle)
        parts = installed_parts(bundle)
        notify(
            f"assembling model weights {bundle.name} ({_gigabytes(bundle.size)}) from {bundle.parts} "
            "packages; this happens once…"
        )
        started = time.monotonic()
        join_verified(parts, target, bundle)
        notify(f"model weights joined and verified in {time.monotonic() - started:.1f} s: {target}")
    return target


def installed_parts(bundle: BundleSpec) -> list[PartFile]:
    """The bundle's part files, after checking every pinned package is installed and their sizes add up."""
    parts: list[PartFile] = []
    missing: list[str] = []
    for number in range(1, bundle.parts + 1):
        distribution = bundle.distribution.format(n=number)
        part = _installed_part(bundle, distribution, bundle.module.format(n=number))
        if part is None:
            missing.append(distribution)
        else:
            parts.append(part)
    if missing:
        raise LocalModelError(
            f"the weights of the local model {bundle.name} are not installed ({_listed(missing)} missing, "
            f"{len(missing)} of {bundle.parts} packages): {bundle.install}, "
            f"or set HUASHU_LOCAL_MODEL to a GGUF file, {_ENDPOINT_HINT}"
        )
    total = sum(part.path.stat().st_size for part in parts)
    if total != bundle.size:
        raise LocalModelError(
            f"the installed parts of {bundle.name} hold {total:,} bytes, expected {bundle.size:,}: "
            f"reinstall them ({bundle.install} --force-reinstall)"
        )
    return parts


def _installed_part(bundle: BundleSpec, distribution: str, module_name: str) -> PartFile | None:
    try:
        version = importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None
    if version != bundle.version:
        raise LocalModelError(
            f"{distribution} {version} is installed but {bundle.name} needs version {bundle.version} "
            f"(its sha256 is pinned): {bundle.install}"
        )
    try:
        path = Path(str(importlib.import_module(module_name).get_part_path()))
    except (ImportError, AttributeError) as exc:
        raise LocalModelError(f"{distribution} is installed but {module_name} cannot be used: {exc}") from exc
    return PartFile(distribution, path) if path.exists() else None


def join_verified(parts: list[PartFile], target: Path, bundle: BundleSpec) -> None:
    """Join `parts` into `target`, checking size and sha256; `target` appears only if both match."""
    descriptor, temporary_name = tempfile.mkstemp(
        dir=target.parent, prefix=f".{bundle.cache_filename}.", suffix=".partial"
    )
    temporary = Path(temporary_name)
    try:
        try:
            with os.fdopen(descriptor, "wb") as output:
                digest, written = _copy_hashing(parts, output)
                output.flush()
                os.fsync(output.fileno())
        except OSError as exc:
            raise LocalModelError(
                f"cannot join the weights of {bundle.name} into {target.parent} ({exc}); it needs "
                f"{_gigabytes(bundle.size)} free there (HUASHU_CACHE_DIR chooses another directory)"
            ) from exc
        if written != bundle.size or digest != bundle.sha256:
            raise LocalModelError(
                f"the joined weights of {bundle.name} do not match the pinned file ({written:,} bytes, "
                f"sha256 {digest[:16]}…; expected {bundle.size:,} bytes, sha256 {bundle.sha256[:16]}…): "
                "the installed parts are damaged or not the pinned release; "
                f"reinstall them ({bundle.install} --force-reinstall)"
            )
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def _copy_hashing(parts: list[PartFile], output: BinaryIO) -> tuple[str, int]:
    digest = hashlib.sha256()
    written = 0
    for part in parts:
        with open(part.path, "rb") as source:
            while chunk := source.read(_CHUNK_BYTES):
                digest.update(chunk)
                output.write(chunk)
                written += len(chunk)
    return digest.hexdigest(), written


def _is_cached(target: Path, bundle: BundleSpec) -> bool:
    # Only a verified join is ever renamed to `target`, so a size match means a complete file.
    return target.is_file() and target.stat().st_size == bundle.size


def _remove_leftovers(directory: Path, bundle: BundleSpec) -> None:
    """Delete partial files of joins that were killed; the caller holds the lock, so none is in progress."""
    for leftover in directory.glob(f".{bundle.cache_filename}.*.partial"):
        leftover.unlink(missing_ok=True)


def _listed(names: list[str]) -> str:
    return ", ".join(names) if len(names) <= 3 else f"{names[0]} … {names[-1]}"


def _gigabytes(size: int) -> str:
    return f"{size / 1e9:.1f} GB"


def _silent(_message: str) -> None:
    """Status callback that says nothing."""
