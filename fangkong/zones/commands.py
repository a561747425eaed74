"""`fangkong zones …`: propose, approve, lift zones; record rounds; print the risk-area list."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from fangkong.db.core import utcnow
from fangkong.errors import InvalidInput
from fangkong.kit.clikit import err, handle_errors, operator, out, parse_date, unit_of_work
from fangkong.kit.i18n import t
from fangkong.protocol.edition import load_edition
from fangkong.protocol.zones import ABSENCE_REASONS, RISK_OF
from fangkong.settings import get_settings
from fangkong.zones import service
from fangkong.zones.models import PLACE_KINDS, PlaceReason, ZoneStatus

app = typer.Typer(help="Zones: sealed / controlled / precaution (封控区/管控区/防范区) and the risk-area list.",
                  no_args_is_help=True)

By = Annotated[str, typer.Option("--by", help="who decides (audited)")]


def _place(text: str) -> tuple[str, str, str]:
    kind, _, ref = text.partition(":")
    if kind not in PLACE_KINDS or not ref:
        raise InvalidInput(f"place {text!r} must be venue:VENUE_ID, grid:ROW:COL, building:VENUE_ID/3号楼 "
                           "or district:140105")
    return kind, ref, PlaceReason.MANUAL


@app.command("propose")
@handle_errors
def propose(level: Annotated[str, typer.Argument(help="sealed, controlled or precaution")],
            places: Annotated[list[str] | None, typer.Argument(
                help="venue:V0000012, grid:4729:12345, building:V0000012/3号楼[1单元] or district:140105")] = None,
            name: str | None = None,
            by: Annotated[str | None, typer.Option("--by", help="who proposes (default: the local operator)")]
            = None) -> None:
    """Propose a zone of these places; prints its id. Example: `fangkong zones propose sealed venue:V0000012`"""
    s = get_settings()
    with unit_of_work(actor=by or operator()) as session:
        zone = service.create_zone(session, level=level, places=[_place(p) for p in places or []], name=name,
                                   edition=load_edition(s.edition), now=utcnow())
        zone_no = zone.zone_no
    print(zone_no)


@app.command("approve")
@handle_errors
def approve(zone_id: str, by: By) -> None:
    """Approve (publish) a proposed zone. Example: `fangkong zones approve Z000001 --by 王指挥`"""
    s = get_settings()
    with unit_of_work(actor=by) as session:
        zone = service.approve(session, service.get_zone(session, zone_id), edition=load_edition(s.edition),
                               tz=s.zone, now=utcnow())
        n = service.resident_count(session, zone)
    err.print(f"{zone_id}: approved, {n} residents")


@app.command("reject")
@handle_errors
def reject(zone_id: str, reason: Annotated[str, typer.Option(help="why (audited)")], by: By) -> None:
    """Reject a proposed zone. Example: `fangkong zones reject Z000003 --reason "已在管控" --by 王指挥`"""
    with unit_of_work(actor=by) as session:
        service.reject(session, service.get_zone(session, zone_id), reason=reason, now=utcnow())
    err.print(f"{zone_id}: rejected")


@app.command("lift")
@handle_errors
def lift(zone_id: str, by: By) -> None:
    """Lower a sealed zone to controlled, or lift a zone, when its edition's condition is met; otherwise
    refused with what is missing. Example: `fangkong zones lift Z000001 --by 王指挥`"""
    s = get_settings()
    with unit_of_work(actor=by) as session:
        zone = service.step(session, service.get_zone(session, zone_id), edition=load_edition(s.edition),
                            tz=s.zone, now=utcnow())
        state = zone.level if zone.status == ZoneStatus.APPROVED else zone.status
    err.print(f"{zone_id}: {state}")


def _absent(text: str) -> tuple[str, str]:
    person_id, _, reason = text.partition("=")
    if not person_id or not reason:
        raise InvalidInput(f"--absent {text!r} must be PERSON_ID=REASON, reason one of {', '.join(ABSENCE_REASONS)}")
    return person_id, reason


@app.command("round")
@handle_errors
def record_round(zone_id: str, day: Annotated[str, typer.Option(help="the round's day, e.g. 2022-03-21")],
                 tested: Annotated[int, typer.Option(min=0)], positive: Annotated[int, typer.Option(min=0)] = 0,
                 absent: Annotated[list[str] | None, typer.Option(
                     "--absent", help="a resident not tested, PERSON_ID=REASON (" + ", ".join(ABSENCE_REASONS)
                     + "); repeat it")] = None,
                 by: Annotated[str | None, typer.Option("--by", help="who records (default: the local operator)")]
                 = None) -> None:
    """Record a testing round over a zone, and the residents it did not test with their reasons: a round counts
    for lowering or lifting when tested + accounted for cover the residents. Example:
    `fangkong zones round Z000001 --day 2022-03-21 --tested 810 --absent P0000042=in_hospital
    --absent P0000043=moved_out`"""
    rows = [_absent(a) for a in absent or []]
    when = parse_date(day, "--day")
    with unit_of_work(actor=by or operator()) as session:
        zone = service.get_zone(session, zone_id)
        service.record_round(session, zone, day=when, tested=tested, positive=positive, now=utcnow())
        for person_id, reason in rows:
            service.record_absence(session, zone, day=when, person_id=person_id, reason=reason, now=utcnow())
    err.print(f"{zone_id}: round of {day} recorded" + (f", {len(rows)} residents accounted for" if rows else ""))


@app.command("absent")
@handle_errors
def record_absence(zone_id: str, person_id: str,
                   day: Annotated[str, typer.Option(help="the round's day, e.g. 2022-03-21")],
                   reason: Annotated[str, typer.Option(help=", ".join(ABSENCE_REASONS))],
                   note: str | None = None,
                   by: Annotated[str | None, typer.Option("--by", help="who records (default: the local operator)")]
                   = None) -> None:
    """Account for a resident not tested in the zone's round of a day, with a reason. Example:
    `fangkong zones absent Z000001 P0000042 --day 2022-03-21 --reason in_hospital --note 省人民医院`"""
    with unit_of_work(actor=by or operator()) as session:
        service.record_absence(session, service.get_zone(session, zone_id), day=parse_date(day, "--day"),
                               person_id=person_id, reason=reason, note=note, now=utcnow())
    err.print(f"{zone_id}: {person_id} accounted for on {day} ({reason})")


@app.command("absences")
@handle_errors
def list_absences(zone_id: str, format: Annotated[str, typer.Option("--format")] = "table",
                  lang: str = "zh") -> None:
    """The zone's residents accounted for, by day. Example: `fangkong zones absences Z000001 --format json`"""
    with unit_of_work() as session:
        rows = service.absences_of(session, service.get_zone(session, zone_id))
    if format == "json":
        print(json.dumps(rows, ensure_ascii=False, default=str))
        return
    table = Table(title=f"{zone_id} absences")
    for col in ("day", "person", "reason", "note", "by"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["day"]), r["person_id"], t("absence_" + r["reason"], lang), r["note"] or "",
                      r["recorded_by"])
    out.print(table)


@app.command("review")
@handle_errors
def review() -> None:
    """Check every approved zone and propose the steps that are met. Example: `fangkong zones review`"""
    s = get_settings()
    with unit_of_work() as session:
        rows = [(z.zone_no, z.level, c.met, c.to_level or ZoneStatus.LIFTED, "; ".join(c.missing))
                for z, c in service.review(session, edition=load_edition(s.edition), tz=s.zone, now=utcnow())]
    table = Table(title="zones review")
    for col in ("zone", "level", "next", "met", "missing"):
        table.add_column(col)
    for no, level, met, to, missing in rows:
        table.add_row(no, level, to, "yes" if met else "no", missing or "-")
    out.print(table)


@app.command("list")
@handle_errors
def list_zones(status: str | None = None, format: Annotated[str, typer.Option("--format")] = "table",
               lang: str = "zh") -> None:
    """Zones with their level, status and places. Example: `fangkong zones list --status approved`"""
    with unit_of_work() as session:
        rows = [{"zone_id": z.zone_no, "name": z.name, "level": z.level, "risk": RISK_OF[z.level],
                 "status": z.status, "places": [f"{p.kind}:{p.ref}" for p in z.places]}
                for z in service.list_zones(session, status=status, limit=100_000)]
    if format == "json":
        print(json.dumps(rows, ensure_ascii=False))
        return
    table = Table(title="zones")
    for col in ("zone", "name", "level", "status", "places"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["zone_id"], r["name"], t(r["level"], lang), r["status"], str(len(r["places"])))
    out.print(table)


@app.command("risk-areas")
@handle_errors
def risk_areas(format: Annotated[str, typer.Option("--format")] = "text", lang: str = "zh") -> None:
    """The published 高/中/低 risk-area list. Example: `fangkong zones risk-areas --format json`"""
    with unit_of_work() as session:
        areas = service.risk_areas(session)
    if format == "json":
        print(json.dumps(areas, ensure_ascii=False, default=str))
        return
    for a in areas:
        names = "、".join(p["name"] or p["ref"] for p in a["places"])
        out.print(f"{t(a['risk'] + '_risk', lang)}: {a['name']} — {names}", highlight=False)
