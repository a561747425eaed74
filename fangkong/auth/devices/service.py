"""Device tokens: a venue's scanner or a checkpoint's reader signs in with a bearer token bound to its post.

An admin issues a token (shown once; only its SHA-256 is stored), lists and revokes them. A device is not a
user: its principal is `device:<id>` with the permissions of its kind (protocol/roles.DEVICE_PERMISSIONS) and,
for a venue device, the venue its scans are recorded at.

Every scan carries a device token, so resolving one must not cost a database read: principals are kept in a
per-process cache keyed by the token's hash for `CACHE_TTL`. A revocation takes effect at once in the process
that made it (the entry is dropped when the revocation commits) and within `CACHE_TTL` in the others.
"""

from __future__ import annotations

import hashlib
import time
from datetime import datetime

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from fangkong.auth import credentials
from fangkong.auth.models import Device, DeviceKind
from fangkong.db.audit import audit
from fangkong.db.core import Base, session_scope, utcnow
from fangkong.db.scope import Principal, acting
from fangkong.errors import Conflict, InvalidInput, NotFound
from fangkong.protocol.roles import DEVICE_PERMISSIONS

__all__ = ["CACHE_TTL", "PREFIX", "cached_principal", "get_device", "is_device_token", "issue_device",
           "list_devices", "principal_for_device", "revoke_device"]

#: device tokens look different from users' (fk_…): the auth middleware sends them to the cache below
PREFIX = "fkd_"
#: how long another process may still accept a token revoked elsewhere: as short as users' tokens' bound (a
#: stolen scanner is revoked at once everywhere, within 2 s); a busy venue device costs one look-up per 2 s
CACHE_TTL = 2.0
_MAX_ENTRIES = 100_000
#: token hash → (principal, monotonic time it was read)
_cache: dict[str, tuple[Principal, float]] = {}
#: hashes of tokens revoked by this process: a read racing the revocation's commit must not cache them again
_revoked: set[str] = set()
_REVOKED_KEY = "fangkong.revoked_devices"


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def is_device_token(raw: str) -> bool:
    return raw.startswith(PREFIX)


def _principal(device: Device) -> Principal:
    return Principal(username=f"device:{device.device_id}", role=f"device:{device.kind}", prefix=None,
                     permissions=DEVICE_PERMISSIONS[device.kind], venue_id=device.venue_id)


def _public(device: Device) -> dict:
    return {"device_id": device.device_id, "kind": device.kind, "venue_id": device.venue_id,
            "label": device.label}


def issue_device(session: Session, *, kind: str, venue_id: str | None, label: str | None,
                 now: datetime | None = None) -> tuple[Device, str]:
    """A new device and its token (returned once). A venue device names its venue; a checkpoint none."""
    actor = acting(session)
    try:
        kind = DeviceKind(kind)
    except ValueError:
        raise InvalidInput(f"unknown device kind {kind!r}; one of {', '.join(DeviceKind)}") from None
    venue_fk = None
    if kind is DeviceKind.VENUE:
        if not venue_id:
            raise InvalidInput("a venue device needs its venue (--venue)")
        venue = Base.metadata.tables["venue"]   # the people domain sits above auth: its table, not its model
        venue_fk = session.scalar(select(venue.c.id).where(venue.c.venue_id == venue_id))
        if venue_fk is None:
            raise NotFound(f"unknown venue {venue_id!r}")
    elif venue_id:
        raise InvalidInput("a checkpoint device is bound to no venue")
    raw = credentials.mint(PREFIX)
    number = (session.scalar(select(func.max(Device.id))) or 0) + 1
    device = Device(device_id=f"D{number:06d}", kind=kind, venue_fk=venue_fk, label=label, token_hash=_hash(raw),
                    created_at=now or utcnow(), created_by=actor)
    session.add(device)
    session.flush()
    audit(session, actor, "device.issue", "device", device.device_id, after=_public(device))
    return device, raw


def get_device(session: Session, device_id: str) -> Device:
    device = session.scalar(select(Device).where(Device.device_id == device_id))
    if device is None:
        raise NotFound(f"unknown device {device_id!r}")
    return device


def list_devices(session: Session, *, include_revoked: bool = False) -> list[Device]:
    q = select(Device).order_by(Device.id)
    if not include_revoked:
        q = q.where(Device.revoked_at.is_(None))
    return list(session.scalars(q))


def revoke_device(session: Session, device_id: str, *, now: datetime | None = None) -> Device:
    """The device's token stops working: at once in this process once committed, elsewhere within CACHE_TTL."""
    actor = acting(session)
    device = get_device(session, device_id)
    if device.revoked_at is not None:
        raise Conflict(f"device {device_id} was revoked at {device.revoked_at.isoformat()}")
    device.revoked_at, device.revoked_by = now or utcnow(), actor
    audit(session, actor, "device.revoke", "device", device.device_id, before=_public(device))
    _cache.pop(device.token_hash, None)
    session.info.setdefault(_REVOKED_KEY, set()).add(device.token_hash)
    return device


@event.listens_for(Session, "after_commit")
def _forget_revoked(session: Session) -> None:
    # dropped again at commit: a request that read the device between the revocation and its commit cached it
    for token_hash in session.info.pop(_REVOKED_KEY, ()):
        _revoked.add(token_hash)
        _cache.pop(token_hash, None)


@event.listens_for(Session, "after_rollback")
def _keep_unrevoked(session: Session) -> None:
    session.info.pop(_REVOKED_KEY, None)


def cached_principal(raw: str) -> Principal | None:
    """The device's principal from this process's cache (no I/O: callable on the event loop), or None."""
    hit = _cache.get(_hash(raw))
    if hit is None or time.monotonic() - hit[1] > CACHE_TTL:
        return None
    return hit[0]


def principal_for_device(raw: str, session: Session | None = None) -> Principal | None:
    """The principal of a live device token (read from the records and cached), or None."""
    token_hash = _hash(raw)
    read_at = time.monotonic()   # before the read: a revocation committed meanwhile is not hidden for longer
    if session is None:
        with session_scope() as own:
            return principal_for_device(raw, own)
    device = session.scalar(select(Device).where(Device.token_hash == token_hash))
    if device is None or device.revoked_at is not None or token_hash in _revoked:
        _cache.pop(token_hash, None)
        return None
    principal = _principal(device)
    if len(_cache) >= _MAX_ENTRIES:
        _cache.clear()
    _cache[token_hash] = (principal, read_at)
    return principal
