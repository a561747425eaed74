"""HTTP routes of device tokens (admin): issue one for a venue's scanner or a checkpoint's reader, list, revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from fangkong.auth.devices import service as devices
from fangkong.auth.schemas import DeviceCreate, DeviceIssued, DeviceRead
from fangkong.kit.deps import SessionDep

router = APIRouter(prefix="/api/devices", tags=["auth"])
DeviceId = Annotated[str, Path(min_length=1, max_length=20)]


@router.post("", response_model=DeviceIssued, status_code=201)
def issue(session: SessionDep, body: DeviceCreate):
    """A new device token, shown once: a venue device records scans at its venue, a checkpoint device runs
    two-code checks. Both learn a pass decision and a colour only."""
    device, raw = devices.issue_device(session, kind=body.kind, venue_id=body.venue_id, label=body.label)
    return DeviceIssued(**DeviceRead.model_validate(device).model_dump(), token=raw)


@router.get("", response_model=list[DeviceRead])
def list_devices(session: SessionDep, revoked: Annotated[bool, Query(description="also revoked ones")] = False):
    return devices.list_devices(session, include_revoked=revoked)


@router.post("/{device_id}/revoke", response_model=DeviceRead)
def revoke(session: SessionDep, device_id: DeviceId):
    """The token stops working at once on this server process, within 30 s on the others."""
    return devices.revoke_device(session, device_id)
