"""A citizen signs in as the one person they are: a one-time code to their registered phone, or an account the
office made for them; either way a bearer token bound to that person (role citizen, docs/security.md)."""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from fangkong.auth import otp
from fangkong.auth import service as auth_service
from fangkong.auth.models import User
from fangkong.db.audit import audit
from fangkong.db.scope import acting_as
from fangkong.kit.i18n import t
from fangkong.people.models import Person, PersonPhone
from fangkong.protocol.idnumber import mask_phone

__all__ = ["PHONE", "SESSION_DAYS", "account_for_code", "holder_of", "request_code", "sign_in"]

PHONE = re.compile(r"^1\d{10}$")
#: a citizen's phone stays signed in this long (the health code is opened many times a day)
SESSION_DAYS = 7


def holder_of(session: Session, phone: str, now: datetime) -> Person | None:
    """The one person a phone signs in: its real-name owner now, else the one person giving it as theirs.
    A phone shared by several (a household's landline-like mobile) signs in no one: those need an account."""
    owners = {p.id: p for p in session.scalars(
        select(Person).join(PersonPhone, PersonPhone.person_fk == Person.id).where(
            PersonPhone.phone == phone, PersonPhone.owner.is_(True),
            or_(PersonPhone.valid_from.is_(None), PersonPhone.valid_from <= now),
            or_(PersonPhone.valid_to.is_(None), PersonPhone.valid_to > now)))}
    if owners:
        return next(iter(owners.values())) if len(owners) == 1 else None
    holders = {p.id: p for p in session.scalars(select(Person).where(Person.phone == phone))}
    holders.update((p.id, p) for p in session.scalars(
        select(Person).join(PersonPhone, PersonPhone.person_fk == Person.id)
        .where(PersonPhone.phone == phone, PersonPhone.owner.is_(False))))
    return next(iter(holders.values())) if len(holders) == 1 else None


def request_code(session: Session, phone: str, *, secret: str, now: datetime, lang: str = "zh") -> bool:
    """Send a sign-in code to the phone if it signs in one person (True); the caller answers the same either
    way, so the answer does not tell who has a registered phone."""
    person = holder_of(session, phone, now)
    if person is None:
        return False
    otp.send_code(session, phone, person.id, secret=secret, now=now, message=t("otp_sms", lang))
    audit(session, "citizen", "citizen.code_sent", "person", person.person_id, after={"phone": mask_phone(phone)})
    return True


def _account(session: Session, person: Person) -> User:
    """The person's citizen account: the one the office made, else one made now (no password: codes only)."""
    user = session.scalar(select(User).where(User.person_fk == person.id, User.role == "citizen")
                          .order_by(User.id).limit(1))
    if user is None:
        with acting_as(session, "citizen-sign-in"):
            user = auth_service.create_user(session, f"citizen-{person.person_id}"[:64], role="citizen",
                                            password=secrets.token_urlsafe(32), person_id=person.person_id)
    return user


def account_for_code(session: Session, phone: str, code: str, *, secret: str, now: datetime,
                     how: str = "token") -> User | None:
    """The citizen account when `code` is the phone's live code (the code spent, the sign-in audited with `how`:
    "token" for the API, "page" for the sign-in page's session), else None (the wrong try is counted: the caller
    must commit it even though it refuses)."""
    person_fk = otp.check_code(session, phone, code, secret=secret, now=now)
    if person_fk is None:
        return None
    person = session.get(Person, person_fk)
    if person is None:
        return None
    user = _account(session, person)
    if not user.active:
        return None
    audit(session, user.username, "citizen.sign_in", "person", person.person_id,
          after={"phone": mask_phone(phone), **({"via": how} if how != "token" else {})})
    return user


def sign_in(session: Session, phone: str, code: str, *, secret: str, now: datetime) -> tuple[User, str] | None:
    """The citizen account and a new bearer token when `code` is the phone's live code, else None (the wrong
    try is counted: the caller must commit it even though it refuses)."""
    user = account_for_code(session, phone, code, secret=secret, now=now)
    if user is None:
        return None
    return user, auth_service.issue_token(session, user, label="citizen sign-in code", days=SESSION_DAYS)
