"""Regional assistance (区域协查): inbound requests routed to each person's community as same-day checks,
outcomes reported back; outbound requests for risk persons who live elsewhere; one CSV format both ways."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from fangkong.assist.models import OUTCOMES, AssistDirection, AssistOutcome, AssistPerson, AssistRequest
from fangkong.cases.models import Case, CaseStatus
from fangkong.contacts.models import RiskCategory, RiskPerson
from fangkong.db.audit import audit
from fangkong.db.changes import mark_changed
from fangkong.db.scope import acting
from fangkong.errors import Conflict, Forbidden, InvalidInput, NotFound
from fangkong.kit import pii
from fangkong.lake.files import ImportResult, RowError, TableFile
from fangkong.measures import service as measure_service
from fangkong.measures.models import Measure, SourceKind
from fangkong.people import counts
from fangkong.people import service as people_service
from fangkong.people.models import Person
from fangkong.protocol import idnumber
from fangkong.protocol.assist import stated_category
from fangkong.protocol.edition import Edition, load_edition
from fangkong.settings import get_settings
from fangkong.tasks import service as task_service
from fangkong.tasks.models import OwnerKind, TaskKind, TaskStatus

__all__ = [
    "CSV_COLUMNS",
    "outbound_groups",
    "REQUIRED",
    "TASK_STATUS",
    "PersonIn",
    "check_person",
    "clean_person",
    "export_rows",
    "get_person_row",
    "get_request",
    "import_requests",
    "obligation_of",
    "list_requests",
    "match_person",
    "outbound_for_case",
    "receive",
    "hand_over",
    "record_outcome",
    "row_for_task",
    "withdraw",
]

#: the exchange format, the same in and out (docs/zones.md, "Regional assistance")
CSV_COLUMNS = ("request_id", "issuing_jurisdiction", "recipient_jurisdiction", "reason", "category", "name",
               "id_number", "phone", "last_exposure_at", "outcome", "outcome_at", "note")
#: the values of the optional `category` column (a risk category, as the trace names them)
CATEGORIES = tuple(m.value for m in RiskCategory)
REQUIRED = {"request_id", "issuing_jurisdiction", "reason"}
_PHONE = re.compile(r"^1\d{10}$")
#: an outcome closes the person's verification task with this status
TASK_STATUS = {AssistOutcome.FOUND_PLACED: TaskStatus.DONE, AssistOutcome.FOUND_NEGATIVE: TaskStatus.DONE,
               AssistOutcome.NOT_FOUND: TaskStatus.NOT_FOUND, AssistOutcome.MOVED_AWAY: TaskStatus.FORWARDED,
               AssistOutcome.WRONG_PERSON: TaskStatus.WRONG_PERSON}
_UNMATCHED = task_service.Owner(OwnerKind.DISTRICT, "unmatched", "未登记人员（公安协查）")


#: outcomes at which the person was found at the door (an unmatched person is linked or registered then)
FOUND = (AssistOutcome.FOUND_PLACED, AssistOutcome.FOUND_NEGATIVE)


@dataclass(frozen=True)
class PersonIn:
    name: str | None = None
    id_number: str | None = None
    phone: str | None = None
    #: the last exposure the issuer states (the measure's period counts from it); unknown: the request's arrival
    last_exposure_at: datetime | None = None
    #: the risk category stated for this person (CATEGORIES); None: the one the request's reason states
    category: str | None = None


def check_person(p: PersonIn) -> str | None:
    """Why a named person cannot be looked for, or None."""
    if not p.id_number and not p.phone:
        return "a person needs an id_number or a phone"
    if p.id_number and not idnumber.is_valid(p.id_number):
        return f"invalid resident ID number {idnumber.mask(p.id_number)} (GB 11643 check failed)"
    if p.phone and not _PHONE.match(p.phone):
        return f"phone {idnumber.mask_phone(p.phone)} is not an 11-digit mainland mobile number"
    if p.category is not None and p.category not in CATEGORIES:
        return f"category {p.category[:20]!r} must be one of {', '.join(CATEGORIES)} (or empty)"
    return None


def clean_person(p: PersonIn) -> PersonIn:
    s = lambda v: (v or "").strip() or None
    return PersonIn(name=s(p.name), id_number=(s(p.id_number) or "").upper() or None, phone=s(p.phone),
                    last_exposure_at=p.last_exposure_at, category=(s(p.category) or "").lower() or None)


def match_person(session: Session, p: PersonIn) -> Person | None:
    if p.id_number:
        found = session.scalar(select(Person).where(Person.id_number == p.id_number).order_by(Person.id).limit(1))
        if found is not None:
            return found
    return people_service.persons_by_phones(session, [p.phone]).get(p.phone) if p.phone else None


def receive(session: Session, *, ref: str, issuer: str, reason: str, persons: list[PersonIn], now: datetime,
            source: str | None = None, edition: Edition | None = None, tz: ZoneInfo | None = None) -> AssistRequest:
    """An inbound request: every person is matched (ID number, else phone) and becomes a same-day
    verification task of their community (unmatched: the district's police). When the reason states a risk
    category (密接, 次密接, ...: protocol.assist), a matched person is placed at once under the edition's
    measure of that category, counted from the stated last exposure (or the request's arrival): an obligation
    with source `request` beside their others; an unmatched one when the door check finds them
    (record_outcome). A bad ID number or phone refuses the whole request; receiving the same request again
    adds only people it did not have."""
    actor = acting(session)
    ref, issuer, reason = (ref or "").strip(), (issuer or "").strip(), (reason or "").strip()
    for name, value, limit in (("request_id", ref, 64), ("issuing_jurisdiction", issuer, 64), ("reason", reason, 500)):
        if not value or len(value) > limit:
            raise InvalidInput(f"{name} must be 1–{limit} characters", key="err_assist_field", params={"field": name, "limit": limit})
    if not persons:
        raise InvalidInput("a request names at least one person", key="err_assist_no_person")
    persons = [clean_person(p) for p in persons]
    errors = [f"person {i + 1}: {e}" for i, p in enumerate(persons) if (e := check_person(p) or _check_exposure(p, now))]
    if errors:
        raise InvalidInput("; ".join(errors), details=errors, key="err_assist_persons", params={"n": len(errors), "first": errors[0]})
    req = session.scalar(select(AssistRequest).where(AssistRequest.direction == AssistDirection.INBOUND,
                                                     AssistRequest.issuer == issuer, AssistRequest.ref == ref))
    if req is None:
        req = AssistRequest(direction=AssistDirection.INBOUND, ref=ref, issuer=issuer, reason=reason, received_at=now,
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
        row = _route(session, req, p, now)
        if row.person is not None:
            place(session, row, at=now, edition=edition, tz=tz)
        added += 1
    session.flush()
    audit(session, actor, "assist.receive", "assist_request", req.request_no,
          after={"issuer": issuer, "ref": ref, "persons_added": added})
    return req


def _route(session: Session, req: AssistRequest, p: PersonIn, now: datetime) -> AssistPerson:
    person = match_person(session, p)
    community = (person.community if person else None) or ""
    owner = task_service.Owner(OwnerKind.COMMUNITY, community, community) if community else _UNMATCHED
    task = task_service.open_task(session, TaskKind.VERIFICATION, "verified", owner=owner, start=now,
                                  jurisdiction=community or None, person_fk=person.id if person else None,
                                  note=f"协查 {req.issuer} {req.ref}: {req.reason}"[:500])
    session.flush()
    row = AssistPerson(request_fk=req.id, name=p.name, id_number=p.id_number, phone=p.phone,
                       last_exposure_at=p.last_exposure_at, category=p.category,
                       person_fk=person.id if person else None,
                       community=community, task_fk=task.id)
    session.add(row)
    req.persons.append(row)
    row.person = person
    return row


def _check_exposure(p: PersonIn, now: datetime) -> str | None:
    t = p.last_exposure_at
    if t is None:
        return None
    if t.tzinfo is None:
        return "last_exposure_at must carry a time zone"
    return f"last_exposure_at {t.isoformat()} is after the request arrived" if t > now else None


def obligation_of(session: Session, row: AssistPerson) -> Measure | None:
    """The obligation in force this request placed its person under (source `request`, the request's number)."""
    if row.person_fk is None:
        return None
    return session.scalar(select(Measure).where(
        Measure.person_fk == row.person_fk, Measure.source_kind == SourceKind.REQUEST,
        Measure.source_ref == row.request.request_no, Measure.ended_at.is_(None)).order_by(Measure.id.desc()))


def place(session: Session, row: AssistPerson, *, at: datetime, edition: Edition | None = None,
          tz: ZoneInfo | None = None) -> Measure | None:
    """Put the row's (matched or found) person under the edition's measure of the category the request states,
    from the stated last exposure (else the request's arrival; the period then runs longer than it should,
    never shorter), found at `at`: an obligation beside their others, linked to the row's door-check task.
    Nothing when the reason states no category, when the edition has no measure for it (the 20 measures
    identify no secondary contacts), when the period has already run out, or when the person is a case (a case
    is never a risk person). Returns the obligation in force from the request, if any."""
    req, person = row.request, row.person
    category = row.category or stated_category(req.reason)
    if row.withdrawn_at is not None:
        return None
    settings = get_settings()
    edition = edition or load_edition(settings.edition)
    tz = tz or settings.zone
    if category is None or category not in edition.measures or person is None:
        return None
    if session.scalar(select(Case.id).where(Case.person_fk == person.id,
                                            Case.status != CaseStatus.RULED_OUT)) is not None:
        return None
    exposure = min(row.last_exposure_at or req.received_at, at)
    measure_service.assign_for_persons(session, [person.id], category, last_exposure_at=exposure, edition=edition,
                                       tz=tz, now=at, source=(SourceKind.REQUEST, req.request_no))
    m = obligation_of(session, row)
    if m is not None and row.task_fk is not None:
        task = task_service.get_task(session, row.task_fk)
        task.measure_fk = m.id
    mark_changed(session, [person.id], at)
    return m


def import_requests(session: Session, tf: TableFile, *, now: datetime, strict: bool = False,
                    edition: Edition | None = None, tz: ZoneInfo | None = None) -> ImportResult:
    """Inbound requests from a CSV (rows sharing request_id + issuing_jurisdiction are one request); a bad
    row is reported with its line, the good rows are received (none with strict)."""
    result = ImportResult(table="assist_requests", file=tf.path.name, rows=tf.table.num_rows, errors=[],
                          warnings=list(tf.warnings))
    groups: dict[tuple[str, str], tuple[str, list[PersonIn]]] = {}
    zone = get_settings().zone
    for row in tf.table.to_pylist():
        exposure, bad_time = _exposure(row.get("last_exposure_at"), zone)
        p = clean_person(PersonIn(row.get("name"), row.get("id_number"), row.get("phone"), exposure,
                                  _text(row.get("category"))))
        key = ((row.get("issuing_jurisdiction") or "").strip(), (row.get("request_id") or "").strip())
        reason = (row.get("reason") or "").strip()
        err = ("request_id is empty" if not key[1] else "issuing_jurisdiction is empty" if not key[0]
               else "reason is empty" if not reason else bad_time or check_person(p) or _check_exposure(p, now))
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
                edition=edition, tz=tz)
        added = _count(session, issuer, ref) - before
        result.inserted += added
        result.unchanged += len(persons) - added
    return result


def _exposure(value: object, zone: ZoneInfo) -> tuple[datetime | None, str | None]:
    """The optional last_exposure_at of a row (ISO 8601; without an offset in the deployment's zone)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=zone)), None
    try:
        t = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None, f"last_exposure_at {value!r} is not an ISO 8601 time"
    return (t if t.tzinfo else t.replace(tzinfo=zone)), None


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _count(session: Session, issuer: str, ref: str) -> int:
    req = session.scalar(select(AssistRequest).where(AssistRequest.direction == AssistDirection.INBOUND,
                                                     AssistRequest.issuer == issuer, AssistRequest.ref == ref))
    return len(req.persons) if req else 0


def record_outcome(session: Session, row: AssistPerson, outcome: str, *, at: datetime, jurisdiction: str | None,
                   note: str | None = None, person_id: str | None = None, community: str | None = None,
                   edition: Edition | None = None, tz: ZoneInfo | None = None) -> AssistPerson:
    """The community's finding, reported back to the issuer: closes the person's verification task.

    Found (found_placed, found_negative): a person the request could not match is linked to the registered
    person the verifier names (`person_id`), else to the person its ID number or phone now matches, else
    registered from the request's name, ID number and phone in `community`; then placed under the stated
    category's measure from `at` (see place). wrong_person: the obligation the request placed is withdrawn and
    the person's code re-evaluated; their other obligations stay."""
    actor = acting(session)
    if outcome not in OUTCOMES:
        raise InvalidInput(f"outcome must be one of {', '.join(OUTCOMES)}", key="err_bad_outcome")
    if row.request.direction != AssistDirection.INBOUND:
        raise InvalidInput("outcomes are recorded on inbound requests; outbound ones come back from the recipient", key="err_assist_outbound_outcome")
    if at < row.request.received_at:
        raise InvalidInput(f"outcome time {at.isoformat()} is before the request arrived", key="err_assist_before_arrival")
    if community is not None and not (community.isdigit() and 6 <= len(community) <= 12):
        raise InvalidInput(f"community {community!r} must be a jurisdiction code of 6–12 digits", key="err_bad_community_code", params={"code": community})
    if (person_id or community) and (outcome not in FOUND or row.person_fk is not None):
        raise InvalidInput("a person is linked or registered only when found, and only for a row no registered "
                           "person matched", key="err_assist_link_when_found")
    if row.withdrawn_at is not None:
        raise Conflict(f"person {row.id} was withdrawn from request {row.request.request_no} by its issuer "
                       f"({row.withdrawn_at.isoformat()}): there is nothing to check", key="err_assist_row_withdrawn", params={"row": row.id, "request": row.request.request_no})
    task = task_service.get_task(session, row.task_fk)
    if jurisdiction is not None:
        task_service.check_jurisdiction(task, jurisdiction)
    # a person registered at the door lives in the community of the door check that found them
    where = community or _community_code(task.jurisdiction) or _community_code(jurisdiction)
    linked = _link(session, row, person_id, where) if outcome in FOUND and row.person_fk is None else None
    task_service.close_task(session, task, TASK_STATUS[outcome], at=at, note=note)
    row.outcome, row.outcome_at, row.note = outcome, at, (note or None) and note[:500]
    if linked is not None:
        task.person_fk = linked.id
        place(session, row, at=at, edition=edition, tz=tz)
    if outcome == AssistOutcome.WRONG_PERSON and (m := obligation_of(session, row)) is not None:
        measure_service.withdraw(session, m, at=at, reason="wrong_person")
    audit(session, actor, "assist.outcome", "assist_person", row.id,
          after={"outcome": outcome, **({"person": linked.person_id} if linked else {})})
    return row


def hand_over(session: Session, row: AssistPerson, community: str, *, at: datetime, jurisdiction: str | None,
              version: int | None = None) -> AssistPerson:
    """The district's police located a person of an inbound request whom no registered person matched: his door
    check (theirs until then, with no jurisdiction) goes to the community where he is, so that community's
    verifier finds him and closes it on the verification page (registering him there, record_outcome); a
    verifier of another community is refused as for any check. Only an open check of an unmatched row with no
    community yet; the acting user's `jurisdiction`, when given, must contain the community; `version`, when
    given, is the check's version the user saw (409 otherwise). Audited."""
    actor = acting(session)
    if not _community_code(community):
        raise InvalidInput(f"community {community!r} must be a community code of 12 digits")
    if row.request.direction != AssistDirection.INBOUND:
        raise InvalidInput("only an inbound request's door check is handed to a community")
    if row.person_fk is not None:
        raise InvalidInput(f"person {row.id} matched a registered person: the check is already his community's")
    if row.withdrawn_at is not None:
        raise Conflict(f"person {row.id} was withdrawn from request {row.request.request_no} by its issuer")
    task = task_service.get_task(session, row.task_fk)
    if version is not None:
        task_service.check_version(task, version)
    if task.status != TaskStatus.OPEN or task.jurisdiction:
        raise Conflict(f"the door check of person {row.id} is {task.status}"
                       + (f", with community {task.jurisdiction}" if task.jurisdiction else ""),
                       details=[task_service.task_state(task)])
    if jurisdiction is not None and not task_service.covers(jurisdiction, community):
        raise Forbidden(f"community {community} is not in your jurisdiction {jurisdiction or '–'}")
    task.jurisdiction = community
    task.owner_kind, task.owner_ref, task.owner_name = OwnerKind.COMMUNITY, community, community
    row.community = community
    audit(session, actor, "assist.hand_over", "assist_person", row.id, after={"community": community,
                                                                             "task": task.id, "at": at.isoformat()})
    task_service.flush_versioned(session, task)
    return row


def _community_code(code: str | None) -> str | None:
    """A jurisdiction code that names a community (12 digits, GB/T 2260 + street + community), else None."""
    return code if code and code.isdigit() and len(code) == 12 else None


def withdraw(session: Session, req: AssistRequest, *, at: datetime, reason: str, row_id: int | None = None) -> list[AssistPerson]:
    """The issuer withdraws a person of an inbound request (`row_id`, sent by mistake), or the whole request:
    each row is marked withdrawn (when, why), the obligation the request placed is withdrawn (`end_reason`
    `withdrawn`, the code re-evaluated, the person's other obligations untouched) and an open door check is
    cancelled; a check already done keeps its outcome. Audited per person. Refused for outbound requests (the
    recipient records it), a person of another request, or one already withdrawn."""
    actor = acting(session)
    if req.direction != AssistDirection.INBOUND:
        raise InvalidInput("only an inbound request is withdrawn here; an outbound one is withdrawn by telling "
                           "its recipient", key="err_assist_outbound_withdraw")
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise InvalidInput("a withdrawal needs its reason (1–500 characters)", key="err_reason_needed")
    if at < req.received_at:
        raise InvalidInput(f"withdrawal time {at.isoformat()} is before the request arrived", key="err_assist_before_arrival")
    if row_id is not None:
        rows = [p for p in req.persons if p.id == row_id]
        if not rows:
            raise NotFound(f"request {req.request_no} has no person {row_id}", key="err_assist_no_row", params={"request": req.request_no, "row": row_id})
        if rows[0].withdrawn_at is not None:
            raise Conflict(f"person {row_id} of request {req.request_no} was already withdrawn", key="err_assist_row_withdrawn", params={"row": row_id, "request": req.request_no})
    else:
        rows = [p for p in req.persons if p.withdrawn_at is None]
        if not rows:
            raise Conflict(f"every person of request {req.request_no} was already withdrawn", key="err_assist_all_withdrawn", params={"request": req.request_no})
    for row in rows:
        m = obligation_of(session, row)
        if m is not None:
            measure_service.withdraw(session, m, at=at, reason="request_withdrawn")
        task = task_service.get_task(session, row.task_fk) if row.task_fk else None
        if task is not None and task.status == TaskStatus.OPEN:
            task_service.close_task(session, task, TaskStatus.CANCELLED, at=at,
                                    note=f"协查撤回: {reason}"[:500])
        row.withdrawn_at, row.withdrawn_reason = at, reason
        audit(session, actor, "assist.withdraw", "assist_person", row.id,
              after={"request": req.request_no, "reason": reason, "at": at.isoformat(),
                     "obligation": m.id if m is not None else None})
    session.flush()
    return rows


def _link(session: Session, row: AssistPerson, person_id: str | None, community: str | None) -> Person:
    """The person found at the door for a row no registered person matched."""
    if person_id:
        person = people_service.get_person(session, person_id)
    else:
        person = match_person(session, PersonIn(row.name, row.id_number, row.phone))
    if person is None:
        if not community:
            raise InvalidInput("the person found matches no one registered: give the community of the door check "
                               "that found them (community), where they are registered", key="err_assist_community_needed")
        key = f"{row.request.request_no}-{row.id}"
        if session.scalar(select(Person.id).where(Person.person_id == key)) is not None:
            raise Conflict(f"person {key} is already registered", key="err_person_exists", params={"person": key})
        person = Person(person_id=key, source="assist", name=row.name, id_number=row.id_number, phone=row.phone,
                        community=community)
        session.add(person)
        session.flush()
        counts.recount(session, [community])
    row.person_fk, row.person = person.id, person
    row.community = person.community or community or ""
    return person


def outbound_groups(session: Session, case: Case, *, home: str) -> tuple[dict[str, list[RiskPerson]], set]:
    """Whom outbound_for_case would push, by recipient county ('' = phone-only persons), and who was pushed
    before for this case (read only: the web form states it before it is done)."""
    if home and not home.isdigit():
        raise InvalidInput(f"home jurisdiction {home!r} must be a code prefix such as 1401", key="assist_r_home",
                           params={"home": home})
    key = lambda person_fk, phone: person_fk or f"t:{phone}"  # noqa: E731
    pushed = {key(p.person_fk, p.phone) for p in session.scalars(
        select(AssistPerson).join(AssistRequest).where(AssistRequest.direction == AssistDirection.OUTBOUND,
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
    return groups, pushed


def outbound_for_case(session: Session, case: Case, *, home: str, now: datetime) -> list[AssistRequest]:
    """Requests to other jurisdictions for the case's risk persons who do not live under `home` (a code
    prefix, e.g. 1401): one per county (first 6 digits of their community); phone-only persons (a carrier
    record without a registered owner) go in one request with no recipient, for the platform to route by
    number. A person already pushed for this case is not pushed again."""
    actor = acting(session)
    groups, pushed = outbound_groups(session, case, home=home)
    out = []
    for recipient, risks in sorted(groups.items()):
        req = AssistRequest(direction=AssistDirection.OUTBOUND, ref=f"{case.case_no}-{recipient or 'phone'}-{len(pushed)}",
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
                                            last_exposure_at=r.last_exposure_at, category=r.category))
        audit(session, actor, "assist.outbound", "assist_request", req.request_no,
              after={"case": case.case_no, "recipient": recipient, "persons": len(risks)})
        out.append(req)
    session.flush()
    return out


def export_rows(req: AssistRequest, tz, *, hidden: Callable[[str | None], bool] = lambda community: False
                ) -> list[dict]:
    """The request in the exchange format: an outbound request to send, or an inbound one with outcomes.
    Names, ID numbers and phones are masked as on the pages (fangkong.kit.pii: unmasked only for the CLI and a
    request allowed to unmask); a row whose community is `hidden` (another district's) shows none of them.
    Text that a spreadsheet would run as a formula (= + - @ first) is exported with a leading '."""
    return [{k: _cell(v) for k, v in {
        "request_id": req.ref, "issuing_jurisdiction": req.issuer, "recipient_jurisdiction": req.recipient or "",
        "reason": req.reason, "category": p.category or "", **_personal(p, hidden(p.community)),
        "last_exposure_at": p.last_exposure_at.astimezone(tz).isoformat() if p.last_exposure_at else "",
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
        raise NotFound(f"unknown assistance request {request_no!r}", key="err_unknown_request", params={"request": request_no})
    return req


def get_person_row(session: Session, row_id: int) -> AssistPerson:
    row = session.get(AssistPerson, row_id)
    if row is None:
        raise NotFound(f"unknown assistance request person {row_id}", key="err_unknown_request_row", params={"row": row_id})
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
