"""Identities at the edges for tests: a venue or checkpoint device, a citizen bound to a person, a code token."""

from __future__ import annotations

import re
from datetime import datetime

import httpx
from sqlalchemy import select

from fangkong.auth import service as auth_service
from fangkong.auth.devices import service as devices
from fangkong.codes.tokens import make_token
from fangkong.db.core import utcnow
from fangkong.db.outbox import OutboxMessage
from fangkong.db.scope import acting_as
from fangkong.kit.clikit import unit_of_work
from fangkong.settings import get_settings


def device_token(kind: str = "venue", venue_id: str | None = None) -> str:
    """A new device of that kind (a venue device at `venue_id`) and its bearer token."""
    with unit_of_work(actor="test") as s:
        return devices.issue_device(s, kind=kind, venue_id=venue_id, label="test")[1]


def citizen_token(person_id: str, username: str | None = None) -> str:
    """An account the office made for the citizen `person_id`, and a bearer token of it."""
    with unit_of_work() as s:
        with acting_as(s, "test"):
            user = auth_service.create_user(s, username or f"citizen_{person_id}", role="citizen",
                                            password="citizen-password-1", person_id=person_id)
        return auth_service.issue_token(s, user, label="test")


def code_token(person_id: str, now: datetime | None = None) -> str:
    """The token the person's health code would show (signed with this deployment's secret)."""
    return make_token(person_id, secret=get_settings().secret_key, now=now or utcnow())[0]


def bearer(server: httpx.Client, token: str) -> httpx.Client:
    """A client of the test server that signs in with this token (closed with the server fixture)."""
    client = server.anonymous()
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def sms_code(phone: str) -> str | None:
    """The last sign-in code the outbox holds for the phone (what the SMS gateway would deliver)."""
    with unit_of_work() as s:
        body = s.scalar(select(OutboxMessage.body).where(OutboxMessage.recipient == phone)
                        .order_by(OutboxMessage.id.desc()).limit(1))
    m = re.search(r"\d{6}", body or "")
    return m.group(0) if m else None
