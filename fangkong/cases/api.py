"""HTTP routes of cases: list, read, declare. Tracing lives in fangkong/api.py (it crosses domains)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from fangkong.cases import service
from fangkong.cases.schemas import CaseCreate, CaseRead, CaseRuleOut
from fangkong.db.core import utcnow
from fangkong.kit.deps import Page, SessionDep

router = APIRouter(prefix="/api/cases", tags=["cases"])


@router.get("", response_model=list[CaseRead])
def list_cases(session: SessionDep, page: Page,
               status: Annotated[str | None, Query(pattern="^(suspected|confirmed|asymptomatic|ruled_out)$")] = None):
    return [CaseRead.of(c) for c in service.list_cases(session, status=status, limit=page.limit, offset=page.offset)]


@router.get("/{case_id}", response_model=CaseRead)
def read_case(session: SessionDep, case_id: str):
    return CaseRead.of(service.get_case(session, case_id))


@router.post("", response_model=CaseRead, status_code=201)
def declare_case(session: SessionDep, body: CaseCreate):
    case = service.declare_case(session, body.person_id, sampled_at=body.sampled_at, onset_date=body.onset_date,
                                isolated_at=body.isolated_at, last_negative_at=body.last_negative_at,
                                severity=body.severity, imported=body.imported, now=utcnow())
    return CaseRead.of(case)


@router.post("/{case_id}/rule-out", response_model=CaseRead)
def rule_out_case(session: SessionDep, case_id: str, body: CaseRuleOut):
    """Rule out a declared case as of now: what followed from it ends at commit (measures/ruleout.py); audited
    (`case.ruled_out`, `case.ruled_out_effect` with the figures). 409 when it is not a declared case."""
    case = service.get_case(session, case_id)
    return CaseRead.of(service.rule_out(session, case, reason=body.reason, now=utcnow()))
