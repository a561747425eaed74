"""Where the lake keeps each table: day partitions, the metadata file, staging for atomic writes."""

from __future__ import annotations

import bisect
import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

__all__ = ["BY_PERSON", "table_dir", "day_dirs", "files_for_days", "person_files_for_days", "read_meta", "write_meta",
           "staging_dir", "publish", "all_files", "purge_before", "token_of", "REPLACED", "markers", "marker_active",
           "live_names", "write_marker", "write_lock", "INDEX", "write_index", "read_indexes",
           "process_alive"]

#: each day folder holds the rows sorted by place (venue or grid cell, then time: what co-presence reads) and,
#: in this sub-folder, a twin of each file with the same rows sorted by person (what a person's own trajectory
#: reads); a twin has its file's name, and `files_for_days` never sees it
BY_PERSON = "by_person"


def table_dir(lake: Path, table: str) -> Path:
    return lake / table


def day_dirs(lake: Path, table: str) -> dict[date, Path]:
    root = table_dir(lake, table)
    if not root.is_dir():
        return {}
    out = {}
    for d in root.iterdir():
        if d.is_dir() and d.name.startswith("day="):
            out[date.fromisoformat(d.name[4:])] = d
    return out


#: a compaction's marker in a day folder: `_replaced-<token>.json` = {"new": [names], "old": [names],
#: "published": bool, "at": epoch seconds}. Once its new files are in place (or it says published), the old
#: files hold the same rows again and are retired: no reader sees them, `lake compact` deletes them later.
REPLACED = "_replaced-"


def markers(d: Path) -> list[tuple[Path, dict]]:
    out = []
    for p in sorted(d.glob(f"{REPLACED}*.json")):
        try:
            out.append((p, json.loads(p.read_text())))
        except (OSError, ValueError):  # a torn marker (a crash while writing it) retires nothing
            continue
    return out


def marker_active(d: Path, marker: dict) -> bool:
    """Its new files are published: they, not the old ones, hold the rows."""
    return bool(marker.get("published")) or all((d / n).is_file() for n in marker.get("new", []))


#: a write's index in its day folder: `_index-<token>.json` = {"files": [names], "place": [[first, last] | null],
#: "person": [[first, last] | null]}, the first and last key of each place-sorted shard and of its by-person twin.
#: Published before the write's files: a write whose files are not all in place yet is not read at all (its rows
#: appear at once, with its last file), and a query skips the shards whose range holds none of its keys.
INDEX = "_index-"


def write_index(d: Path, token: str, files: list[str], place: list, person: list) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    return _write_json(d / f"{INDEX}{token}.json", {"files": files, "place": place, "person": person})


def read_indexes(d: Path) -> dict[str, dict]:
    """The day folder's indexes by the token of their files (token_of), each with its own path under "path"; a
    torn or foreign index is ignored (its files are then read whole)."""
    out = {}
    for p in d.glob(f"{INDEX}*.json"):
        try:
            index = json.loads(p.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(index, dict) and isinstance(index.get("files"), list) and index["files"]:
            out[token_of(index["files"][0])] = {**index, "path": p}
    return out


def _unpublished(indexes: dict[str, dict], present: set[str]) -> set[str]:
    """Files of writes still being published (or cut off while publishing): not all of the index's files here."""
    hidden: set[str] = set()
    for index in indexes.values():
        names = set(index["files"])
        if not names <= present:
            hidden |= names
    return hidden


def live_names(d: Path, indexes: dict[str, dict] | None = None) -> list[str]:
    """The place-sorted files of a day folder that hold its rows: every file but those retired by a compaction
    and those of a write not yet wholly published."""
    retired: set[str] = set()
    for _, m in markers(d):
        if marker_active(d, m):
            retired.update(m.get("old", []))
    present = {p.name for p in d.glob("*.parquet")}
    hidden = _unpublished(read_indexes(d) if indexes is None else indexes, present)
    return sorted(n for n in present if n not in retired and n not in hidden)


def _may_hold(index: dict | None, order: str, name: str, keys: list[str] | None) -> bool:
    """Whether the shard `name` can hold one of `keys` (sorted), by its range in the index; without an index
    entry, yes."""
    if keys is None or index is None:
        return True
    try:
        span = index[order][index["files"].index(name)]
    except (KeyError, ValueError, IndexError, TypeError):
        return True
    if span is None:
        return True
    i = bisect.bisect_left(keys, span[0])
    return i < len(keys) and keys[i] <= span[1]


def _write_json(path: Path, value: dict) -> Path:
    """A small JSON file replaced atomically: a reader sees the old one or the new one, never a torn one."""
    tmp = path.parent / f".{path.stem}.{uuid.uuid4().hex}.tmp"
    tmp.write_text(json.dumps(value, sort_keys=True))
    os.replace(tmp, path)
    return path


def write_marker(d: Path, token: str, marker: dict) -> Path:
    return _write_json(d / f"{REPLACED}{token}.json", marker)


def files_for_days(lake: Path, table: str, days: set[date] | None = None, places: list[str] | None = None) -> list[str]:
    """Parquet files of the given days (all days when None), sorted for reproducible reads; with `places` (sorted),
    only the shards whose range in the index can hold one of them."""
    out: list[str] = []
    for day, d in sorted(day_dirs(lake, table).items()):
        if days is None or day in days:
            indexes = read_indexes(d)
            out.extend(str(d / n) for n in live_names(d, indexes)
                       if _may_hold(indexes.get(token_of(n)), "place", n, places))
    return out


def token_of(name: str) -> str:
    """Files written by one COPY share a token: `part-<token>-<i>.parquet` → `part-<token>`."""
    stem = name.rsplit(".", 1)[0]
    return stem.rsplit("-", 1)[0] if stem.count("-") >= 2 else stem


def person_files_for_days(lake: Path, table: str, days: set[date] | None = None,
                          persons: list[str] | None = None) -> list[str]:
    """The files to read for given persons: per day and write (token), the by-person twins when that write's
    files and twins are the same set of names (the same rows), else the place-sorted files themselves (live
    scans, a lake written before twins existed, a crash part-way through a publish: same rows either way); with
    `persons` (sorted), only the twins whose range in the index can hold one of them."""
    out: list[str] = []
    for day, d in sorted(day_dirs(lake, table).items()):
        if days is not None and day not in days:
            continue
        twins = d / BY_PERSON
        have: dict[str, set[str]] = {}
        for p in twins.glob("*.parquet") if twins.is_dir() else []:
            have.setdefault(token_of(p.name), set()).add(p.name)
        indexes = read_indexes(d)
        groups: dict[str, list[str]] = {}
        for name in live_names(d, indexes):
            groups.setdefault(token_of(name), []).append(name)
        for token, names in sorted(groups.items()):
            if have.get(token) == set(names):
                out.extend(str(twins / n) for n in _shard_order(names)
                           if _may_hold(indexes.get(token), "person", n, persons))
            else:
                out.extend(str(d / n) for n in _shard_order(names))
    return out


def _shard_order(names: list[str]) -> list[str]:
    """A write's shards in the order written (…-2 before …-10)."""
    def number(name: str) -> tuple:
        tail = name.rsplit(".", 1)[0].rsplit("-", 1)[-1]
        return (0, int(tail), name) if tail.isdigit() else (1, 0, name)
    return sorted(names, key=number)


def all_files(lake: Path, table: str) -> list[str]:
    return files_for_days(lake, table, None)


def read_meta(lake: Path, table: str) -> dict:
    p = table_dir(lake, table) / "_meta.json"
    return json.loads(p.read_text()) if p.is_file() else {}


def write_meta(lake: Path, table: str, meta: dict) -> None:
    root = table_dir(lake, table)
    root.mkdir(parents=True, exist_ok=True)
    _write_json(root / "_meta.json", meta)


@contextmanager
def write_lock(lake: Path) -> Iterator[None]:
    """The lake's write lock (an flock, across processes): every writer holds it from reading a day's stored rows
    to dedupe until its files are published (imports day by day, scan flushes, purges, compactions), so two
    writers never both miss a row the other is adding."""
    lock = Path(lake) / ".journal" / ".lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)   # released when the file closes
        yield


def staging_dir(lake: Path) -> Path:
    d = lake / ".staging" / uuid.uuid4().hex
    d.mkdir(parents=True)
    return d


def publish(staged: Path, lake: Path, table: str) -> int:
    """Move staged day files into place, one atomic rename each; the staging folder is then removed.

    A crash part-way leaves some days published: the next run of the same import skips their rows
    (the key is the whole row) and publishes the rest, so the lake converges to one clean import.
    """
    moved = 0
    # indexes first: until the last file of a write is in place, none of its files is read (live_names)
    src_root = staged / table
    if src_root.is_dir():
        for day in sorted(src_root.iterdir()):
            for f in sorted(day.glob(f"{INDEX}*.json")):
                dest = table_dir(lake, table) / day.name
                dest.mkdir(parents=True, exist_ok=True)
                os.replace(f, dest / f.name)
    # twins next: a place-sorted file in place means its twin is there (person_files_for_days relies on it)
    twin_root = staged / f"{table}.{BY_PERSON}"
    if twin_root.is_dir():
        for day in sorted(twin_root.iterdir()):
            dest = table_dir(lake, table) / day.name / BY_PERSON
            dest.mkdir(parents=True, exist_ok=True)
            for f in sorted(day.glob("*.parquet")):
                os.replace(f, dest / f.name)
    src_root = staged / table
    if src_root.is_dir():
        for day in sorted(src_root.iterdir()):
            dest = table_dir(lake, table) / day.name
            dest.mkdir(parents=True, exist_ok=True)
            for f in sorted(day.glob("*.parquet")):
                os.replace(f, dest / f.name)
                moved += 1
    shutil.rmtree(staged, ignore_errors=True)
    return moved


def purge_before(lake: Path, table: str, cutoff: date) -> list[date]:
    """Delete whole day partitions older than the cutoff (retention, DOMAIN.md §11)."""
    gone = []
    for day, d in day_dirs(lake, table).items():
        if day < cutoff:
            shutil.rmtree(d)
            gone.append(day)
    return sorted(gone)


def process_alive(pid: int) -> bool:
    """Whether process `pid` still runs (a journal's writer: its journal is left to it while it lives)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, run by another user
        return True
    return True
