"""Import jurisdiction boundaries from a GeoJSON file and read them back for the map."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from fangkong.db.audit import audit
from fangkong.db.core import utcnow
from fangkong.db.scope import acting, scope_of
from fangkong.errors import InvalidInput
from fangkong.lake.files import ImportResult, RowError
from fangkong.people.boundaries.models import BOUNDARY_LEVELS, Boundary
from fangkong.people.models import VENUE_KINDS, Venue
from fangkong.protocol.boundaries import (
    BoundaryError,
    BoundaryShape,
    feature_lines,
    parse_collection,
    shape_of,
)

__all__ = ["boundaries", "boundaries_by_codes", "feature_collection", "import_boundaries", "levels_present",
           "venue_points", "venues_version"]

#: a boundary file is read whole: the file a city draws its communities with is a few MB
MAX_BYTES = 200 * 1024 * 1024


def _read(path: Path) -> str:
    if not path.is_file():
        raise InvalidInput(f"{path.name}: no such file", key="err_file_missing", params={"file": path.name})
    if path.stat().st_size > MAX_BYTES:
        raise InvalidInput(f"{path.name}: larger than {MAX_BYTES // 1024 // 1024} MB", key="err_file_large", params={"file": path.name, "mb": MAX_BYTES // 1024 // 1024})
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise InvalidInput(f"{path.name}:{line}: not UTF-8", key="err_file_utf8", params={"file": path.name, "line": line}) from None


def _same(b: Boundary, s: BoundaryShape) -> bool:
    return b.name == s.name and b.geometry == s.geometry


def import_boundaries(session: Session, path: Path, *, replace: bool = False, strict: bool = False) -> ImportResult:
    """One boundaries.geojson in the caller's transaction, audited. Keyed by code: the same feature again changes
    nothing; another shape or name for a known code is rejected unless `replace` (a redrawn boundary). Each bad
    feature is reported as `file:line: feature N: reason`; the good ones are kept (none with `strict`)."""
    text = _read(path)
    try:
        features = parse_collection(text)
    except BoundaryError as exc:
        raise InvalidInput(f"{path.name}: {exc}") from None
    lines = feature_lines(text)
    result = ImportResult(table="boundaries", file=path.name, rows=len(features), errors=[])
    known = {b.code: b for b in session.scalars(select(Boundary))}
    seen: dict[str, int] = {}
    good: list[BoundaryShape] = []
    for n, feature in enumerate(features, 1):
        line = lines[n - 1] if n - 1 < len(lines) else 1
        try:
            shape = shape_of(feature)
            if shape.code in seen:
                raise BoundaryError(f"code {shape.code} is already feature {seen[shape.code]} of this file")
            seen[shape.code] = n
            old = known.get(shape.code)
            if old is not None and not _same(old, shape) and not replace:
                raise BoundaryError(f"code {shape.code} ({old.name}) was imported with another shape or name; "
                                    "import with --replace to redraw it")
        except BoundaryError as exc:
            result.errors.append(RowError(path.name, line, f"feature {n}: {exc}"))
            continue
        good.append(shape)
    if strict and result.errors:
        result.committed = False
        return result
    replaced = 0
    for s in good:
        old = known.get(s.code)
        if old is not None and _same(old, s):
            result.unchanged += 1
            continue
        row = old or Boundary(code=s.code)
        row.level, row.name, row.geometry, row.source, row.imported_at = s.level, s.name, s.geometry, path.name[:100], \
            utcnow()
        row.min_lon, row.min_lat, row.max_lon, row.max_lat = s.bbox
        if old is None:
            session.add(row)
            result.inserted += 1
        else:
            replaced += 1
    audit(session, acting(session), "import.file", "boundaries", path.name[:100], after={
        "rows": result.rows, "inserted": result.inserted, "replaced": replaced, "unchanged": result.unchanged,
        "rejected": result.rejected})
    return result


def boundaries(session: Session, levels: tuple[str, ...] = BOUNDARY_LEVELS) -> list[Boundary]:
    """The boundaries of these levels, largest level first, by code."""
    order = {lv: i for i, lv in enumerate(BOUNDARY_LEVELS)}
    rows = session.scalars(select(Boundary).where(Boundary.level.in_(levels)))
    return sorted(rows, key=lambda b: (order.get(b.level, 9), b.code))


def boundaries_by_codes(session: Session, codes: set[str]) -> list[Boundary]:
    return list(session.scalars(select(Boundary).where(Boundary.code.in_(sorted(codes))))) if codes else []


def venues_version(session: Session) -> tuple:
    """What tells whether the venues changed: they are only added, never changed (an import reports a conflicting
    row and keeps the stored one), so the count, the lowest and highest ids and their venue_ids (a store emptied
    and refilled, as tests do) and the database; and the reader's district (venue_points is his)."""
    count, lo, hi = session.execute(select(func.count(Venue.id), func.min(Venue.id), func.max(Venue.id))).one()
    ends = tuple(session.scalars(select(Venue.venue_id).where(Venue.id.in_([lo, hi])).order_by(Venue.id))) \
        if count else ()
    return str(session.get_bind().engine.url), scope_of(session), count, lo, hi, ends


def venue_points(session: Session) -> dict:
    """Every venue with a position, in columns for the map: names, kind index (into `kinds`), lon, lat (to 1e-5
    degrees, about a metre). A district's user gets his own district's venues and those no community holds."""
    query = select(Venue.name, Venue.venue_id, Venue.kind, Venue.lon, Venue.lat).where(
        Venue.lat.is_not(None), Venue.lon.is_not(None)).order_by(Venue.id)
    if prefix := scope_of(session):   # a district's user: his own district's venues (another's are 外区 elsewhere)
        query = query.where(or_(Venue.community.is_(None), Venue.community.startswith(prefix)))
    rows = session.execute(query).all()
    kind = {k: i for i, k in enumerate(VENUE_KINDS)}
    other = len(VENUE_KINDS) - 1
    return {"kinds": list(VENUE_KINDS), "name": [r[0] or r[1] for r in rows],
            "kind": [kind.get(r[2], other) for r in rows],
            "lon": [round(r[3], 5) for r in rows], "lat": [round(r[4], 5) for r in rows]}


def levels_present(session: Session) -> list[str]:
    """The levels that have at least one boundary, largest first."""
    have = set(session.scalars(select(Boundary.level).distinct()))
    return [lv for lv in BOUNDARY_LEVELS if lv in have]


def feature_collection(rows: list[Boundary], names: dict[str, str] | None = None) -> dict:
    """The boundaries as one GeoJSON FeatureCollection (properties: name, code, level) for the map to register.
    `names` overrides a code's name (the page's language)."""
    names = names or {}
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": b.code, "label": names.get(b.code, b.name), "code": b.code,
                                           "level": b.level}, "geometry": b.geometry} for b in rows]}
