"""The login page (signed session cookie) and logout."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from fangkong.auth import service
from fangkong.deps import SessionDep, SettingsDep
from fangkong.errors import Forbidden, TooManyRequests
from fangkong.ratelimit import check_login
from fangkong.i18n import t
from fangkong.webkit import lang_of, templates

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    # only a path on this site: never an open redirect to another host
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None):
    return templates.TemplateResponse(request, "login.html", {"lang": lang_of(request), "next": _safe_next(next),
                                                              "error": None})


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, session: SessionDep, settings: SettingsDep,
          username: Annotated[str, Form(max_length=64)], password: Annotated[str, Form(max_length=256)],
          next: Annotated[str, Form(max_length=500)] = "/"):
    lang = lang_of(request)
    try:
        check_login(settings.login_rate_limit, request.client.host if request.client else "", username)
    except TooManyRequests as exc:
        return templates.TemplateResponse(request, "login.html", {"lang": lang, "next": _safe_next(next),
                                                                  "error": t("too_many_logins", lang),
                                                                  "username": username}, status_code=429,
                                          headers={"Retry-After": exc.retry_after})
    try:
        user = service.authenticate(session, username, password)
    except Forbidden:
        return templates.TemplateResponse(request, "login.html", {"lang": lang, "next": _safe_next(next),
                                                                  "error": t("wrong_login", lang),
                                                                  "username": username}, status_code=401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(service.SESSION_COOKIE, service.session_cookie(user, settings.secret_key),
                        max_age=service.SESSION_MAX_AGE, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")
    return response


@router.api_route("/logout", methods=["GET", "POST"])
def logout():
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(service.SESSION_COOKIE)
    return response
