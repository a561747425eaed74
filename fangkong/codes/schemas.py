"""API shapes of health codes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

__all__ = ["CodeRead", "CodeReason"]


class CodeReason(BaseModel):
    label: str
    until: str | None


class CodeRead(BaseModel):
    person_id: str
    colour: Literal["red", "yellow", "green"]
    reasons: list[CodeReason]
    changes_at: datetime | None
    computed_at: datetime
