"""Build the real-text part of the judgment corpus from the fetched mirrors (stdlib only).

The JD.com (JDDC) and Weibo helpdesk (NTCIR STC-3) corpora carry no license, so their text stays
outside the repository. The repository keeps `evals/judgment/manifest.jsonl`: for every real item
its id, corpus, file, line or dialogue and turn, the sha256 of its text and its frozen split.

    python3 benchmarks/accuracy/build_set.py select    # choose the items, write the manifest + the items
    python3 benchmarks/accuracy/build_set.py rebuild   # re-extract the manifest's items, verify sha256

`rebuild` is what everyone runs after the first selection: it writes the full items
(default /work/corpus/real_items.jsonl) and names every item whose text no longer matches the
sha256 of the manifest or of evals/judgment/labels.jsonl (when it exists).

Item: {"id", "corpus", "text" (the agent turn), "customer" (the customer's latest message before
it, best effort), "history" (earlier turns [{"speaker", "text"}]), "channel": "online",
"selected_by": "random" | "cue", "sha256", "split"}.

JDDC: `data/train.enc` line N is the conversation before the agent reply `data/train.dec` line N,
its turns joined by ASCII commas, speakers unmarked; the reply's trailing comma is dropped.
The pieces are attributed by a simple heuristic (agent if the piece has agent wording:
亲/您/妹子/小妹/为您/帮您/抱歉/稍等/#E-s…, otherwise customer); `customer` is the run of
customer pieces at the end of the line. Id: jddc:train:N (N counts lines from 1).
STC3: `data/test_data_cn.json`, every non-empty helpdesk turn; a turn's utterances are joined
with a space. `customer` is the latest customer turn, `history` the turns before it.
Id: stc3:test:<dialogue id>:<turn index from 0>.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
from evals.accuracy import natural_key, read_jsonl, split_of, text_sha256, write_jsonl  # noqa: E402

DEFAULT_JDDC = Path("/work/.mirror/zhangbo2008+JDDC_for_train_gpt_data/repo")
DEFAULT_STC3 = Path("/work/.mirror/SeanCherngTW+NTCIR-STC3-NDDQsubtask/repo/.git")
DEFAULT_OUT = Path("/work/corpus/real_items.jsonl")
DEFAULT_MANIFEST = REPO / "evals" / "judgment" / "manifest.jsonl"
JDDC_ENC, JDDC_DEC = "data/train.enc", "data/train.dec"
STC3_FILE = "data/test_data_cn.json"
SEED = 15

# Broad cues of content worth a look; deliberately NOT the guards' patterns.
CUE = re.compile(r"[?？!！]|\d|您自己|你们|快递|保证|一定|肯定|退款|地址|[A-Za-z]{2,}")
# Anonymisation tokens and emoji codes, ignored when judging emptiness and duplicates.
PLACEHOLDER = re.compile(r"#E-s\[[^\]]*\]|\[[^\]]{1,20}\]|\[ORDERID_\d+\]")
NOT_WORD = re.compile(r"[\W_]+")
AGENT_WORDING = re.compile(
    r"亲|您|妹子|小妹|为您|帮您|抱歉|稍等|#E-s|有什么问题我可以|请问还有|感谢|客官|小的|哦~|呢~"
)


@dataclass
class Item:
    """One real agent turn with its context."""

    id: str
    corpus: str
    file: str
    locator: dict[str, Any]
    text: str
    customer: str
    history: list[dict[str, str]] = field(default_factory=list)
    selected_by: str = "random"

    def row(self) -> dict[str, Any]:
        """The JSONL row of the full item (text included: never committed)."""
        return {
            "id": self.id,
            "corpus": self.corpus,
            "text": self.text,
            "customer": self.customer,
            "history": self.history,
            "channel": "online",
            "selected_by": self.selected_by,
            "sha256": text_sha256(self.text),
            "split": split_of(self.id),
        }

    def manifest_row(self) -> dict[str, Any]:
        """The committed row: where the text is and its hash, no text."""
        return {
            "id": self.id,
            "corpus": self.corpus,
            "file": self.file,
            **self.locator,
            "sha256": text_sha256(self.text),
            "split": split_of(self.id),
            "selected_by": self.selected_by,
        }


def git_show(git_dir: Path, path: str) -> str:
    """A file of the mirror's HEAD, as text; a clear error when it is missing."""
    try:
        out = subprocess.run(
            ["git", "--git-dir", str(git_dir), "show", f"HEAD:{path}"],
            check=True,
            capture_output=True,
        )
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        raise SystemExit(
            f"build_set: cannot read {path} from {git_dir}: {detail.decode(errors='replace').strip() or exc}"
        ) from None
    return out.stdout.decode("utf-8")


def comparable(text: str) -> str:
    """The text without placeholders, punctuation and spaces: what duplicates are judged on."""
    return NOT_WORD.sub("", PLACEHOLDER.sub("", text))


def is_substantive(text: str) -> bool:
    """Not empty and not only an emoji or placeholder token."""
    return bool(comparable(text))


def jddc_items(git_dir: Path) -> Iterator[Item]:
    """Every non-empty JDDC agent reply with its conversation."""
    enc = git_show(git_dir, JDDC_ENC).split("\n")
    dec = git_show(git_dir, JDDC_DEC).split("\n")
    for number, (context, reply) in enumerate(zip(enc, dec, strict=False), 1):
        text = reply.strip().rstrip(",").strip()
        if not is_substantive(text):
            continue
        history = [
            {"speaker": guess_speaker(piece), "text": piece.strip()}
            for piece in context.split(",")
            if piece.strip()
        ]
        customer, earlier = split_last_customer(history)
        yield Item(f"jddc:train:{number}", "jddc", JDDC_DEC, {"line": number}, text, customer, earlier)


def guess_speaker(piece: str) -> str:
    """'agent' when the piece has agent wording, else 'customer' (a heuristic: speakers are unmarked)."""
    return "agent" if AGENT_WORDING.search(piece) else "customer"


def split_last_customer(turns: list[dict[str, str]]) -> tuple[str, list[dict[str, str]]]:
    """The trailing customer turns joined (the customer's latest message) and the turns before them."""
    end = len(turns)
    start = end
    while start > 0 and turns[start - 1]["speaker"] == "customer":
        start -= 1
    if start == end:  # the conversation ends with the agent: take the last customer turn before it
        for index in range(end - 1, -1, -1):
            if turns[index]["speaker"] == "customer":
                return turns[index]["text"], turns[:index]
        return "", turns
    return "，".join(t["text"] for t in turns[start:end]), turns[:start]


def stc3_items(git_dir: Path) -> Iterator[Item]:
    """Every non-empty helpdesk turn of the Weibo test dialogues."""
    dialogues = json.loads(git_show(git_dir, STC3_FILE))
    for dialogue in dialogues:
        turns = [
            {
                "speaker": "customer" if turn["sender"] == "customer" else "agent",
                "text": " ".join(u.strip() for u in turn["utterances"] if u.strip()),
            }
            for turn in dialogue["turns"]
        ]
        for index, turn in enumerate(turns):
            if turn["speaker"] != "agent" or not is_substantive(turn["text"]):
                continue
            before = [t for t in turns[:index] if t["text"]]
            customer, earlier = split_last_customer(before)
            yield Item(
                f"stc3:test:{dialogue['id']}:{index}",
                "stc3",
                STC3_FILE,
                {"dialogue": str(dialogue["id"]), "turn": index},
                turn["text"],
                customer,
                earlier,
            )


def bigrams(text: str) -> set[str]:
    """Character bigrams of the comparable text."""
    plain = comparable(text)
    return {plain[i : i + 2] for i in range(len(plain) - 1)} or {plain}


def near_duplicate(grams: set[str], chosen: list[set[str]], threshold: float = 0.8) -> bool:
    """True when the bigram Jaccard similarity to a chosen item reaches `threshold`."""
    return any(len(grams & other) / len(grams | other) >= threshold for other in chosen)


def select(candidates: list[Item], count: int, rng: random.Random) -> list[Item]:
    """`count` items: up to a third by broad cues, the rest at random; no near-duplicates."""
    order = candidates[:]
    rng.shuffle(order)
    chosen: list[Item] = []
    grams: list[set[str]] = []
    cue_quota = count // 3

    def take(item: Item, how: str) -> None:
        item.selected_by = how
        chosen.append(item)
        grams.append(bigrams(item.text))

    for item in order:
        if sum(i.selected_by == "cue" for i in chosen) >= cue_quota:
            break
        if CUE.search(item.text) and not near_duplicate(bigrams(item.text), grams):
            take(item, "cue")
    taken = {i.id for i in chosen}
    for item in reversed(order):  # the random part walks the shuffle from the other end
        if len(chosen) >= count:
            break
        if item.id not in taken and not near_duplicate(bigrams(item.text), grams):
            take(item, "random")
    return sorted(chosen, key=lambda i: natural_key(i.id))


def all_items(args: argparse.Namespace) -> dict[str, list[Item]]:
    """The candidates of both corpora."""
    return {"jddc": list(jddc_items(args.jddc)), "stc3": list(stc3_items(args.stc3))}


def cmd_select(args: argparse.Namespace) -> int:
    """Choose the items, write the manifest (committed) and the full items (outside the repo)."""
    if args.manifest.exists() and not args.force:
        print(f"build_set: {args.manifest} exists: the selection is frozen (use rebuild, or --force)")
        return 2
    rng = random.Random(args.seed)
    candidates = all_items(args)
    chosen = select(candidates["jddc"], args.jddc_count, rng) + select(
        candidates["stc3"], args.stc3_count, rng
    )
    write_jsonl(args.manifest, (i.manifest_row() for i in chosen))
    write_jsonl(args.out, (i.row() for i in chosen))
    report(chosen, args)
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    """Re-extract the manifest's and labels' real items; say which no longer match their sha256."""
    manifest = list(read_jsonl(args.manifest))
    listed = {row["id"] for row in manifest}
    if args.labels.exists():  # a labelled real item the manifest lacks is rebuilt and checked too
        manifest += [
            {"file": "?", "corpus": row["id"].split(":", 1)[0], **row}
            for row in read_jsonl(args.labels)
            if not row["id"].startswith("w:") and row["id"] not in listed
        ]
        labelled = {row["id"]: row["sha256"] for row in read_jsonl(args.labels)}
        manifest = [{**row, "label_sha256": labelled.get(row["id"], row["sha256"])} for row in manifest]
    candidates = {i.id: i for items in all_items(args).values() for i in items}
    rebuilt: list[Item] = []
    problems: list[str] = []
    for row in manifest:
        item = candidates.get(row["id"])
        if item is None:
            problems.append(f"{row['id']}: not found in the {row['corpus']} mirror ({row['file']})")
            continue
        if text_sha256(item.text) != row["sha256"]:
            problems.append(
                f"{row['id']}: text changed "
                f"(sha256 {text_sha256(item.text)[:12]}…, manifest {row['sha256'][:12]}…)"
            )
            continue
        if row.get("label_sha256", row["sha256"]) != row["sha256"]:
            problems.append(f"{row['id']}: the label's sha256 differs from the manifest's")
            continue
        item.selected_by = row.get("selected_by", "random")
        rebuilt.append(item)
    write_jsonl(args.out, (i.row() for i in rebuilt))
    report(rebuilt, args)
    if problems:
        print(
            f"build_set: {len(problems)} of {len(manifest)} items are missing or no longer match (left out):"
        )
        for line in problems:
            print(f"  {line}")
        return 1
    return 0


def report(items: list[Item], args: argparse.Namespace) -> None:
    """One line per corpus and split."""
    for corpus in ("jddc", "stc3"):
        mine = [i for i in items if i.corpus == corpus]
        test = sum(split_of(i.id) == "test" for i in mine)
        cue = sum(i.selected_by == "cue" for i in mine)
        print(f"{corpus}: {len(mine)} items ({cue} by cue), dev {len(mine) - test}, test {test}")
    print(f"wrote {args.out}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["select", "rebuild"], nargs="?", default="rebuild")
    parser.add_argument("--jddc", type=Path, default=DEFAULT_JDDC, help="JDDC git dir (default: %(default)s)")
    parser.add_argument("--stc3", type=Path, default=DEFAULT_STC3, help="STC3 git dir (default: %(default)s)")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="full items JSONL (default: %(default)s)"
    )
    parser.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST, help="default: %(default)s")
    parser.add_argument(
        "--labels",
        type=Path,
        default=REPO / "evals" / "judgment" / "labels.jsonl",
        help="default: %(default)s",
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--jddc-count", type=int, default=450)
    parser.add_argument("--stc3-count", type=int, default=250)
    parser.add_argument("--force", action="store_true", help="select: overwrite an existing manifest")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the command."""
    args = parse_args(argv)
    return cmd_select(args) if args.command == "select" else cmd_rebuild(args)


if __name__ == "__main__":
    sys.exit(main())
