"""The local model's weights: known bundles, assembly from (fake) part packages, the model setting."""

from __future__ import annotations

import hashlib
import os
import secrets
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from drafting.local import (
    BundleCatalog,
    BundleSpec,
    LocalModelError,
    load_catalog,
    resolve_model_path,
    weights,
)

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- fixtures and helpers


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private cache dir and config file, and no model settings."""
    directory = tmp_path / "cache"
    monkeypatch.setenv("HUASHU_CACHE_DIR", str(directory))
    monkeypatch.setenv("HUASHU_CONFIG", str(tmp_path / "config.toml"))
    for name in ("HUASHU_LOCAL_MODEL", "HUASHU_LOCAL_THREADS"):
        monkeypatch.delenv(name, raising=False)
    return directory


def make_bundle(
    site: Path, chunks: list[bytes], *, version: str = "0.2.0", size: int | None = None, sha256: str = ""
) -> BundleSpec:
    """Install fake part packages (module + dist-info) under `site`; their bundle spec."""
    prefix = f"fake{secrets.token_hex(4)}"
    for number, chunk in enumerate(chunks, start=1):
        package = site / f"{prefix}_part{number}"
        (package / "data").mkdir(parents=True)
        (package / "data" / f"part{number:02d}.bin").write_bytes(chunk)
        (package / "__init__.py").write_text(
            "import os\n"
            "def get_part_path():\n"
            "    here = os.path.dirname(os.path.abspath(__file__))\n"
            f"    return os.path.join(here, 'data', 'part{number:02d}.bin')\n"
        )
        info = site / f"{prefix}_part{number}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {prefix}-part{number}\nVersion: {version}\n"
        )
    joined = b"".join(chunks)
    return BundleSpec(
        name="fake-bundle",
        description="fake test weights",
        upstream="nobody (test)",
        distribution=f"{prefix}-part{{n}}",
        module=f"{prefix}_part{{n}}",
        version="0.2.0",
        parts=len(chunks),
        size=len(joined) if size is None else size,
        sha256=sha256 or hashlib.sha256(joined).hexdigest(),
        filename="fake-bundle.gguf",
        install="pip install fake-bundle-parts",
    )


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory on sys.path where fake part packages are installed."""
    directory = tmp_path / "site"
    directory.mkdir()
    monkeypatch.syspath_prepend(str(directory))
    return directory


def use_catalog(monkeypatch: pytest.MonkeyPatch, *bundles: BundleSpec, default: str = "") -> None:
    """Make `bundles` the known bundles (the first is the default unless `default` names another)."""
    catalog = BundleCatalog(default=default or bundles[0].name, bundles={b.name: b for b in bundles})
    monkeypatch.setattr(weights, "load_catalog", lambda: catalog)


CHUNKS = [b"GGUF" + os.urandom(40_000), os.urandom(50_000), os.urandom(7)]


def leftovers(cache: Path) -> list[Path]:
    """Every file in the models cache, hidden partial files included."""
    models = cache / "models"
    return sorted(p for p in models.iterdir() if p.name != ".lock") if models.exists() else []


@pytest.fixture
def gguf(tmp_path: Path) -> Path:
    """A tiny file that passes huashu's GGUF check (the fake server never reads it)."""
    path = tmp_path / "tiny-model.gguf"
    path.write_bytes(b"GGUF" + bytes(60))
    return path


# --------------------------------------------------------------------------- the known bundles


def test_known_bundles_are_the_pinned_packages() -> None:
    catalog = load_catalog()
    assert catalog.default == "qwen2.5-coder-1.5b"
    coder = catalog.bundles["qwen2.5-coder-1.5b"]
    assert (coder.parts, coder.version, coder.size) == (22, "0.2.0", 1_117_320_768)
    assert coder.sha256 == "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
    small = catalog.bundles["qwen2.5-0.5b"]
    assert (small.parts, small.version, small.size) == (6, "0.9.0", 491_400_064)
    assert small.sha256 == "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"


def test_local_extra_pins_exactly_the_default_bundle() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    extra = project["optional-dependencies"]["local"]
    bundle = load_catalog().bundles[load_catalog().default]
    pinned = {f"{bundle.distribution.format(n=n)}=={bundle.version}" for n in range(1, bundle.parts + 1)}
    assert pinned <= set(extra)
    assert "llama-cpp-python[server]==0.3.36" in extra


# --------------------------------------------------------------------------- assembling weights


def test_parts_join_in_order_into_the_cache(cache: Path, site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = make_bundle(site, CHUNKS)
    use_catalog(monkeypatch, bundle)
    messages: list[str] = []

    path = resolve_model_path(messages.append)

    assert path.read_bytes() == b"".join(CHUNKS)
    assert path.parent == cache / "models"
    assert path.name == f"fake-bundle-{bundle.sha256[:12]}.gguf"
    assert any("assembling model weights fake-bundle" in m for m in messages)
    assert leftovers(cache) == [path]


def test_cached_file_is_reused_without_the_parts(
    cache: Path, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = make_bundle(site, CHUNKS)
    use_catalog(monkeypatch, bundle)
    first = resolve_model_path()
    for part in site.glob("*/data/*.bin"):
        part.unlink()
    messages: list[str] = []

    assert resolve_model_path(messages.append) == first
    assert messages == []


def test_wrong_hash_is_a_clear_error_and_leaves_no_file(
    cache: Path, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_catalog(monkeypatch, make_bundle(site, CHUNKS, sha256="0" * 64))

    with pytest.raises(LocalModelError, match=r"do not match the pinned file .*sha256 0000000000000000…"):
        resolve_model_path()
    assert leftovers(cache) == []


def test_wrong_total_size_is_caught_before_joining(
    cache: Path, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_catalog(monkeypatch, make_bundle(site, CHUNKS, size=sum(map(len, CHUNKS)) + 1))

    with pytest.raises(LocalModelError, match=r"hold 90,011 bytes, expected 90,012"):
        resolve_model_path()
    assert leftovers(cache) == []


def test_missing_part_package_says_how_to_install(
    cache: Path, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = make_bundle(site, CHUNKS).model_copy(update={"parts": 4})
    use_catalog(monkeypatch, bundle)

    with pytest.raises(LocalModelError) as raised:
        resolve_model_path()
    message = str(raised.value)
    assert f"{bundle.distribution.format(n=4)} missing, 1 of 4 packages" in message
    assert "pip install fake-bundle-parts" in message
    assert "HUASHU_LOCAL_MODEL" in message
    assert "HUASHU_BASE_URL" in message


def test_other_installed_version_is_refused(cache: Path, site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = make_bundle(site, CHUNKS, version="0.3.0")
    use_catalog(monkeypatch, bundle)

    with pytest.raises(
        LocalModelError, match=r"-part1 0\.3\.0 is installed but fake-bundle needs version 0\.2\.0"
    ):
        resolve_model_path()


def test_killed_join_leaves_no_final_file(cache: Path, site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Part 2 is a FIFO nobody writes to: the join blocks there, after part 1 went to the temp file.
    bundle = make_bundle(site, CHUNKS)
    second_part = next(site.glob("*_part2/data/part02.bin"))
    second_part.unlink()
    os.mkfifo(second_part)
    blocked = bundle.model_copy(update={"size": len(CHUNKS[0]) + len(CHUNKS[2])})
    script = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from drafting.local.weights import BundleSpec, assemble_bundle\n"
        "assemble_bundle(BundleSpec.model_validate_json(sys.argv[2]))\n"
    )
    joiner = subprocess.Popen([sys.executable, "-c", script, str(site), blocked.model_dump_json()])
    try:
        deadline = time.monotonic() + 30
        while not list((cache / "models").glob(".*.partial")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert joiner.poll() is None
    finally:
        joiner.kill()
        joiner.wait()
    assert [p.suffix for p in leftovers(cache)] == [".partial"]

    second_part.unlink()
    second_part.write_bytes(CHUNKS[1])
    use_catalog(monkeypatch, bundle)
    path = resolve_model_path()

    assert path.read_bytes() == b"".join(CHUNKS)
    assert leftovers(cache) == [path]  # the killed join's partial file was cleaned up


def test_local_model_setting_points_at_any_gguf(
    cache: Path, gguf: Path, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_catalog(monkeypatch, make_bundle(site, CHUNKS).model_copy(update={"parts": 5}))  # not installed
    monkeypatch.setenv("HUASHU_LOCAL_MODEL", str(gguf))

    assert resolve_model_path() == gguf
    assert leftovers(cache) == []


def test_local_model_setting_names_a_bundle(cache: Path, site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = make_bundle(site, CHUNKS[:2]).model_copy(update={"name": "other"})
    use_catalog(monkeypatch, make_bundle(site, CHUNKS).model_copy(update={"parts": 5}), other)
    monkeypatch.setenv("HUASHU_LOCAL_MODEL", "other")

    assert resolve_model_path().read_bytes() == b"".join(CHUNKS[:2])


def test_config_file_names_the_local_model(
    cache: Path, gguf: Path, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_catalog(monkeypatch, make_bundle(site, CHUNKS).model_copy(update={"parts": 5}))  # not installed
    config = cache.parent / "config.toml"
    config.write_text(f'[endpoint]\nmodel = "ignored"\n\n[local]\nmodel = "{gguf}"\n')
    assert resolve_model_path() == gguf

    config.write_text('[local]\nmodle = "typo"\n')
    with pytest.raises(
        LocalModelError, match=r"config\.toml: unknown \[local\] key 'modle'; known keys: model"
    ):
        resolve_model_path()


@pytest.mark.parametrize(
    ("setting", "error"),
    [
        ("qwen9-giant", r"unknown local model 'qwen9-giant': name a known bundle \(fake-bundle\)"),
        ("{tmp}/absent.gguf", r"cannot read the local model file .*absent\.gguf"),
        ("{tmp}/notes.txt", r"notes\.txt is not a GGUF model file"),
    ],
)
def test_bad_local_model_setting_is_a_clear_error(
    setting: str, error: str, cache: Path, tmp_path: Path, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_catalog(monkeypatch, make_bundle(site, CHUNKS))
    (tmp_path / "notes.txt").write_text("not a model")
    monkeypatch.setenv("HUASHU_LOCAL_MODEL", setting.format(tmp=tmp_path))

    with pytest.raises(LocalModelError, match=error):
        resolve_model_path()


def test_unusable_cache_dir_is_a_clear_error(
    cache: Path, site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_catalog(monkeypatch, make_bundle(site, CHUNKS))
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("HUASHU_CACHE_DIR", str(blocker))

    with pytest.raises(LocalModelError, match=r"cannot create .*a-file/models .*set HUASHU_CACHE_DIR"):
        resolve_model_path()
