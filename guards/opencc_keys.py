"""Which texts OpenCC's t2s conversion can change, so that the others skip it.

OpenCC changes a text only where a key of one of its dictionaries occurs. The keys of the
dictionaries that t2s uses were read with OpenCC's own `opencc_dict` tool and are stored in
`opencc_t2s_keys.json`, with a SHA-256 digest of those dictionary files. They apply only when
the installed dictionaries have that digest; otherwise (or when they cannot be found) every
text with Chinese characters is converted, as before.

After an OpenCC upgrade, regenerate the file with:  python -m guards.opencc_keys
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import opencc

CONFIG = "t2s.json"
KEYS_FILE = Path(__file__).with_name("opencc_t2s_keys.json")


@dataclass(frozen=True)
class T2SKeys:
    """The keys of OpenCC's t2s dictionaries: single characters, and the longer keys made only
    of other characters; `digest` names the dictionary files they were read from."""

    digest: str
    characters: str
    phrases: tuple[str, ...]


def share_dir() -> Path | None:
    """The installed OpenCC's folder of configurations and dictionaries, if it has one."""
    folder = Path(opencc.__file__).parent / "clib" / "share" / "opencc"
    return folder if (folder / CONFIG).is_file() else None


def dictionary_files(share: Path) -> list[Path]:
    """The dictionary files the t2s configuration names, in the order it names them."""
    files: list[Path] = []

    def collect(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("file"), str):
                files.append(share / node["file"])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(json.loads((share / CONFIG).read_text(encoding="utf-8")))
    return files


def digest(files: list[Path]) -> str:
    """SHA-256 over the names and contents of `files`."""
    sha = hashlib.sha256()
    for path in files:
        sha.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return sha.hexdigest()


def derive(share: Path, tool: Path) -> T2SKeys:
    """Read the keys of the t2s dictionaries in `share` with OpenCC's `opencc_dict` tool."""
    files = dictionary_files(share)
    keys: set[str] = set()
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            out = Path(tmp) / (path.stem + ".txt")
            command = [str(tool), "-i", str(path), "-o", str(out), "-f", path.suffix[1:], "-t", "text"]
            subprocess.run(command, check=True, capture_output=True)
            lines = out.read_text(encoding="utf-8").splitlines()
            keys.update(line.split("\t", 1)[0] for line in lines if line)
    characters = {key for key in keys if len(key) == 1}
    phrases = sorted(key for key in keys if len(key) > 1 and not characters.intersection(key))
    return T2SKeys(digest(files), "".join(sorted(characters)), tuple(phrases))


@functools.cache
def installed_digest() -> str | None:
    """The digest of the installed t2s dictionaries (read once); None when there are none."""
    share = share_dir()
    return digest(dictionary_files(share)) if share is not None else None


@functools.cache
def stored() -> T2SKeys:
    """The keys stored in the package (read once)."""
    data = json.loads(KEYS_FILE.read_text(encoding="utf-8"))
    return T2SKeys(data["digest"], data["characters"], tuple(data["phrases"]))


@dataclass(frozen=True)
class _Finder:
    characters: re.Pattern[str]
    phrases: re.Pattern[str] | None

    def found_in(self, text: str) -> bool:
        if self.characters.search(text) is not None:
            return True
        return self.phrases is not None and self.phrases.search(text) is not None


@functools.cache
def changeable(extra_class: str = "", keys: T2SKeys | None = None) -> Callable[[str], bool] | None:
    """A test for texts t2s may change (or that have a character of the regex class
    `extra_class`); None when the keys (by default the stored ones) do not belong to the
    installed dictionaries."""
    keys = keys or stored()
    if installed_digest() != keys.digest:
        return None
    # A plain character class keeps the search one skip-ahead scan (an alternation around it
    # would not); any character outside the Basic Multilingual Plane counts, so the class stays
    # a compact table.
    characters = "".join(re.escape(c) for c in keys.characters if c <= "\uffff")
    phrases = "|".join(re.escape(p) for p in keys.phrases)
    finder = _Finder(
        re.compile(f"[{characters}{extra_class}\U00010000-\U0010ffff]"),
        re.compile(phrases) if phrases else None,
    )
    return finder.found_in


def main() -> int:
    """Regenerate the stored keys from the installed OpenCC."""
    share = share_dir()
    tool = Path(opencc.__file__).parent / "clib" / "bin" / "opencc_dict"
    if share is None or not tool.is_file():
        print("error: this OpenCC install has no dictionaries or no opencc_dict tool", file=sys.stderr)
        return 2
    keys = derive(share, tool)
    KEYS_FILE.write_text(json.dumps(asdict(keys), ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"wrote {KEYS_FILE}: {len(keys.characters)} characters, {len(keys.phrases)} phrases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
