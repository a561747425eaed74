"""`fangkong import DIR`: every FORMATS.md table found in a folder, in dependency order, file by file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from fangkong.db.audit import audit
from fangkong.db.core import utcnow
from fangkong.db.scope import acting, acting_as
from fangkong.errors import InvalidInput
from fangkong.lake import ingest
from fangkong.lake.files import (
    ImportResult,
    find_table_file,
    open_parquet_source,
    read_table_file,
    stream_table_file,
)
from fangkong.lake.schemas import INCOMING
from fangkong.lake.schemas import TABLES as LAKE_TABLES
from fangkong.people import places as people_places
from fangkong.people import service as people_service
from fangkong.people.boundaries import service as boundary_service
from fangkong.people.models import PERSON_FIELDS, VENUE_FIELDS
from fangkong.people.phones import PHONE_FIELDS
from fangkong.protocol.edition import load_edition
from fangkong.protocol.matching import Thresholds
from fangkong.protocol.pooling import testing_rule
from fangkong.settings import Settings
from fangkong.testing import service as testing_service
from fangkong.testing.models import RESULT_FIELDS, SAMPLE_FIELDS

__all__ = ["ORDER", "import_folder", "import_table"]

#: tables in the order they must be read (visits and samples refer to persons and venues, results to samples;
#: the names of the jurisdictions refer to nothing)
ORDER = ("place_names", "persons", "person_phones", "venues", "venue_visits", "cell_dwells", "samples", "lab_results")
#: jurisdiction boundaries (GeoJSON), read first when the folder has them
BOUNDARIES = "boundaries.geojson"
_RECORDS = {"persons": ({"person_id"}, set(PERSON_FIELDS)), "venues": ({"venue_id", "kind"}, set(VENUE_FIELDS)),
            "samples": ({"tube_id", "person_id", "sampled_at"}, set(SAMPLE_FIELDS)),
            "lab_results": ({"tube_id", "result", "reported_at"}, set(RESULT_FIELDS)),
            "person_phones": ({"person_id", "phone"}, set(PHONE_FIELDS)),
            "place_names": ({"code", "name"}, set(people_places.FIELDS))}


def import_table(session: Session, settings: Settings, table: str, path: Path, *, strict: bool = False,
                 source: str | None = None, progress: Callable[[str, int, int], None] | None = None) -> ImportResult:
    """One file. Records (persons, venues) are written in the caller's transaction; lake rows are staged
    and published by the lake itself. Either way a file's good rows land together or not at all."""
    required, known = _RECORDS.get(table) or INCOMING[table]
    if table in LAKE_TABLES and path.suffix == ".parquet":
        # hundreds of millions of rows: DuckDB reads the file where it lies, typed, in bounded memory
        tf = open_parquet_source(path, required=required, known=known)
    elif table == "persons":
        tf = stream_table_file(path, required=required, known=known)  # a register: read a block at a time
    else:
        tf = read_table_file(path, required=required, known=known)
    if table == "place_names":
        return people_places.import_place_names(settings.lake, tf, strict=strict)
    if table == "persons":
        return people_service.import_persons(session, tf, strict=strict, source=source, thresholds=Thresholds(
            link=settings.match_link, review=settings.match_review))
    if table == "person_phones":
        return people_service.import_person_phones(session, tf, tz=settings.zone, strict=strict)
    if table == "venues":
        return people_service.import_venues(session, tf, strict=strict)
    if table in ("samples", "lab_results"):
        return _import_testing(session, settings, table, tf, strict=strict)
    if table == "venue_visits":
        ids = people_service.known_keys(session)
        return ingest.ingest_visits(settings.lake, tf, venue_ids=people_service.venue_ids(session),
                                    person_ids=ids, tz=settings.tz, strict=strict, progress=progress)
    return ingest.ingest_dwells(settings.lake, tf, tz=settings.tz, strict=strict, progress=progress)


def _import_testing(session: Session, settings: Settings, table: str, tf, *, strict: bool) -> ImportResult:
    """Swabs and lab results (a result's follow-ups mark the people whose codes change at commit)."""
    edition = load_edition(settings.edition)
    rule = testing_rule(edition)
    if table == "samples":
        return testing_service.import_samples(session, tf, rule=rule, tz=settings.tz, now=utcnow(), strict=strict)
    return testing_service.import_lab_results(session, tf, rule=rule, edition=edition.name, tz=settings.tz,
                                              now=utcnow(), strict=strict)


def import_folder(session_factory: Callable, settings: Settings, folder: Path, *, strict: bool = False,
                  on_file: Callable[[str, Path], None] | None = None, source: str | None = None,
                  progress: Callable[[str, int, int], None] | None = None) -> list[ImportResult]:
    """Import each table found in the folder; each file is its own unit (committed before the next), with
    one audit entry (who, which file, its counts) in the same transaction; `progress(table, days done, days)`
    follows a lake table's day partitions. Who imports: the sessions' actor (`session_factory` binds it, e.g.
    the CLI's operator), else "import"."""
    if not folder.is_dir():
        raise InvalidInput(f"{folder}: not a folder")
    found = [(t, p) for t in ORDER if (p := find_table_file(folder, t)) is not None]
    if (folder / BOUNDARIES).is_file():  # the jurisdictions' polygons, for the map (docs/formats.md)
        found.insert(0, ("boundaries", folder / BOUNDARIES))
    if not found:
        raise InvalidInput(f"{folder}: no table file found (expected one of "
                           f"{', '.join(t + '.csv' for t in ORDER)} or .parquet)")
    results = []
    for table, path in found:
        if on_file:
            on_file(table, path)
        if table == "boundaries":
            with session_factory() as session, acting_as(session, "import"):  # audited by the service
                results.append(boundary_service.import_boundaries(session, path, strict=strict))
            continue
        with session_factory() as session, acting_as(session, "import"):
            r = import_table(session, settings, table, path, strict=strict, source=source, progress=progress)
            audit(session, acting(session), "import.file", table, path.name[:100], after={
                "rows": r.rows, "inserted": r.inserted, "unchanged": r.unchanged, "rejected": r.rejected,
                "committed": r.committed, "source": source})
            results.append(r)
    return results
