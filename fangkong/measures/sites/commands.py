"""`fangkong sites …`: isolation sites, rooms and staff; occupancy, reserve, forecast; room assignment."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from fangkong.db.core import utcnow
from fangkong.kit.clikit import err, handle_errors, operator, out, parse_time, unit_of_work
from fangkong.measures import service
from fangkong.measures.sites import capacity
from fangkong.measures.sites import service as sites
from fangkong.people import service as people_service
from fangkong.settings import get_settings

app = typer.Typer(help="Isolation sites (集中隔离点): rooms, staff, occupancy, reserve, room assignment.",
                  no_args_is_help=True)
AtOpt = Annotated[str | None, typer.Option(help="when (default now)")]


@app.command("add")
@handle_errors
def add_cmd(site_id: str, name: Annotated[str, typer.Option()],
            jurisdiction: Annotated[str, typer.Option(help="district code, e.g. 140105")],
            rooms: Annotated[int, typer.Option(min=0, max=5000)] = 0,
            beds: Annotated[int, typer.Option(min=1, max=10, help="beds per room")] = 1,
            lat: Annotated[float | None, typer.Option(min=-90, max=90)] = None,
            lon: Annotated[float | None, typer.Option(min=-180, max=180)] = None,
            address: str | None = None,
            three_zones: Annotated[bool, typer.Option("--three-zones/--no-three-zones",
                                                      help="三区两通道 layout in place")] = False,
            status: Annotated[str, typer.Option(help="preparing, open or closed")] = "open") -> None:
    """Register a site with its rooms. Example: `fangkong sites add S01 --name 迎泽宾馆 --jurisdiction 140106
    --rooms 120 --lat 37.86 --lon 112.56 --three-zones`"""
    with unit_of_work(actor=operator()) as session:
        site = sites.add_site(session, site_id, name=name, jurisdiction=jurisdiction, lat=lat, lon=lon,
                              address=address, three_zones_two_channels=three_zones, status=status, rooms=rooms,
                              beds=beds)
        out.print(site.site_id)


@app.command("list")
@handle_errors
def list_cmd(jurisdiction: str | None = None) -> None:
    """Sites with occupancy. Example: `fangkong sites list --jurisdiction 140105`"""
    with unit_of_work() as session:
        rows = capacity.occupancy(session, jurisdiction=jurisdiction)
    table = Table(title="isolation sites")
    for col in ("site", "name", "jurisdiction", "status", "三区两通道", "rooms", "occupied", "free", "persons",
                "arrived", "staff"):
        table.add_column(col)
    for o in rows:
        table.add_row(o.site_id, o.name, o.jurisdiction, o.status, "yes" if o.three_zones_two_channels else "NO",
                      str(o.rooms), str(o.occupied), str(o.free), str(o.persons), str(o.arrived), str(o.staff))
    out.print(table)


@app.command("rooms")
@handle_errors
def rooms_cmd(site_id: str, count: Annotated[int, typer.Argument(min=1, max=5000)],
              beds: Annotated[int, typer.Option(min=1, max=10)] = 1) -> None:
    """Add rooms to a site. Example: `fangkong sites rooms S01 30 --beds 2`"""
    with unit_of_work(actor=operator()) as session:
        sites.add_rooms(session, sites.get_site(session, site_id), count, beds=beds)


@app.command("staff")
@handle_errors
def staff_cmd(site_id: str, name: str, role: Annotated[str, typer.Argument(
        help="manager, medical, security, cleaning, logistics")], phone: str | None = None) -> None:
    """Add a staff member. Example: `fangkong sites staff S01 赵敏 medical`"""
    with unit_of_work(actor=operator()) as session:
        sites.add_staff(session, sites.get_site(session, site_id), name=name, role=role, phone=phone)


@app.command("status")
@handle_errors
def status_cmd(site_id: str, status: Annotated[str | None, typer.Argument(help="preparing, open, closed")] = None,
               three_zones: Annotated[bool | None, typer.Option("--three-zones/--no-three-zones")] = None) -> None:
    """Open or close a site, or set its 三区两通道 flag. Example: `fangkong sites status S01 closed`"""
    with unit_of_work(actor=operator()) as session:
        sites.update_site(session, sites.get_site(session, site_id), status=status,
                          three_zones_two_channels=three_zones)


@app.command("reserve")
@handle_errors
def reserve_cmd(jurisdiction: str) -> None:
    """The reserve check: rooms per 10 000 residents against the target (FANGKONG_ROOMS_PER_10K, 20).

    Example: `fangkong sites reserve 1401`
    """
    with unit_of_work() as session:
        r = capacity.reserve(session, jurisdiction, per_10k=get_settings().rooms_per_10k)
    ratio = f"{r.per_10k:.1f}" if r.per_10k is not None else "–"
    out.print(f"{r.jurisdiction}: {r.rooms} rooms, {r.residents} residents, {ratio} per 10 000 "
              f"(target {r.target_per_10k:g}: {r.needed} rooms)")
    if r.warning:
        err.print(f"[bold yellow]warning:[/] {r.warning}", highlight=False)


@app.command("forecast")
@handle_errors
def forecast_cmd(days: Annotated[int, typer.Option(min=1, max=30)] = 7, jurisdiction: str | None = None,
                 at: AtOpt = None) -> None:
    """Free rooms at the end of each coming day from scheduled releases. Example: `fangkong sites forecast`"""
    settings = get_settings()
    with unit_of_work() as session:
        rows = capacity.forecast(session, now=parse_time(at, "--at", planned=True) or utcnow(), tz=settings.zone, days=days,
                                 jurisdiction=jurisdiction)
    table = Table(title="free rooms")
    table.add_column("day")
    table.add_column("free rooms", justify="right")
    for day, n in rows:
        table.add_row(day.isoformat(), str(n))
    out.print(table)


@app.command("assign")
@handle_errors
def assign_cmd(measure_id: int, site_id: str, room_no: str, at: AtOpt = None) -> None:
    """Put a person under centralized isolation in a given room. Example: `fangkong sites assign 12 S01 007`"""
    with unit_of_work(actor=operator()) as session:
        site = sites.get_site(session, site_id)
        sites.assign_room(session, service.get_measure(session, measure_id), site, room_no,
                          now=parse_time(at, "--at") or utcnow())


@app.command("assign-all")
@handle_errors
def assign_all_cmd(at: AtOpt = None) -> None:
    """Rooms for everyone under centralized isolation who has none. Example: `fangkong sites assign-all`"""
    with unit_of_work(actor=operator()) as session:
        r = sites.assign_rooms(session, now=parse_time(at, "--at") or utcnow())
    out.print(f"assigned {r.assigned}, no room {r.no_room}: "
              + ", ".join(f"{k} {v}" for k, v in sorted(r.by_site.items())))


@app.command("arrive")
@handle_errors
def arrive_cmd(person_id: str, at: AtOpt = None) -> None:
    """The person reached their room (closes the transfer task). Example: `fangkong sites arrive P0000042`"""
    with unit_of_work(actor=operator()) as session:
        sites.arrive(session, people_service.get_person(session, person_id), at=parse_time(at, "--at") or utcnow())
