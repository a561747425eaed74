"""Inbox folders: one per feed; a complete file dropped there is imported once through the feed's importer, moved
to the archive, and its refused rows written to a reject file beside it (docs/operations.md, "Inbox folders").

A file is complete when its name ends in .csv or .parquet (senders write `x.csv.part` or `x.csv.tmp` and rename
it when done: a rename is atomic) and it has not changed for FANGKONG_INBOX_SETTLE seconds; with
FANGKONG_INBOX_MARKERS=1 only when a marker `x.csv.ready` stands beside it. The file is first renamed into the
feed's `.processing/` folder (so two workers never both take it, and a crash leaves it there to be imported again:
every importer is idempotent), then imported, then moved to `archive/YYYY-MM-DD/`. The same content dropped again
(same SHA-256 in the same feed) is archived without a second import.
"""

from __future__ import annotations

import csv
import hashlib
import os
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from fangkong import flows, importer
from fangkong.assist import service as assist_service
from fangkong.assist.inputs.commands import import_input
from fangkong.cases import service as case_service
from fangkong.db.audit import audit
from fangkong.db.core import utcnow
from fangkong.db.scope import acting_as
from fangkong.jobs.models import InboxFile
from fangkong.kit.clikit import unit_of_work
from fangkong.lake.files import read_table_file
from fangkong.settings import Settings

__all__ = ["FEEDS", "inbox_root", "scan", "status"]

#: feed folder → what imports it
FEEDS = ("cell_dwells", "venue_visits", "samples", "lab_results", "assist_requests", "arrivals", "inbound_arrivals",
         "vaccinations")
_SUFFIXES = (".csv", ".parquet")
_PARTIAL = (".part", ".tmp", ".ready")


def inbox_root(settings: Settings) -> Path:
    return settings.inbox or Path(settings.lake).resolve().parent / "inbox"


@dataclass
class Outcome:
    rows: int = 0
    inserted: int = 0
    rejects: list[tuple[int, str]] | None = None
    error: str | None = None
    declared: tuple = ()


def _ready(path: Path, settings: Settings, now: float) -> bool:
    if path.name.startswith(".") or not path.is_file() or path.suffix.lower() not in _SUFFIXES:
        return False
    if settings.inbox_markers:
        return path.with_name(path.name + ".ready").exists()
    return now - path.stat().st_mtime >= settings.inbox_settle


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _import(feed: str, path: Path, settings: Settings) -> Outcome:
    """The feed's own importer: the same as `fangkong import` / `assist import` / `inputs import` by hand."""
    now = utcnow()
    if feed in ("cell_dwells", "venue_visits", "samples", "lab_results"):
        with unit_of_work() as session:
            r = importer.import_table(session, settings, feed, path)
            audit(session, "inbox", "import.file", feed, path.name[:100], after={
                "rows": r.rows, "inserted": r.inserted, "rejected": r.rejected, "committed": r.committed})
        outcome = getattr(r, "outcome", None)
        return Outcome(r.rows, r.inserted, [(e.line, e.reason) for e in r.errors or []],
                       declared=tuple(outcome.declared) if outcome else ())
    if feed == "assist_requests":
        tf = read_table_file(path, required=assist_service.REQUIRED, known=set(assist_service.CSV_COLUMNS))
        with unit_of_work() as session:
            with acting_as(session, "inbox"):
                r = assist_service.import_requests(session, tf, now=now)
            audit(session, "inbox", "import.file", feed, path.name[:100], after={
                "rows": r.rows, "inserted": r.inserted, "rejected": r.rejected, "committed": r.committed})
        return Outcome(r.rows, r.inserted, [(e.line, e.reason) for e in r.errors or []])
    with unit_of_work() as session:
        done, bad = import_input(session, feed, path, now=now, settings=settings)
    return Outcome(done + len(bad), done, bad)


def _write_rejects(path: Path, rejects: list[tuple[int, str]], error: str | None) -> Path | None:
    if not rejects and not error:
        return None
    out = path.with_name(path.name + ".rejects.csv")
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["line", "reason"])
        if error:
            w.writerow(["", error])
        for line, reason in rejects:
            w.writerow([line, reason])
    return out


def _take(folder: Path, path: Path, settings: Settings) -> dict:
    """Import one file already moved into .processing/, record it, archive it."""
    feed = folder.name
    digest, size = _sha256(path), path.stat().st_size
    day = utcnow().astimezone(settings.zone).date().isoformat()
    archive = folder / "archive" / day
    archive.mkdir(parents=True, exist_ok=True)
    target = archive / path.name
    if target.exists():   # a file of the same name archived today: keep both
        target = archive / f"{path.stem}-{int(time.time() * 1000)}{path.suffix}"
    with unit_of_work() as session:
        seen = session.scalar(select(InboxFile).where(InboxFile.feed == feed, InboxFile.sha256 == digest))
    if seen is not None:
        os.replace(path, target)
        return {"feed": feed, "file": path.name, "duplicate_of": seen.name}
    try:
        outcome = _import(feed, path, settings)
    except Exception as exc:  # noqa: BLE001 - a refused file is archived with its reason, the inbox goes on
        outcome = Outcome(error=getattr(exc, "message", None) or str(exc) or type(exc).__name__)
    os.replace(path, target)
    _write_rejects(target, outcome.rejects or [], outcome.error)
    with unit_of_work() as session:
        session.add(InboxFile(feed=feed, name=path.name[:255], sha256=digest, size=size, taken_at=utcnow(),
                              rows=outcome.rows, inserted=outcome.inserted, rejected=len(outcome.rejects or []),
                              error=outcome.error, archived_as=str(target.relative_to(folder))[:500]))
    for case_no in outcome.declared:   # a positive re-check declared a case: traced at once, as by hand
        with unit_of_work() as session:
            flows.respond(session, settings, case_service.get_case(session, case_no), now=utcnow())
    return {"feed": feed, "file": path.name, "rows": outcome.rows, "rejected": len(outcome.rejects or []),
            "error": outcome.error}


def scan(settings: Settings, now: datetime | None = None) -> dict:
    """One pass over every feed folder (made if missing): leftovers of a crash first, then new complete files."""
    root = inbox_root(settings)
    taken = []
    wall = time.time()
    for feed in FEEDS:
        folder = root / feed
        processing = folder / ".processing"
        processing.mkdir(parents=True, exist_ok=True)
        for path in sorted(processing.iterdir()):   # a worker died mid-import: import it again (idempotent)
            if path.is_file():
                taken.append(_take(folder, path, settings))
        for path in sorted(folder.iterdir(), key=lambda p: p.name):
            if not _ready(path, settings, wall):
                continue
            claimed = processing / path.name
            try:
                os.rename(path, claimed)   # atomic: another worker that renamed it first wins
            except FileNotFoundError:
                continue
            path.with_name(path.name + ".ready").unlink(missing_ok=True)
            taken.append(_take(folder, claimed, settings))
    imported = [t for t in taken if "duplicate_of" not in t]
    out = {"files": len(imported), "rejected_rows": sum(t.get("rejected", 0) for t in imported),
           "refused_files": sum(1 for t in imported if t.get("error"))}
    if len(imported) < len(taken):
        out["duplicates"] = len(taken) - len(imported)
    return out


@dataclass
class FeedStatus:
    feed: str
    folder: str
    waiting: int
    files: int
    last_name: str | None
    last_at: datetime | None
    last_rows: int
    last_rejected: int
    last_error: str | None


def status(session, settings: Settings) -> list[FeedStatus]:
    """Per feed: files waiting, files taken, the last one and what its import did (the jobs page)."""
    root = inbox_root(settings)
    counts = dict(session.execute(select(InboxFile.feed, func.count()).group_by(InboxFile.feed)).all())
    out = []
    for feed in FEEDS:
        folder = root / feed
        waiting = sum(1 for p in folder.iterdir() if p.is_file() and not p.name.endswith(_PARTIAL)
                      and p.suffix.lower() in _SUFFIXES) if folder.is_dir() else 0
        last = session.scalar(select(InboxFile).where(InboxFile.feed == feed).order_by(InboxFile.id.desc()).limit(1))
        out.append(FeedStatus(feed, str(folder), waiting, counts.get(feed, 0), last and last.name,
                              last and last.taken_at, last.rows if last else 0, last.rejected if last else 0,
                              last and last.error))
    return out
