"""The citizen's sign-in page (issue 25), on the public port too (`fangkong serve --public-port`): the registered
mobile number, then the six-digit code sent to it by SMS (fangkong/auth/otp.py, the same codes, limits and audit
as POST /api/citizen/otp and /api/citizen/session); a good code starts a page session (the session cookie, as the
staff's login page does) and opens the citizen's own page, /me. The answer to "send me a code" is the same
whether or not the number is registered."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from fangkong.auth import service as auth_service
from fangkong.codes.citizens import service as citizens
from fangkong.db.core import utcnow
from fangkong.errors import TooManyRequests
from fangkong.kit.deps import SessionDep, SettingsDep
from fangkong.kit.i18n import t
from fangkong.kit.webkit import lang_of, templates

router = APIRouter(include_in_schema=False)
PAGE = "/citizen/login"


def _next(target: str | None) -> str:
    """Only the citizen's own pages: never an open redirect, never a staff page."""
    return target if target and (target == "/me" or target.startswith(("/me?", "/checkin/"))) else "/me"


def _page(request: Request, *, step: str = "phone", phone: str = "", error: str | None = None, note: str | None = None,
          next: str = "/me", status: int = 200, headers: dict | None = None):
    return templates.TemplateResponse(request, "citizen_login.html", {
        "lang": lang_of(request), "step": step, "phone": phone, "error": error, "note": note, "next": _next(next)},
        status_code=status, headers=headers)


@router.get(PAGE, response_class=HTMLResponse)
def sign_in_page(request: Request, next: str | None = None):
    return _page(request, next=next or "/me")


@router.post(PAGE, response_class=HTMLResponse)
def sign_in(request: Request, session: SessionDep, settings: SettingsDep,
            phone: Annotated[str, Form(max_length=32)] = "", code: Annotated[str, Form(max_length=32)] = "",
            step: Annotated[str, Form(pattern="^(send|verify)$")] = "send",
            next: Annotated[str, Form(max_length=500)] = "/me"):
    lang, now = lang_of(request), utcnow()
    phone = phone.strip().replace(" ", "").replace("-", "")
    if not citizens.PHONE.fullmatch(phone):
        return _page(request, phone=phone, error=t("cz_bad_phone", lang), next=next, status=422)
    if step == "send":
        try:
            citizens.request_code(session, phone, secret=settings.secret_key, now=now, lang=lang)
        except TooManyRequests as exc:
            return _page(request, step="code", phone=phone, next=next, status=429,
                         error=t("cz_wait", lang).format(n=exc.retry_after), headers={"Retry-After": exc.retry_after})
        return _page(request, step="code", phone=phone, note=t("cz_sent", lang), next=next)
    code = code.strip()
    if not code.isdigit() or len(code) != 6:
        return _page(request, step="code", phone=phone, error=t("cz_bad_code", lang), next=next, status=422)
    user = citizens.account_for_code(session, phone, code, secret=settings.secret_key, now=now, how="page")
    if user is None:
        # answered, not raised: the request's transaction commits the wrong try it counted
        return _page(request, step="code", phone=phone, error=t("cz_wrong_code", lang), next=next, status=403)
    response = RedirectResponse(_next(next), status_code=303)
    response.set_cookie(auth_service.SESSION_COOKIE, auth_service.start_session(session, user),
                        max_age=auth_service.SESSION_MAX_AGE, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")
    response.set_cookie("lang", lang, samesite="lax")   # /me in the language the citizen signed in with
    return response
