"""`fangkong inputs …`: import arrivals, 四类药品 purchases, fever-clinic visits, vaccinations; coverage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from fangkong.assist.inputs import service as inputs
from fangkong.assist.service import PersonIn
from fangkong.db.audit import audit
from fangkong.db.core import utcnow
from fangkong.db.scope import acting_as
from fangkong.errors import FangkongError, InvalidInput
from fangkong.kit.clikit import err, handle_errors, operator, parse_date, parse_time, unit_of_work
from fangkong.lake.files import read_table_file
from fangkong.protocol.edition import load_edition
from fangkong.settings import get_settings

app = typer.Typer(help="Other inputs: key-area arrivals, inbound travellers (境外输入), 四类药品 purchases, fever clinics, "
                       "vaccinations.",
                  no_args_is_help=True)

#: table → (required columns, known columns) of an input file (docs/zones.md, "Other inputs")
TABLES = {
    "arrivals": ({"person_id", "from_area", "risk_level", "arrived_at"}, {"person_id", "from_area", "risk_level",
                                                                          "arrived_at"}),
    "inbound_arrivals": ({"person_id", "from_country", "entered_at"},
                         {"person_id", "from_country", "entered_at", "port", "flight"}),
    "drug_purchases": ({"pharmacy", "drug_class", "bought_at"}, {"pharmacy", "name", "id_number", "phone",
                                                                 "drug_class", "bought_at"}),
    "fever_reports": ({"person_id", "clinic", "seen_at"}, {"person_id", "clinic", "seen_at", "temperature"}),
    "vaccinations": ({"person_id", "dose", "vaccinated_on"}, {"person_id", "dose", "vaccinated_on", "product"}),
}


def _time(text: str | None, name: str):
    try:
        return parse_time(text, name)
    except typer.BadParameter as exc:
        raise InvalidInput(f"{name} {text!r}: {exc.message}") from None


def _row(session, table: str, row: dict, now, settings) -> None:
    if table == "arrivals":
        inputs.register_arrival(session, row["person_id"], from_area=row["from_area"] or "",
                                risk_level=row["risk_level"] or "", arrived_at=_time(row["arrived_at"], "arrived_at"),
                                now=now, edition=load_edition(settings.edition), tz=settings.zone, source="file")
    elif table == "inbound_arrivals":
        inputs.register_inbound(session, row["person_id"], from_country=row["from_country"] or "",
                                entered_at=_time(row["entered_at"], "entered_at"), port=row["port"],
                                flight=row["flight"], now=now, edition=load_edition(settings.edition), tz=settings.zone,
                                source="file")
    elif table == "drug_purchases":
        inputs.record_drug_purchase(session, pharmacy=row["pharmacy"] or "",
                                    person=PersonIn(row["name"], row["id_number"], row["phone"]),
                                    drug_class=row["drug_class"] or "", bought_at=_time(row["bought_at"], "bought_at"),
                                    now=now)
    elif table == "fever_reports":
        try:
            temp = float(row["temperature"]) if row["temperature"] else None
        except ValueError:
            raise InvalidInput(f"temperature {row['temperature']!r} is not a number") from None
        inputs.record_fever(session, row["person_id"], clinic=row["clinic"] or "",
                            seen_at=_time(row["seen_at"], "seen_at"), temperature=temp, now=now)
    else:
        if not (row["dose"] or "").isdigit():
            raise InvalidInput(f"dose {row['dose']!r} is not a number")
        try:
            on = parse_date(row["vaccinated_on"], "vaccinated_on")
        except typer.BadParameter:
            raise InvalidInput(f"vaccinated_on {row['vaccinated_on']!r} is not an ISO date") from None
        inputs.record_vaccination(session, row["person_id"], dose=int(row["dose"]), on=on, product=row["product"],
                                  today=now.astimezone(settings.zone).date())


@app.command("import")
@handle_errors
def import_cmd(table: Annotated[str, typer.Argument(
        help="arrivals, inbound_arrivals, drug_purchases, fever_reports or vaccinations")],
               file: Path) -> None:
    """Import one input file (CSV or Parquet); each bad row is reported with its line, the others are kept.

    Example: `fangkong inputs import drug_purchases 药店销售.csv`"""
    if table not in TABLES:
        raise InvalidInput(f"table must be one of {', '.join(TABLES)}")
    if not file.is_file():
        raise typer.BadParameter(f"no such file {file}", param_hint="FILE")
    settings, now = get_settings(), utcnow()
    with unit_of_work() as session:
        done, bad = import_input(session, table, file, now=now, settings=settings)
    err.print(f"{file.name}: {done} rows recorded, {len(bad)} rejected")
    for line, reason in bad:
        err.print(f"[red]error:[/] {file.name}:{line}: {reason}", highlight=False, soft_wrap=True)
    if bad:
        raise typer.Exit(1)


def import_input(session, table: str, file: Path, *, now, settings) -> tuple[int, list[tuple[int, str]]]:
    """One input file in the caller's transaction, audited: rows recorded, and (line, reason) of each refused row
    (also the inbox folders' way in: fangkong.jobs.inbox)."""
    required, known = TABLES[table]
    tf = read_table_file(file, required=required, known=known)
    bad, done = [], 0
    with acting_as(session, operator()):  # a session that names nobody (the inbox's): the local operator
        for row in tf.table.to_pylist():
            try:   # every check comes before the first write, so a refused row leaves nothing behind
                _row(session, table, row, now, settings)
                done += 1
            except FangkongError as exc:
                bad.append((row["_line"], exc.message))
    audit(session, operator(), "import.file", table, file.name[:100],
          after={"rows": done + len(bad), "inserted": done, "rejected": len(bad), "committed": True})
    return done, bad


@app.command("coverage")
@handle_errors
def coverage_cmd(on: Annotated[str | None, typer.Option(help="the day (default today)")] = None) -> None:
    """Vaccination coverage: doses, boosters due, 60+ booster rate, 3–11 coverage (JSON).

    Example: `fangkong inputs coverage --on 2022-03-14`"""
    s = get_settings()
    day = parse_date(on, "--on") or utcnow().astimezone(s.zone).date()
    with unit_of_work() as session:
        print(json.dumps(inputs.coverage(session, day), ensure_ascii=False))
