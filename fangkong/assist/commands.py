"""`fangkong assist …`: import inbound requests, record outcomes, push outbound requests, export CSV."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from fangkong.assist import service
from fangkong.cases import service as case_service
from fangkong.db.audit import audit, audit_export
from fangkong.db.core import utcnow
from fangkong.kit.clikit import err, handle_errors, operator, out, parse_time, unit_of_work
from fangkong.lake.files import read_table_file
from fangkong.protocol.idnumber import mask
from fangkong.settings import get_settings

app = typer.Typer(help="Regional assistance requests (区域协查): in, out, outcomes.", no_args_is_help=True)


@app.command("import")
@handle_errors
def import_cmd(file: Annotated[Path, typer.Argument(help="CSV in the exchange format (docs/zones.md)")],
               strict: Annotated[bool, typer.Option(help="receive nothing when any row is bad")] = False) -> None:
    """Receive inbound requests; each person becomes a same-day check by their community.

    Example: `fangkong assist import 协查函.csv`"""
    if not file.is_file():
        raise typer.BadParameter(f"no such file {file}", param_hint="FILE")
    tf = read_table_file(file, required=service.REQUIRED, known=set(service.CSV_COLUMNS))
    with unit_of_work(actor=operator()) as session:
        r = service.import_requests(session, tf, now=utcnow(), strict=strict)
        audit(session, operator(), "import.file", "assist_requests", file.name[:100], after={
            "rows": r.rows, "inserted": r.inserted, "unchanged": r.unchanged, "rejected": r.rejected,
            "committed": r.committed})
    err.print(f"{file.name}: {r.rows} rows, {r.inserted} persons received, {r.unchanged} already known, "
              f"{r.rejected} rejected" + ("" if r.committed else " (nothing received: --strict)"))
    for w in r.warnings or []:
        err.print(f"[yellow]warning:[/] {w}", highlight=False)
    for e in r.errors or []:
        err.print(f"[red]error:[/] {e}", highlight=False, soft_wrap=True)
    if r.errors:
        raise typer.Exit(1)


@app.command("list")
@handle_errors
def list_cmd(direction: Annotated[str | None, typer.Option(help="inbound or outbound")] = None) -> None:
    """Requests with their people and outcomes. Example: `fangkong assist list --direction inbound`"""
    with unit_of_work() as session:
        rows = [(r.request_no, r.direction, r.issuer, r.recipient or "-", r.reason, len(r.persons),
                 sum(1 for p in r.persons if p.outcome)) for r in service.list_requests(session, direction=direction,
                                                                                     limit=100_000)]
    table = Table(title="assistance requests")
    for col in ("request", "direction", "issuer", "recipient", "reason", "persons", "answered"):
        table.add_column(col)
    for r in rows:
        table.add_row(*map(str, r))
    out.print(table)


@app.command("outcome")
@handle_errors
def outcome_cmd(row_id: int, outcome: str, by: Annotated[str, typer.Option("--by")],
                at: Annotated[str | None, typer.Option(help="when it was found (default now)")] = None,
                jurisdiction: Annotated[str | None, typer.Option(help="the verifier's community")] = None,
                note: str | None = None,
                person_id: Annotated[str | None, typer.Option(
                    "--person-id", help="found: the registered person it is (a row no one matched)")] = None,
                community: Annotated[str | None, typer.Option(
                    help="found: register the person in this community (a row no one matched)")] = None) -> None:
    """Report what was found for one person of a request. Found, the person is placed under the measure of the
    category the request states; wrong_person withdraws it. Example: `fangkong assist outcome 12 found_placed --by 社区`"""
    with unit_of_work(actor=by) as session:
        row = service.get_person_row(session, row_id)
        service.record_outcome(session, row, outcome, at=parse_time(at, "--at") or utcnow(),
                               jurisdiction=jurisdiction, note=note, person_id=person_id, community=community)
        who = mask(row.id_number) or row.phone
    err.print(f"{row_id} ({who}): {outcome}")


@app.command("hand-over")
@handle_errors
def hand_over_cmd(row_id: int, community: Annotated[str, typer.Option(help="the community where the person is")],
                  by: Annotated[str, typer.Option("--by")],
                  at: Annotated[str | None, typer.Option(help="when (default now)")] = None,
                  jurisdiction: Annotated[str | None, typer.Option(help="yours: must contain the community")] = None
                  ) -> None:
    """The police located a person of a request whom no one registered matched: his door check goes to the
    community where he is, whose verifier closes it. Example: `fangkong assist hand-over 12 --community
    140105001001 --by 派出所`"""
    with unit_of_work(actor=by) as session:
        row = service.get_person_row(session, row_id)
        service.hand_over(session, row, community, at=parse_time(at, "--at") or utcnow(), jurisdiction=jurisdiction)
    err.print(f"{row_id}: door check handed to community {community}")


@app.command("withdraw")
@handle_errors
def withdraw_cmd(request_no: str, reason: Annotated[str, typer.Option(help="why the issuer withdrew it")],
                 by: Annotated[str, typer.Option("--by")],
                 row: Annotated[int | None, typer.Option(help="one person of the request (its row); default all")] = None,
                 at: Annotated[str | None, typer.Option(help="when it was withdrawn (default now)")] = None) -> None:
    """The issuer withdrew a person of an inbound request, or the whole request: the obligations it placed are
    withdrawn, open door checks cancelled; audited per person.

    Example: `fangkong assist withdraw A000001 --row 3 --reason "发函有误" --by 王指挥`"""
    with unit_of_work(actor=by) as session:
        req = service.get_request(session, request_no)
        rows = service.withdraw(session, req, at=parse_time(at, "--at") or utcnow(), reason=reason, row_id=row)
        ids = [r.id for r in rows]
    err.print(f"{request_no}: withdrawn {len(ids)} ({', '.join(map(str, ids))})")


@app.command("outbound")
@handle_errors
def outbound_cmd(case_id: str, home: Annotated[str | None, typer.Option(
        help="our jurisdiction code prefix (default FANGKONG_JURISDICTION)")] = None) -> None:
    """Push a case's risk persons who live elsewhere to their jurisdictions; prints the request ids.

    Example: `fangkong assist outbound C000001 --home 1401`"""
    home = home or get_settings().jurisdiction
    with unit_of_work(actor=operator()) as session:
        reqs = service.outbound_for_case(session, case_service.get_case(session, case_id), home=home, now=utcnow())
        ids = [(r.request_no, r.recipient or "(by phone)", len(r.persons)) for r in reqs]
    for no, recipient, n in ids:
        print(f"{no}\t{recipient}\t{n}")


@app.command("export")
@handle_errors
def export_cmd(request_id: str, out_file: Annotated[Path | None, typer.Option("--out")] = None) -> None:
    """A request as exchange CSV (outbound to send; inbound with outcomes to report back).

    Example: `fangkong assist export A000002 --out reply.csv`"""
    s = get_settings()
    with unit_of_work() as session:
        rows = service.export_rows(service.get_request(session, request_id), s.zone)
        audit_export(session, operator(), "assist_request", request_id, rows=len(rows), fmt="csv", unmasked=True)
    fh = out_file.open("w", newline="", encoding="utf-8") if out_file else sys.stdout
    w = csv.DictWriter(fh, fieldnames=service.CSV_COLUMNS)
    w.writeheader()
    w.writerows(rows)
    if out_file:
        fh.close()
