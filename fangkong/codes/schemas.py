"""API shapes of health codes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from fangkong.codes.models import CodeColour

__all__ = ["CitizenCodeIn", "CitizenPhoneIn", "CitizenTokenOut", "CodeRead", "CodeReason", "CodeTokenRead",
           "DeviceScanIn", "DeviceScanRead", "MyScanIn", "ScanRead", "TwoCodeIn", "TwoCodePass", "TwoCodeRead"]

_TOKEN = "the token the person's health code shows (QR, GET /api/me/code-token); valid for 3 minutes"


class CodeReason(BaseModel):
    label: str
    until: str | None


class CodeRead(BaseModel):
    person_id: str
    colour: CodeColour
    reasons: list[CodeReason]
    changes_at: datetime | None
    computed_at: datetime


class DeviceScanIn(BaseModel):
    """A venue's device scans a person's health code: who is read from the code token, never from an id."""

    model_config = ConfigDict(extra="forbid")

    code_token: str = Field(min_length=8, max_length=200, description=_TOKEN)
    venue_id: str | None = Field(None, min_length=1, max_length=64,
                                 description="optional: must be the device's own venue")
    at: datetime | None = Field(None, description="scan time (default now), within 5 minutes of now; without "
                                                  "offset: the deployment's zone")


class DeviceScanRead(BaseModel):
    """What the venue learns: whether to let the person in and the colour, nothing about why."""

    venue_id: str
    at: datetime
    colour: CodeColour
    entry_allowed: bool


class MyScanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    venue_id: str = Field(min_length=1, max_length=64, description="the venue code scanned")


class ScanRead(BaseModel):
    person_id: str
    venue_id: str
    at: datetime
    colour: CodeColour
    entry_allowed: bool
    reasons: list[str]


class TwoCodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code_token: str | None = Field(None, min_length=8, max_length=200, description=_TOKEN)
    person_id: str | None = Field(None, min_length=1, max_length=64,
                                  description="staff with codes:read only; a checkpoint sends the code token")
    at: datetime | None = Field(None, description="check time (default now; a checkpoint: within 5 minutes of "
                                                  "now)")

    @model_validator(mode="after")
    def _one_person(self) -> TwoCodeIn:
        if (self.code_token is None) == (self.person_id is None):
            raise ValueError("give the person's code_token (or, as staff, a person_id), not both")
        return self


class TwoCodePass(BaseModel):
    """What a checkpoint learns (GB/T 38962 data minimisation): the decision and the colour."""

    at: datetime
    passed: bool
    colour: CodeColour


class TwoCodeRead(BaseModel):
    person_id: str
    at: datetime
    passed: bool
    colour: CodeColour
    reasons: list[str] = Field(description="why it failed: code:<colour>, risk_city:<city>, no_travel_card, "
                                           "no_negative_test_48h")
    code_reasons: list[str]
    travel_card: list[dict]
    negative_test_at: datetime | None


class CodeTokenRead(BaseModel):
    token: str = Field(description="show it as the QR of the health code; a device reads it")
    expires_at: datetime
    colour: CodeColour


class CitizenPhoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str = Field(pattern=r"^1\d{10}$", description="the mobile registered for you")


class CitizenCodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str = Field(pattern=r"^1\d{10}$")
    code: str = Field(pattern=r"^\d{6}$", description="the six digits sent to the phone")


class CitizenTokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    person_id: str
