"""API shapes of the auth domain: token requests, users, audit entries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["AuditRead", "DeviceCreate", "DeviceIssued", "DeviceRead", "MeRead", "TokenIn", "TokenOut", "TokenRead",
           "UserCreate", "UserRead", "UserUpdate"]

Code = Field("", pattern=r"^\d{0,12}$", description="administrative code of the jurisdiction ('' = all)")


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    label: str | None = Field(None, max_length=100)
    days: float = Field(30, gt=0, le=366)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    username: str
    role: str


class TokenRead(BaseModel):
    """A token as its owner sees it listed: never the token itself (only its hash is kept)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    label: str | None
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    username: str
    role: str
    jurisdiction: str
    active: bool
    created_at: datetime
    created_by: str
    person_id: str | None = Field(None, description="a citizen's account: the person it is bound to")
    email: str | None = Field(None, description="notifications by e-mail")
    phone: str | None = Field(None, description="notifications by SMS")
    webhook: str | None = Field(None, description="notifications to a personal work-chat robot (JSON POST)")
    team_id: str | None = Field(None, description="the tracing team the user works in (told of its cases)")


#: a user's contacts (docs/operations.md, "Notifications"): checked by the service, with its message; "" clears one
ContactEmail = Annotated[str | None, Field(max_length=254, description="e-mail for notifications")]
ContactPhone = Annotated[str | None, Field(max_length=30, description="phone for SMS notifications")]
ContactWebhook = Annotated[str | None, Field(max_length=200, description="a personal work-chat robot (http(s) URL)")]
ContactTeam = Annotated[str | None, Field(max_length=32, description="the tracing team (team_id) the user works in")]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    role: str = Field(min_length=1, max_length=20)
    jurisdiction: str = Code
    #: the policy (length, common passwords, the username) is checked by the service, with its message
    password: str = Field(min_length=1, max_length=256)
    person_id: str | None = Field(None, min_length=1, max_length=64,
                                  description="role citizen: the one person the account is (required)")
    email: ContactEmail = None
    phone: ContactPhone = None
    webhook: ContactWebhook = None
    team: ContactTeam = None


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: str | None = Field(None, min_length=1, max_length=20)
    jurisdiction: str | None = Field(None, pattern=r"^\d{0,12}$")
    active: bool | None = None
    password: str | None = Field(None, min_length=1, max_length=256)
    email: ContactEmail = None
    phone: ContactPhone = None
    webhook: ContactWebhook = None
    team: ContactTeam = None


class MeRead(BaseModel):
    username: str
    role: str
    jurisdiction: str | None = Field(description="the prefix your queries are cut to; null = the whole deployment")
    permissions: list[str]


class AuditRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    before: dict | None
    after: dict | None


class DeviceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(pattern="^(venue|checkpoint)$")
    venue_id: str | None = Field(None, min_length=1, max_length=64, description="a venue device's venue")
    label: str | None = Field(None, max_length=100)


class DeviceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    device_id: str
    kind: str
    venue_id: str | None
    label: str | None
    created_at: datetime
    created_by: str
    revoked_at: datetime | None


class DeviceIssued(DeviceRead):
    token: str = Field(description="`Authorization: Bearer ...` for the device; shown this once, only a hash is kept")
