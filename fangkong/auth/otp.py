"""Citizens' one-time sign-in codes: six digits sent to the person's registered phone through the outbox.

Only keyed hashes (HMAC with FANGKONG_SECRET_KEY) of the phone and the code are stored, so the table gives
neither away. A code lives `CODE_TTL`; `MAX_TRIES` wrong tries burn it; a newer code replaces the older;
a phone gets at most one code every `RESEND_AFTER` and `PER_HOUR` an hour: 5 guesses per code and 5 codes an
hour leave a guesser 25 tries in a million an hour. The counts live in the records, not in a process, so
every worker process of the office sees the same.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from fangkong.auth.models import CitizenOtp
from fangkong.db.outbox import enqueue
from fangkong.errors import TooManyRequests

__all__ = ["CODE_TTL", "MAX_TRIES", "PER_HOUR", "RESEND_AFTER", "check_code", "phone_key", "send_code"]

CODE_TTL = timedelta(minutes=5)
MAX_TRIES = 5
RESEND_AFTER = timedelta(seconds=60)
PER_HOUR = 5


def phone_key(phone: str, secret: str) -> str:
    return hmac.new(secret.encode(), b"phone:" + phone.encode(), hashlib.sha256).hexdigest()


def _code_key(otp_phone_key: str, code: str, secret: str) -> str:
    return hmac.new(secret.encode(), f"otp:{otp_phone_key}:{code}".encode(), hashlib.sha256).hexdigest()


def send_code(session: Session, phone: str, person_fk: int, *, secret: str, now: datetime,
              message: str) -> None:
    """A new code for the person holding `phone`, put in the outbox (`message` with `{code}` in it); older
    live codes of the phone are spent. TooManyRequests when the phone asked too recently or too often."""
    key = phone_key(phone, secret)
    recent = session.execute(select(func.count(), func.max(CitizenOtp.created_at)).where(
        CitizenOtp.phone_hash == key, CitizenOtp.created_at > now - timedelta(hours=1))).one()
    count, last = recent
    wait = 0.0
    if last is not None and now - last < RESEND_AFTER:
        wait = (last + RESEND_AFTER - now).total_seconds()
    elif count >= PER_HOUR:
        oldest = session.scalar(select(func.min(CitizenOtp.created_at)).where(
            CitizenOtp.phone_hash == key, CitizenOtp.created_at > now - timedelta(hours=1)))
        wait = (oldest + timedelta(hours=1) - now).total_seconds()
    if wait > 0:
        raise TooManyRequests("a code was sent to this phone a moment ago: wait before asking again",
                              retry_after=str(max(1, math.ceil(wait))))
    session.execute(update(CitizenOtp).where(CitizenOtp.phone_hash == key, CitizenOtp.spent_at.is_(None))
                    .values(spent_at=now))
    code = f"{secrets.randbelow(1_000_000):06d}"
    session.add(CitizenOtp(phone_hash=key, code_hash=_code_key(key, code, secret), person_fk=person_fk,
                           created_at=now, expires_at=now + CODE_TTL, tries=0))
    enqueue(session, "sms", phone, message.format(code=code), now=now)


def check_code(session: Session, phone: str, code: str, *, secret: str, now: datetime) -> int | None:
    """The person the phone's live code was sent for, when `code` is it (the code is then spent); else None,
    and a wrong try counts against the code (counted in the database, so parallel guesses count too)."""
    key = phone_key(phone, secret)
    otp = session.scalar(select(CitizenOtp).where(CitizenOtp.phone_hash == key, CitizenOtp.spent_at.is_(None),
                                                  CitizenOtp.expires_at > now)
                         .order_by(CitizenOtp.id.desc()).limit(1))
    if otp is None:
        return None
    if hmac.compare_digest(otp.code_hash, _code_key(key, code, secret)):
        done = session.execute(update(CitizenOtp).where(CitizenOtp.id == otp.id, CitizenOtp.spent_at.is_(None))
                               .values(spent_at=now))
        return otp.person_fk if done.rowcount == 1 else None   # a parallel request used it first
    session.execute(update(CitizenOtp).where(CitizenOtp.id == otp.id).values(tries=CitizenOtp.tries + 1))
    session.execute(update(CitizenOtp).where(CitizenOtp.id == otp.id, CitizenOtp.tries >= MAX_TRIES,
                                             CitizenOtp.spent_at.is_(None)).values(spent_at=now))
    return None
