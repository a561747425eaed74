"""Regional assistance (区域协查): inbound requests routed to each person's community as same-day checks,
outcomes reported back; outbound requests for risk persons who live elsewhere; one CSV format both ways."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fangkong import pii
from fangkong.assist.models import OUTCOMES, AssistPerson, AssistRequest
from fangkong.cases.models import Case
from fangkong.contacts.models import RiskPerson
from fangkong.db.audit import audit
from fangkong.errors import InvalidInput, NotFound
from fangkong.lake.files import ImportResult, RowError, TableFile
from fangkong.people import service as people_service
from fangkong.people.models import Person
from fangkong.protocol import idnumber
from fangkong.tasks import service as task_service

__all__ = [
    "CSV_COLUMNS",
    "REQUIRED",
    "TASK_STATUS",
    "PersonIn",
    "check_person",
    "clean_person",
    "export_rows",
    "get_person_row",
    "get_request",
    "import_requests",
    "list_requests",
    "match_person",
    "outbound_for_case",
    "receive",
    "record_outcome",
    "row_for_task",
]

#: the exchange format, the same in and out (docs/zones.md, "Regional assistance")
CSV_COLUMNS = ("request_id", "issuing_jurisdiction", "recipient_jurisdiction", "reason", "name", "id_number",
               "phone", "outcome", "outcome_at", "note")
REQUIRED = {"request_id", "issuing_jurisdiction", "reason"}
_PHONE = re.compile(r"^1\d{10}$")
#: an outcome closes the person's verification task with this status
TASK_STATUS = {"found_placed": "done", "found_negative": "done", "not_found": "not_found",
               "moved_away": "forwarded", "wrong_person": "wrong_person"}
_UNMATCHED = task_service.Owner("district", "unmatched", "未登记人员（公安协查）")


@dataclass(frozen=True)
class PersonIn:
    name: str | None = None
    id_number: str | None = None
    phone: str | None = None


def check_person(p: PersonIn) -> str | None:
    """Why a named person cannot be looked for, or None."""
    if not p.id_number and not p.phone:
        return "a person needs an id_number or a phone"
    if p.id_number and not idnumber.is_valid(p.id_number):
        return f"invalid resident ID number {idnumber.mask(p.id_number)} (GB 11643 check failed)"
    if p.phone and not _PHONE.match(p.phone):
        return f"phone {idnumber.mask_phone(p.phone)} is not an 11-digit mainland mobile number"
    return None


def clean_person(p: PersonIn) -> PersonIn:
    s = lambda v: (v or "").strip() or None
    return PersonIn(name=s(p.name), id_number=(s(p.id_number) or "").upper() or None, phone=s(p.phone))


def match_person(session: Session, p: PersonIn) -> Person | None:
    if p.id_number:
        found = session.scalar(select(Person).where(Person.id_number == p.id_number).order_by(Person.id).limit(1))
        if found is not None:
            return found
    return people_service.persons_by_phones(session, [p.phone]).get(p.phone) if p.phone else None


def receive(session: Session, *, ref: str, issuer: str, reason: str, persons: list[PersonIn], now: datetime,
            source: str | None = None, actor: str = "system") -> AssistRequest:
    """An inbound request: every person is matched (ID number, else phone) and becomes a same-day
    verification task of their community (unmatched: the district's police). A bad ID number or phone
    refuses the whole request; receiving the same request again adds only people it did not have."""
    ref, issuer, reason = (ref or "").strip(), (issuer or "").strip(), (reason or "").strip()
    for name, value, limit in (("request_id", ref, 64), ("issuing_jurisdiction", issuer, 64), ("reason", reason, 500)):
        if not value or len(value) > limit:
            raise InvalidInput(f"{name} must be 1–{limit} characters")
    if not persons:
        raise InvalidInput("a request names at least one person")
    persons = [clean_person(p) for p in persons]
    errors = [f"person {i + 1}: {e}" for i, p in enumerate(persons) if (e := check_person(p))]
    if errors:
        raise InvalidInput("; ".join(errors), details=errors)
    req = session.scalar(select(AssistRequest).where(AssistRequest.direction == "inbound",
                                                     AssistRequest.issuer == issuer, AssistRequest.ref == ref))
    if req is None:
        req = AssistRequest(direction="inbound", ref=ref, issuer=issuer, reason=reason, received_at=now,
                            source=source, created_by=actor)
        session.add(req)
        session.flush()
        req.request_no = f"A{req.id:06d}"
    have = {(p.id_number, p.phone) for p in req.persons}
    added = 0
    for p in persons:
        if (p.id_number, p.phone) in have:
            continue
        have.add((p.id_number, p.phone))
        _route(session, req, p, now)
        added += 1
    session.flush()
    audit(session, actor, "assist.receive", "assist_request", req.request_no,
          after={"issuer": issuer, "ref": ref, "persons_added": added})
    return req


def _route(session: Session, req: AssistRequest, p: PersonIn, now: datetime) -> AssistPerson:
    person = match_person(session, p)
    community = (person.community if person else None) or ""
    owner = task_service.Owner("community", community, community) if community else _UNMATCHED
    task = task_service.open_task(session, "verification", "verified", owner=owner, start=now,
                                  jurisdiction=community or None, person_fk=person.id if person else None,
                                  note=f"协查 {req.issuer} {req.ref}: {req.reason}"[:500])
    session.flush()
    row = AssistPerson(request_fk=req.id, name=p.name, id_number=p.id_number, phone=p.phone,
                       person_fk=person.id if person else None, community=community, task_fk=task.id)
    session.add(row)
    req.persons.append(row)
    return row


def import_requests(session: Session, tf: TableFile, *, now: datetime, strict: bool = False,
                    actor: str = "system") -> ImportResult:
    """Inbound requests from a CSV (rows sharing request_id + issuing_jurisdiction are one request); a bad
    row is reported with its line, the good rows are received (none with strict)."""
    result = ImportResult(table="assist_requests", file=tf.path.name, rows=tf.table.num_rows, errors=[],
                          warnings=list(tf.warnings))
    groups: dict[tuple[str, str], tuple[str, list[PersonIn]]] = {}
    for row in tf.table.to_pylist():
        p = clean_person(PersonIn(row.get("name"), row.get("id_number"), row.get("phone")))
        key = ((row.get("issuing_jurisdiction") or "").strip(), (row.get("request_id") or "").strip())
        reason = (row.get("reason") or "").strip()
        err = ("request_id is empty" if not key[1] else "issuing_jurisdiction is empty" if not key[0]
               else "reason is empty" if not reason else check_person(p))
        if err:
            result.errors.append(RowError(tf.path.name, row["_line"], err))
            continue
        groups.setdefault(key, (reason, []))[1].append(p)
    if strict and result.errors:
        result.committed = False
        return result
    for (issuer, ref), (reason, persons) in groups.items():
        before = _count(session, issuer, ref)
        receive(session, ref=ref, issuer=issuer, reason=reason, persons=persons, now=now, source=tf.path.name,
                actor=actor)
        added = _count(session, issuer, ref) - before
        result.inserted += added
        result.unchanged += len(persons) - added
    return result


def _count(session: Session, issuer: str, ref: str) -> int:
    req = session.scalar(select(AssistRequest).where(AssistRequest.direction == "inbound",
                                                     AssistRequest.issuer == issuer, AssistRequest.ref == ref))
    return len(req.persons) if req else 0


def record_outcome(session: Session, row: AssistPerson, outcome: str, *, at: datetime, jurisdiction: str | None,
                   note: str | None = None, actor: str) -> AssistPerson:
    """The community's finding, reported back to the issuer: closes the person's verification task."""
    if outcome not in OUTCOMES:
        raise InvalidInput(f"outcome must be one of {', '.join(OUTCOMES)}")
    if row.request.direction != "inbound":
        raise InvalidInput("outcomes are recorded on inbound requests; outbound ones come back from the recipient")
    if at < row.request.received_at:
        raise InvalidInput(f"outcome time {at.isoformat()} is before the request arrived")
    task = task_service.get_task(session, row.task_fk)
    if jurisdiction is not None:
        task_service.check_jurisdiction(task, jurisdiction)
    task_service.close_task(session, task, TASK_STATUS[outcome], at=at, actor=actor, note=note)
    row.outcome, row.outcome_at, row.note = outcome, at, (note or None) and note[:500]
    audit(session, actor, "assist.outcome", "assist_person", row.id, after={"outcome": outcome})
    return row


def outbound_for_case(session: Session, case: Case, *, home: str, now: datetime,
                      actor: str = "system") -> list[AssistRequest]:
    """Requests to other jurisdictions for the case's risk persons who do not live under `home` (a code
    prefix, e.g. 1401): one per county (first 6 digits of their community); phone-only persons (a carrier
    record without a registered owner) go in one request with no recipient, for the platform to route by
    number. A person already pushed for this case is not pushed again."""
    if home and not home.isdigit():
        raise InvalidInput(f"home jurisdiction {home!r} must be a code prefix such as 1401")
    key = lambda person_fk, phone: person_fk or f"t:{phone}"
    pushed = {key(p.person_fk, p.phone) for p in session.scalars(
        select(AssistPerson).join(AssistRequest).where(AssistRequest.direction == "outbound",
                                                       AssistRequest.case_fk == case.id))}
    groups: dict[str, list[RiskPerson]] = {}
    for r in session.scalars(select(RiskPerson).where(RiskPerson.case_fk == case.id).order_by(RiskPerson.id)):
        community = r.person.community if r.person else None
        if key(r.person_fk, r.phone) in pushed:
            continue
        if r.person is None:
            groups.setdefault("", []).append(r)
        elif home and community and not community.startswith(home):
            groups.setdefault(community[:6], []).append(r)
    out = []
    for recipient, risks in sorted(groups.items()):
        req = AssistRequest(direction="outbound", ref=f"{case.case_no}-{recipient or 'phone'}-{len(pushed)}",
                            issuer=home, recipient=recipient, reason=f"{case.case_no} 风险人员协查",
                            case_fk=case.id, received_at=now, created_by=actor)
        session.add(req)
        session.flush()
        req.request_no = f"A{req.id:06d}"
        for r in risks:
            p = r.person
            req.persons.append(AssistPerson(name=p.name if p else None, id_number=p.id_number if p else None,
                                            phone=p.phone if p else r.phone, person_fk=r.person_fk,
                                            community=p.community if p else None,
                                            note=r.category))
        audit(session, actor, "assist.outbound", "assist_request", req.request_no,
              after={"case": case.case_no, "recipient": recipient, "persons": len(risks)})
        out.append(req)
    session.flush()
    return out


def export_rows(req: AssistRequest, tz, *, hidden: Callable[[str | None], bool] = lambda community: False
                ) -> list[dict]:
    """The request in the exchange format: an outbound request to send, or an inbound one with outcomes.
    Names, ID numbers and phones are masked as on the pages (fangkong.pii: unmasked only for the CLI and a
    request allowed to unmask); a row whose community is `hidden` (another district's) shows none of them.
    Text that a spreadsheet would run as a formula (= + - @ first) is exported with a leading '."""
    return [{k: _cell(v) for k, v in {
        "request_id": req.ref, "issuing_jurisdiction": req.issuer, "recipient_jurisdiction": req.recipient or "",
        "reason": req.reason, **_personal(p, hidden(p.community)),
        "outcome": p.outcome or "", "outcome_at": p.outcome_at.astimezone(tz).isoformat() if p.outcome_at else "",
        "note": p.note or ""}.items()} for p in req.persons]


def _personal(p: AssistPerson, hidden: bool) -> dict:
    if hidden:
        return {"name": "", "id_number": "", "phone": ""}
    return {"name": pii.name(p.name) or "", "id_number": pii.id_number(p.id_number) or "",
            "phone": pii.phone(p.phone) or ""}


def _cell(value: object) -> object:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def get_request(session: Session, request_no: str) -> AssistRequest:
    req = session.scalar(select(AssistRequest).where(AssistRequest.request_no == request_no))
    if req is None:
        raise NotFound(f"unknown assistance request {request_no!r}")
    return req


def get_person_row(session: Session, row_id: int) -> AssistPerson:
    row = session.get(AssistPerson, row_id)
    if row is None:
        raise NotFound(f"unknown assistance request person {row_id}")
    return row


def row_for_task(session: Session, task_fk: int) -> AssistPerson | None:
    """The request row a verification task was opened for, if it came from an assistance request."""
    return session.scalar(select(AssistPerson).where(AssistPerson.task_fk == task_fk))


def list_requests(session: Session, *, direction: str | None = None, limit: int = 100,
                  offset: int = 0) -> list[AssistRequest]:
    q = select(AssistRequest).order_by(AssistRequest.id).limit(limit).offset(offset)
    if direction:
        q = q.where(AssistRequest.direction == direction)
    return list(session.scalars(q))
