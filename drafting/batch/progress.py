"""A progress bar with ETA on stderr (rich), shown only on a terminal unless asked for."""

from __future__ import annotations

from collections import Counter
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from drafting.batch.outcome import RowOutcome

_SHOWN_STATUSES = ("rewritten", "still_violates", "violates", "error")
# Refresh the counts in the description every this many rows (rich redraws on its own timer).
_DESCRIBE_EVERY = 25


class RowProgress:
    """Counts finished rows; draws a bar with the rate and the time remaining when enabled."""

    def __init__(
        self, title: str, total: int | None, *, enabled: bool, console: Console | None = None
    ) -> None:
        self.title = title
        self.counts: Counter[str] = Counter()
        self.done = 0
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        if enabled:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("rows"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=console or Console(stderr=True),
                transient=False,
            )
            self._task = self._progress.add_task(title, total=total)

    def __enter__(self) -> RowProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._describe()
            self._progress.stop()

    def advance(self, outcome: RowOutcome) -> None:
        """One more row finished."""
        self.done += 1
        self.counts[outcome.status] += 1
        if self._progress is None or self._task is None:
            return
        self._progress.advance(self._task)
        if self.done % _DESCRIBE_EVERY == 0:
            self._describe()

    def _describe(self) -> None:
        if self._progress is None or self._task is None:
            return
        shown = " ".join(f"{s} {self.counts[s]}" for s in _SHOWN_STATUSES if self.counts[s])
        self._progress.update(self._task, description=f"{self.title} {shown}".strip())
