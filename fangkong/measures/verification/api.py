"""HTTP routes of community verification (落地核查): the community's list and the verifier's outcome."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from fangkong.db.core import utcnow
from fangkong.errors import InvalidInput
from fangkong.kit.deps import Page, SessionDep
from fangkong.measures.schemas import OutcomeIn
from fangkong.measures.verification import service as verification
from fangkong.tasks import service as task_service
from fangkong.tasks.schemas import TaskRead

router = APIRouter(prefix="/api/verifications", tags=["verification"])


@router.get("", response_model=list[TaskRead])
def list_verifications(session: SessionDep, page: Page,
                       jurisdiction: Annotated[str | None, Query(max_length=32, pattern=r"^\d+$")] = None,
                       status: Annotated[str | None, Query(
                           pattern="^(open|done|forwarded|not_found|wrong_person|cancelled)$")] = "open",
                       overdue: bool = False):
    """A community's verification tasks, most urgent first."""
    now = utcnow()
    rows = verification.list_verifications(session, now=now, jurisdiction=jurisdiction, status=status,
                                           overdue=overdue, limit=page.limit, offset=page.offset)
    return [TaskRead.of(t, now) for t in rows]


@router.post("/{task_id}/outcome", response_model=TaskRead)
def record_outcome(session: SessionDep, task_id: Annotated[int, Path(ge=1, le=2**31 - 1)], body: OutcomeIn):
    """Record what the verifier found; 403 for a task of another jurisdiction, 409 (with the current state)
    when someone else updated it since `version`."""
    now = utcnow()
    at = body.at or now
    if at > now:
        raise InvalidInput("the outcome time is in the future")
    task = verification.record_outcome(session, task_service.get_task(session, task_id), body.outcome,
                                       jurisdiction=body.jurisdiction, version=body.version, at=at,
                                       to_community=body.to_community, note=body.note)
    return TaskRead.of(task, now)
