"""HTTP routes of health codes: the colour check every gate and app calls."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from fangkong.codes import service
from fangkong.codes.schemas import CodeRead
from fangkong.db.core import utcnow
from fangkong.deps import SessionDep, SettingsDep
from fangkong.protocol.edition import load_edition

router = APIRouter(prefix="/api/persons", tags=["health codes"])


@router.get("/{person_id}/code", response_model=CodeRead)
def person_code(session: SessionDep, settings: SettingsDep, person_id: Annotated[str, Path(max_length=64)]):
    v = service.person_code(session, person_id, edition=load_edition(settings.edition), now=utcnow(), tz=settings.zone)
    return CodeRead(person_id=v.person_id, colour=v.colour, reasons=v.reasons, changes_at=v.changes_at,
                    computed_at=v.computed_at)
