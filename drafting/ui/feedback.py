"""Agents' 👍/👎 on drafts, kept in a local SQLite file for `huashu feedback export`."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field

from drafting.errors import HuashuError
from drafting.models import DraftKind, ScenarioChoice, Turn
from drafting.ui.state import AppliedFix, DraftRequest, Workspace
from guards import Channel

Rating = Literal["up", "down"]
RATING_MARKS: dict[Rating, str] = {"up": "👍", "down": "👎"}
RATING_NAMES: dict[Rating, str] = {"up": "有用", "down": "没用"}
FEEDBACK_DB_ENV = "HUASHU_FEEDBACK_DB"
_SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    note TEXT NOT NULL,
    record TEXT NOT NULL
)
"""


class FeedbackError(HuashuError):
    """The feedback file cannot be used."""


class Fix(BaseModel):
    """A suggested wording the agent applied."""

    rule_id: str
    match: str
    replacement: str


class FeedbackRecord(BaseModel):
    """One 👍/👎: the request, what the model wrote, what the agent made of it, and the note."""

    model_config = ConfigDict(extra="ignore")

    id: int | None = None
    created_at: str = ""
    rating: Rating
    note: str = ""
    kind: DraftKind
    message: str = Field(default="", description="The customer's message (may be empty for a rewrite)")
    scenario: ScenarioChoice = "auto"
    scenario_used: str = ""
    channel: Channel = "online"
    address_as: str = "您"
    facts: dict[str, str] = Field(default_factory=dict)
    history: list[Turn] = Field(default_factory=list)
    agent_text: str = ""
    tone: str | None = None
    model: str = ""
    model_text: str
    final_text: str
    passed: bool = False
    escalate: bool = False
    model_findings: list[str] = Field(
        default_factory=list, description="Matched spans the model's reply was flagged for"
    )
    final_findings: list[str] = Field(
        default_factory=list, description="Rule ids still found in the final text"
    )
    applied_fixes: list[Fix] = Field(default_factory=list)


def record_from_workspace(workspace: Workspace, rating: Rating, note: str) -> FeedbackRecord:
    """The feedback record for the draft on the page, as the agent left it."""
    request, draft = workspace.request, workspace.draft
    record = FeedbackRecord(
        rating=rating,
        note=note.strip(),
        kind=request.kind,
        scenario=request.ticket.scenario if isinstance(request, DraftRequest) else request.scenario,
        scenario_used=draft.scenario,
        channel=draft.channel,
        model=draft.model,
        model_text=draft.text,
        final_text=workspace.text,
        passed=workspace.report.ok,
        escalate=draft.escalate,
        model_findings=[v.match for v in draft.violations if v.match],
        final_findings=[v.rule_id for v in workspace.report.violations],
        applied_fixes=[_fix(f) for f in workspace.applied_fixes],
    )
    if isinstance(request, DraftRequest):
        ticket = request.ticket
        return record.model_copy(
            update={
                "message": ticket.message,
                "address_as": ticket.address_as,
                "facts": dict(ticket.facts),
                "history": list(ticket.history),
            }
        )
    return record.model_copy(
        update={"message": request.customer or "", "agent_text": request.agent_text, "tone": request.tone}
    )


def _fix(applied: AppliedFix) -> Fix:
    return Fix(rule_id=applied.rule_id, match=applied.match, replacement=applied.replacement)


def feedback_db_path(env: Mapping[str, str] | None = None) -> Path:
    """$HUASHU_FEEDBACK_DB, else feedback.sqlite in the user data directory of huashu."""
    env = os.environ if env is None else env
    configured = env.get(FEEDBACK_DB_ENV, "").strip()
    if configured:
        return Path(configured).expanduser()
    return Path(platformdirs.user_data_dir("huashu")) / "feedback.sqlite"


class FeedbackStore:
    """The SQLite file of feedback records (created on first save)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or feedback_db_path()

    def add(self, record: FeedbackRecord) -> int:
        """Save a record; its new id."""
        created = record.created_at or datetime.now(UTC).isoformat(timespec="seconds")
        payload = record.model_dump_json(exclude={"id", "created_at", "rating", "note"})
        with self._connect(create=True) as db:
            cursor = db.execute(
                "INSERT INTO feedback (created_at, rating, note, record) VALUES (?, ?, ?, ?)",
                (created, record.rating, record.note, payload),
            )
            return int(cursor.lastrowid or 0)

    def replace(self, record_id: int, record: FeedbackRecord) -> int:
        """Change a saved record (the agent changed their vote or note); its id, a new one if it was gone."""
        payload = record.model_dump_json(exclude={"id", "created_at", "rating", "note"})
        with self._connect(create=True) as db:
            cursor = db.execute(
                "UPDATE feedback SET rating = ?, note = ?, record = ? WHERE id = ?",
                (record.rating, record.note, payload, record_id),
            )
            if cursor.rowcount:
                return record_id
        return self.add(record)

    def remove(self, record_id: int) -> None:
        """Delete a saved record (the agent took their vote back)."""
        with self._connect(create=True) as db:
            db.execute("DELETE FROM feedback WHERE id = ?", (record_id,))

    def records(self) -> list[FeedbackRecord]:
        """Every saved record, oldest first ([] when nothing was saved yet)."""
        if not self.path.exists():
            return []
        with self._connect(create=False) as db:
            rows = db.execute(
                "SELECT id, created_at, rating, note, record FROM feedback ORDER BY id"
            ).fetchall()
        return [self._record(*row) for row in rows]

    def _record(self, row_id: int, created_at: str, rating: str, note: str, payload: str) -> FeedbackRecord:
        try:
            data = json.loads(payload)
            columns = {"id": row_id, "created_at": created_at, "rating": rating, "note": note}
            return FeedbackRecord.model_validate({**data, **columns})
        except (ValueError, TypeError) as exc:  # JSONDecodeError and ValidationError are ValueErrors
            raise FeedbackError(
                f"{self.path}: feedback record #{row_id} cannot be read: {str(exc).splitlines()[0]}"
            ) from None

    @contextlib.contextmanager
    def _connect(self, *, create: bool) -> Iterator[sqlite3.Connection]:
        try:
            if create:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path)
        except (OSError, sqlite3.Error) as exc:
            raise FeedbackError(
                f"{self.path}: cannot open the feedback file: {exc}",
                hint=f"set {FEEDBACK_DB_ENV} to a writable path",
            ) from None
        try:
            with db:
                self._migrate(db)
                yield db
        except sqlite3.Error as exc:
            raise FeedbackError(
                f"{self.path}: the feedback file cannot be used: {exc}",
                hint=f"move it away or set {FEEDBACK_DB_ENV} to another path",
            ) from None
        finally:
            db.close()

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        if version < _SCHEMA_VERSION:
            db.execute(_SCHEMA)
            db.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
