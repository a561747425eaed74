"""HTTP routes of regional assistance requests (区域协查): receive, list, report outcomes, push out, export."""

from __future__ import annotations

import csv
import io
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from fangkong.assist import service
from fangkong.assist.models import DIRECTION_PATTERN, AssistRequest
from fangkong.assist.schemas import HandOverIn, OutboundIn, OutcomeIn, RequestIn, RequestRead, WithdrawIn
from fangkong.cases import service as case_service
from fangkong.db.audit import audit_export
from fangkong.db.core import utcnow
from fangkong.db.masking import Foreign
from fangkong.kit import pii
from fangkong.kit.deps import Page, SessionDep, SettingsDep, actor_of

router = APIRouter(prefix="/api/assist", tags=["assistance requests"])
RequestNo = Annotated[str, Path(max_length=20)]


def _aware(t, settings):
    return t if t is None or t.tzinfo else t.replace(tzinfo=settings.zone)


def _read(req: AssistRequest) -> RequestRead:
    return RequestRead(
        request_id=req.request_no, direction=req.direction, ref=req.ref, issuer=req.issuer, recipient=req.recipient,
        reason=req.reason, received_at=req.received_at,
        persons=[{"id": p.id, "name": pii.name(p.name), "id_number": pii.id_number(p.id_number),
                  "phone": pii.phone(p.phone),
                  "person_id": p.person.person_id if p.person else None, "community": p.community,
                  "last_exposure_at": p.last_exposure_at, "category": p.category,
                  "task_id": p.task_fk, "outcome": p.outcome, "outcome_at": p.outcome_at,
                  "withdrawn_at": p.withdrawn_at, "withdrawn_reason": p.withdrawn_reason} for p in req.persons])


@router.post("/requests", response_model=RequestRead, status_code=201)
def receive(session: SessionDep, settings: SettingsDep, body: RequestIn):
    """An inbound request: each person becomes a same-day check by their community; a malformed ID number
    or phone refuses the whole request (422, nothing stored)."""
    req = service.receive(session, ref=body.request_id, issuer=body.issuing_jurisdiction, reason=body.reason,
                          persons=[service.PersonIn(**{**p.model_dump(), "last_exposure_at": _aware(
                              p.last_exposure_at, settings)}) for p in body.persons], now=utcnow(),
                          source="api")
    return _read(req)


@router.get("/requests", response_model=list[RequestRead])
def list_requests(session: SessionDep, page: Page,
                  direction: Annotated[str | None, Query(pattern=DIRECTION_PATTERN)] = None):
    return [_read(r) for r in service.list_requests(session, direction=direction, limit=page.limit,
                                                    offset=page.offset)]


@router.get("/requests/{request_no}", response_model=RequestRead)
def get_request(session: SessionDep, request_no: RequestNo):
    return _read(service.get_request(session, request_no))


@router.get("/requests/{request_no}/export", response_class=Response)
def export(session: SessionDep, settings: SettingsDep, request_no: RequestNo):
    """The request in the exchange CSV: to send (outbound) or to report back (inbound, with outcomes). Masked
    like the JSON view (full names, ID numbers and phones only with ?unmask=true&reason=..., pii:unmask);
    another district's rows carry none; every export is audited with its row count."""
    foreign = Foreign(session)
    rows = service.export_rows(service.get_request(session, request_no), settings.zone, hidden=foreign.community)
    audit_export(session, actor_of(session), "assist_request", request_no, rows=len(rows), fmt="csv",
                 unmasked=pii.unmasked())
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=service.CSV_COLUMNS)
    w.writeheader()
    w.writerows(rows)
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{request_no}.csv"'})


@router.post("/requests/{request_no}/withdraw", response_model=RequestRead)
def withdraw(session: SessionDep, settings: SettingsDep, request_no: RequestNo, body: WithdrawIn):
    """The issuer withdrew one person of an inbound request (`row`), or all of it: the obligations it placed
    are withdrawn and open door checks cancelled; audited per person."""
    req = service.get_request(session, request_no)
    service.withdraw(session, req, at=_aware(body.at, settings) or utcnow(), reason=body.reason, row_id=body.row)
    return _read(req)


@router.post("/persons/{row_id}/outcome", response_model=RequestRead)
def outcome(session: SessionDep, row_id: Annotated[int, Path(ge=1, le=2**31 - 1)], body: OutcomeIn):
    """What the community found at the door, with its time; closes the person's verification task."""
    row = service.get_person_row(session, row_id)
    service.record_outcome(session, row, body.outcome, at=body.at or utcnow(), jurisdiction=body.jurisdiction,
                           note=body.note, person_id=body.person_id, community=body.community)
    return _read(row.request)


@router.post("/persons/{row_id}/community", response_model=RequestRead)
def hand_over(session: SessionDep, row_id: Annotated[int, Path(ge=1, le=2**31 - 1)], body: HandOverIn):
    """The police located an unmatched person: his door check goes to the community where he is (inside the
    user's jurisdiction), whose verifier closes it."""
    row = service.get_person_row(session, row_id)
    service.hand_over(session, row, body.community, at=body.at or utcnow(), version=body.version,
                      jurisdiction=session.info.get("scope") or None)
    return _read(row.request)


@router.post("/cases/{case_id}/outbound", response_model=list[RequestRead], status_code=201)
def outbound(session: SessionDep, case_id: Annotated[str, Path(max_length=20)], body: OutboundIn):
    """Push the case's risk persons who live outside `home` (and phone-only ones) to their jurisdictions."""
    case = case_service.get_case(session, case_id)
    return [_read(r) for r in service.outbound_for_case(session, case, home=body.home, now=utcnow())]
