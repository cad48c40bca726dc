"""Judgment accuracy: the labelled corpus's ids, frozen split and per-category P/R/F1 (stdlib only)."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Split = Literal["dev", "test"]
# The six categories an inspector labels (the draft-only checks are not judged here).
JUDGED_CATEGORIES: tuple[str, ...] = (
    "forbidden_phrase",
    "unkeepable_promise",
    "blame_or_argue",
    "tone",
    "privacy",
    "missing_structure",
)
SCENARIOS: tuple[str, ...] = ("consult", "complaint", "after_sales", "urgent", "care", "shipping", "price")
CHANNELS: tuple[str, ...] = ("online", "phone", "email")
TURNS: tuple[str, ...] = ("first", "follow_up")
TEST_SHARE_PERCENT = 35


def text_sha256(text: str) -> str:
    """The hex sha256 of `text` as UTF-8: how a label names the text it was given."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def split_of(item_id: str) -> Split:
    """The frozen split of an item: about 35% test, decided by a hash of its id alone."""
    bucket = int(hashlib.sha256(f"huashu-split:{item_id}".encode()).hexdigest()[:8], 16) % 100
    return "test" if bucket < TEST_SHARE_PERCENT else "dev"


def natural_key(item_id: str) -> tuple[tuple[int, str], ...]:
    """Sort key for ids such as jddc:train:12 / w:003: numeric parts compare as numbers."""
    return tuple((0, f"{int(p):020d}") if p.isdigit() else (1, p) for p in item_id.split(":"))


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """The JSON objects of a JSONL file, one per non-blank line; errors name the file and line."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not JSON: {exc.msg}") from None
            if not isinstance(row, dict):
                raise ValueError(f"{path}:{number}: expected a JSON object")
            yield row


def write_jsonl(path: Path, rows: Iterable[Mapping[str, Any]]) -> int:
    """Write rows as JSONL atomically (a temporary file renamed over `path`); the row count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
                count += 1
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count


@dataclass
class CategoryCounts:
    """True positives, false positives and false negatives of one category."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        """tp / (tp + fp); None when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        """tp / (tp + fn); None when the gold set has no positive."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        """The harmonic mean of precision and recall; None when either is undefined."""
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def support(self) -> int:
        """Gold positives."""
        return self.tp + self.fn


@dataclass
class Scores:
    """Per-category and micro counts over a set of items, and how many clean items stayed clean."""

    categories: dict[str, CategoryCounts] = field(
        default_factory=lambda: {c: CategoryCounts() for c in JUDGED_CATEGORIES}
    )
    items: int = 0
    clean_gold: int = 0
    clean_kept: int = 0

    @property
    def micro(self) -> CategoryCounts:
        """The counts summed over categories."""
        total = CategoryCounts()
        for counts in self.categories.values():
            total.tp += counts.tp
            total.fp += counts.fp
            total.fn += counts.fn
        return total

    @property
    def clean_kept_share(self) -> float | None:
        """The share of gold-clean items with no predicted category; None without clean items."""
        return self.clean_kept / self.clean_gold if self.clean_gold else None

    def add(self, gold: Iterable[str], predicted: Iterable[str]) -> None:
        """Count one item's gold and predicted categories (unknown categories are an error)."""
        gold_set, predicted_set = _judged(gold), _judged(predicted)
        self.items += 1
        for name, counts in self.categories.items():
            if name in gold_set and name in predicted_set:
                counts.tp += 1
            elif name in predicted_set:
                counts.fp += 1
            elif name in gold_set:
                counts.fn += 1
        if not gold_set:
            self.clean_gold += 1
            self.clean_kept += not predicted_set


def _judged(categories: Iterable[str]) -> set[str]:
    """The categories as a set, after checking that each is one of the six."""
    found = set(categories)
    unknown = found.difference(JUDGED_CATEGORIES)
    if unknown:
        raise ValueError(f"unknown categories {sorted(unknown)}; known: {', '.join(JUDGED_CATEGORIES)}")
    return found


def score(pairs: Iterable[tuple[Sequence[str], Sequence[str]]]) -> Scores:
    """Scores of (gold, predicted) category lists."""
    scores = Scores()
    for gold, predicted in pairs:
        scores.add(gold, predicted)
    return scores


def _fmt(value: float | None) -> str:
    """A ratio with two decimals, or a dash when undefined."""
    return "   –" if value is None else f"{value:.2f}"


def format_table(scores: Scores, title: str) -> str:
    """A plain-text table: per-category and micro P/R/F1 with counts, and the clean-kept share."""
    lines = [
        title,
        f"{'category':<20} {'P':>5} {'R':>5} {'F1':>5} {'gold':>5} {'tp':>4} {'fp':>4} {'fn':>4}",
    ]
    rows = [*scores.categories.items(), ("micro", scores.micro)]
    for name, c in rows:
        lines.append(
            f"{name:<20} {_fmt(c.precision):>5} {_fmt(c.recall):>5} {_fmt(c.f1):>5} "
            f"{c.support:>5} {c.tp:>4} {c.fp:>4} {c.fn:>4}"
        )
    share = scores.clean_kept_share
    kept = "–" if share is None else f"{share:.1%}"
    lines.append(
        f"items {scores.items}; clean items left clean: {scores.clean_kept}/{scores.clean_gold} ({kept})"
    )
    return "\n".join(lines)


@dataclass(frozen=True)
class Case:
    """A labelled item with its text and context, ready to check."""

    id: str
    source: str
    text: str
    customer: str
    history: tuple[tuple[str, str], ...]
    scenario: str
    channel: str
    turn: str
    gold: tuple[str, ...]
    split: str
    group: str = ""  # a written item's class of issue 15, a real item's corpus


@dataclass(frozen=True)
class Prediction:
    """What the guards said about one case: the judged categories and the rule ids behind them."""

    categories: frozenset[str]
    rules: tuple[str, ...]


def source_of(item_id: str) -> str:
    """The set an id belongs to: jddc, stc3, written (w:) or fresh (f:)."""
    prefix = item_id.split(":", 1)[0]
    return {"w": "written", "f": "fresh"}.get(prefix, prefix)


def load_labelled_items(rows: Iterable[Mapping[str, Any]]) -> list[Case]:
    """Cases from rows that carry their own text and labels (the fresh sets: id, text, customer,
    history, scenario, channel, turn, categories, split)."""
    return [
        Case(
            id=row["id"],
            source=source_of(row["id"]),
            text=row["text"],
            customer=row.get("customer") or "",
            history=tuple((str(t["speaker"]), str(t["text"])) for t in row.get("history") or ()),
            scenario=row["scenario"],
            channel=row["channel"],
            turn=row["turn"],
            gold=tuple(row["categories"]),
            split=row["split"],
            group=str(row.get("writer") or ""),
        )
        for row in rows
    ]


def load_cases(
    labels: Iterable[Mapping[str, Any]],
    real: Iterable[Mapping[str, Any]],
    written: Iterable[Mapping[str, Any]],
) -> tuple[list[Case], list[str]]:
    """Join labels with their texts; a label whose text is missing or changed is reported, not used."""
    texts = {row["id"]: row for row in (*real, *written)}
    cases, problems = [], []
    for label in labels:
        item = texts.get(label["id"])
        if item is None:
            problems.append(f"{label['id']}: no text (rebuild the real items with build_set.py)")
            continue
        if text_sha256(item["text"]) != label["sha256"]:
            problems.append(f"{label['id']}: the text no longer matches the label's sha256")
            continue
        history = tuple((str(t["speaker"]), str(t["text"])) for t in item.get("history") or ())
        cases.append(
            Case(
                id=label["id"],
                source=source_of(label["id"]),
                text=item["text"],
                customer=item.get("customer") or "",
                history=history,
                scenario=label["scenario"],
                channel=label["channel"],
                turn=label["turn"],
                gold=tuple(label["categories"]),
                split=label["split"],
                group=str(item.get("class") or item.get("corpus") or ""),
            )
        )
    return cases, problems


def select_cases(cases: Iterable[Case], split: str, source: str) -> list[Case]:
    """The cases of a split (dev, test, all) and source (real, written, frozen, fresh, jddc, stc3, all)."""

    def wanted(case: Case) -> bool:
        if split != "all" and case.split != split:
            return False
        if source == "real":
            return case.source not in ("written", "fresh")
        if source == "frozen":  # the first corpus: real and written items with their labels
            return case.source != "fresh"
        return source in ("all", case.source)

    return [c for c in cases if wanted(c)]


def evaluate(
    cases: Sequence[Case], predict: Callable[[Case], Prediction]
) -> tuple[dict[str, Scores], list[tuple[Case, Prediction]]]:
    """Scores per source, for real text ('real') and overall ('all'); every case predicted wrong."""
    by_source: dict[str, Scores] = {"all": Scores()}
    errors = []
    for case in cases:
        prediction = predict(case)
        written = case.source in ("written", "fresh")
        keys = (case.source, "all") if written else (case.source, "real", "all")
        for key in keys:
            by_source.setdefault(key, Scores()).add(case.gold, prediction.categories)
        if set(case.gold) != prediction.categories:
            errors.append((case, prediction))
    return by_source, errors
