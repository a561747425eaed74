"""`fangkong people …`: show a person with every key and phone, match reviews, merge and unmerge, phone owners."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from fangkong.db.core import utcnow
from fangkong.kit.clikit import err, handle_errors, out, parse_time, unit_of_work
from fangkong.people import merge as merge_service
from fangkong.people import review as review_service
from fangkong.people import service
from fangkong.people.models import Person
from fangkong.people.phones import add_owner, phones_of
from fangkong.protocol.idnumber import mask, mask_name, mask_phone
from fangkong.settings import get_settings

app = typer.Typer(help="People: one record per person across sources (keys, phones, match reviews, merges).",
                  no_args_is_help=True)

By = Annotated[str, typer.Option("--by", help="who decides (audited)")]


@app.command("show")
@handle_errors
def show(person_id: Annotated[str, typer.Argument(help="any source key of the person")]) -> None:
    """A person with every source key and phone (masked). Example: `fangkong people show VC-0000012`"""
    tz = get_settings().zone
    with unit_of_work() as session:
        p = service.get_person(session, person_id)
        out.print(f"{p.person_id}  {mask_name(p.name) or ''}  {mask(p.id_number) or ''}  {mask_phone(p.phone) or ''}  "
                  f"{p.birth_date or ''}  {p.community or ''}", highlight=False)
        for k in service.keys_of(session, p):
            score = f" score {k.score:.2f}" if k.score is not None else ""
            out.print(f"  key {k.key} ({k.source or 'import'}, linked by {k.linked_by}{score})", highlight=False)
        for ph in phones_of(session, p):
            span = "" if not ph.owner else (f" owner {ph.valid_from.astimezone(tz):%Y-%m-%d}" if ph.valid_from
                                            else " owner always") + (f" to {ph.valid_to.astimezone(tz):%Y-%m-%d}"
                                                                     if ph.valid_to else " to now")
            out.print(f"  phone {mask_phone(ph.phone)}{span} ({ph.source or ''})", highlight=False)


@app.command("reviews")
@handle_errors
def reviews(status: Annotated[str, typer.Option(help="open, merged or distinct")] = "open",
            limit: Annotated[int, typer.Option(min=1, max=1000)] = 50) -> None:
    """Grey-band matches for an analyst, best score first. Example: `fangkong people reviews`"""
    with unit_of_work() as session:
        rows = review_service.list_reviews(session, status=status, limit=limit)
        table = Table(title=f"match reviews ({status})")
        for col in ("id", "new key", "possibly", "score", "name", "phone", "birth", "address"):
            table.add_column(col)
        for r in rows:
            cand = session.get(Person, r.candidate_fk) if r.candidate_fk else None
            f = r.evidence.get("fields", {})
            table.add_row(str(r.id), r.key, cand.person_id if cand else "–", f"{r.score:.2f}",
                          *[("–" if f.get(k) is None else f"{f[k]:.2f}") for k in ("name", "phone", "birth_date",
                                                                                     "address")])
        counts = review_service.review_counts(session)
    err.print(table)
    err.print(", ".join(f"{k} {v}" for k, v in counts.items()), highlight=False)


@app.command("decide")
@handle_errors
def decide(review_id: int, decision: Annotated[str, typer.Argument(help="merge or distinct")], by: By,
           reason: Annotated[str, typer.Option(help="why (audited)")] = "") -> None:
    """Decide a match review. Example: `fangkong people decide 3 merge --by 李分析`"""
    with unit_of_work(actor=by) as session:
        r = review_service.decide_review(session, review_service.get_review(session, review_id), decision,
                                         now=utcnow(), reason=reason)
        status = r.status
    err.print(f"match review {review_id}: {status}")


@app.command("merge")
@handle_errors
def merge(survivor: Annotated[str, typer.Argument(help="the record that stays (any of its keys)")],
          merged: Annotated[str, typer.Argument(help="the record merged into it (any of its keys)")],
          by: By, reason: Annotated[str, typer.Option(help="why they are one person (audited)")]) -> None:
    """Merge MERGED into SURVIVOR: keys, phones, cases, risk persons, measures, tests and codes follow.

    Example: `fangkong people merge P0000012 VC-0000007 --by 李分析 --reason "same ID card seen at the door"`
    """
    with unit_of_work(actor=by) as session:
        m = merge_service.merge(session, service.get_person(session, survivor), service.get_person(session, merged),
                                reason=reason, now=utcnow())
        moved = {k: len(v) for k, v in m.moved.items() if not k.startswith("_") and v}
        merge_id, names = m.id, (m.merged_person_id, m.survivor_person_id)
    err.print(f"merge {merge_id}: {names[0]} merged into {names[1]}; moved " +
              (", ".join(f"{k} {v}" for k, v in sorted(moved.items())) or "nothing"), highlight=False)
    print(merge_id)


@app.command("unmerge")
@handle_errors
def unmerge(person_id: Annotated[str | None, typer.Argument(help="the person_id that was merged away")] = None,
            merge_id: Annotated[int | None, typer.Option("--merge", help="or the merge's id")] = None,
            by: By = "cli") -> None:
    """Undo a merge: the merged person is back with their own keys, phones and records.

    Example: `fangkong people unmerge VC-0000007 --by 李分析`
    """
    if (person_id is None) == (merge_id is None):
        raise typer.BadParameter("give the merged person_id or --merge ID")
    with unit_of_work(actor=by) as session:
        m = (merge_service.get_merge(session, merge_id) if merge_id is not None
             else merge_service.active_merge_of(session, person_id))
        merge_service.unmerge(session, m, now=utcnow())
        names = (m.merged_person_id, m.survivor_person_id, m.id)
    err.print(f"merge {names[2]} undone: {names[0]} is again apart from {names[1]}", highlight=False)


@app.command("phone")
@handle_errors
def phone(person_id: str, number: str, by: By,
          since: Annotated[str | None, typer.Option("--from", help="owner from (ISO date or time)")] = None,
          until: Annotated[str | None, typer.Option("--to", help="owner until (exclusive)")] = None) -> None:
    """Record that a person owned a phone over a period (one owner at a time).

    Example: `fangkong people phone P0000012 13812345678 --from 2022-03-05 --by 工信`
    """
    s = get_settings()
    with unit_of_work(actor=by) as session:
        add_owner(session, service.get_person(session, person_id), number,
                  valid_from=parse_time(since, "--from"),
                  valid_to=parse_time(until, "--to", planned=True), source="cli", tz=s.zone)
    err.print(f"{person_id}: phone {mask_phone(number)} recorded")
