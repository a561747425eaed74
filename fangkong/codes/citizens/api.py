"""HTTP routes of the citizen: sign in with a one-time code to the registered phone, then see and scan as
oneself only (/api/me/...). A citizen's token is bound to one person; nothing here takes a person id."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from fangkong.codes import scans
from fangkong.codes.cache import code_book
from fangkong.codes.citizens import service as citizens
from fangkong.codes.schemas import (
    CitizenCodeIn,
    CitizenPhoneIn,
    CitizenTokenOut,
    CodeRead,
    CodeTokenRead,
    MyScanIn,
    ScanRead,
)
from fangkong.codes.tokens import make_token
from fangkong.db.core import utcnow
from fangkong.db.scope import current_principal
from fangkong.errors import Forbidden
from fangkong.kit.deps import LangDep, SessionDep, SettingsDep
from fangkong.lake.append import visit_log
from fangkong.protocol.edition import load_edition
from fangkong.settings import get_settings

router = APIRouter(tags=["citizen"])

_SENT = {"detail": "if this phone is registered to you, a code is on its way: it is valid for 5 minutes"}


@router.post("/api/citizen/otp", status_code=202, responses={
    202: {"description": "the same answer whether or not the phone is registered"},
    429: {"description": "a code was sent to this phone less than a minute ago, or 5 in the last hour"}})
def send_code(session: SessionDep, settings: SettingsDep, body: CitizenPhoneIn, lang: LangDep = "zh"):
    """A six-digit sign-in code, sent by SMS to the phone if it is registered to one person. The answer never
    carries the code, and says the same for a phone nobody registered."""
    citizens.request_code(session, body.phone, secret=settings.secret_key, now=utcnow(), lang=lang)
    return _SENT


@router.post("/api/citizen/session", response_model=CitizenTokenOut, responses={
    403: {"description": "wrong, expired or used code (five wrong tries burn a code)"}})
def sign_in(session: SessionDep, settings: SettingsDep, body: CitizenCodeIn):
    """A bearer token for the person the phone is registered to (role citizen, 7 days)."""
    done = citizens.sign_in(session, body.phone, body.code, secret=settings.secret_key, now=utcnow())
    if done is None:
        # answered, not raised: the request's transaction must commit the wrong try it counted
        return JSONResponse({"detail": "wrong or expired code: ask for a new one", "errors": []}, status_code=403)
    user, raw = done
    return CitizenTokenOut(access_token=raw, person_id=user.person_id)


def _me() -> str:
    """The person the signed-in citizen is (read from the principal, not a dependency: no thread hop)."""
    principal = current_principal()
    if principal is None or not principal.person_id:
        raise Forbidden("this account is bound to no person")
    return principal.person_id


@router.get("/api/me/code", response_model=CodeRead)
async def my_code():
    """Your colour now, why, and when it next changes."""
    settings = get_settings()
    v = (await scans.code_of(code_book(settings.database_url, settings.edition, settings.tz), _me(),
                             utcnow())).code
    return CodeRead(person_id=v.person_id, colour=v.colour, reasons=v.reasons, changes_at=v.changes_at,
                    computed_at=v.computed_at)


@router.get("/api/me/code-token", response_model=CodeTokenRead)
async def my_code_token():
    """What your health code shows: a signed token valid for 3 minutes (ask again to refresh), and your colour.
    A venue's or checkpoint's device reads it; it does not show your person id."""
    settings = get_settings()
    now = utcnow()
    person_id = _me()
    v = (await scans.code_of(code_book(settings.database_url, settings.edition, settings.tz), person_id, now)).code
    token, expires = make_token(person_id, secret=settings.secret_key, now=now)
    return CodeTokenRead(token=token, expires_at=expires, colour=v.colour)


@router.post("/api/me/scans", response_model=ScanRead, status_code=201)
async def my_scan(body: MyScanIn):
    """You scanned a venue's code: logged as you, at this venue, now; answered with your colour, whether you may
    enter and why."""
    settings = get_settings()
    a = await scans.record_scan(code_book(settings.database_url, settings.edition, settings.tz),
                                visit_log(settings.lake, settings.tz), person_id=_me(), venue_id=body.venue_id,
                                at=None, now=utcnow(), edition=load_edition(settings.edition), tz=settings.zone)
    return ScanRead(person_id=a.person_id, venue_id=a.venue_id, at=a.at, colour=a.colour,
                    entry_allowed=a.entry_allowed, reasons=a.reasons)
