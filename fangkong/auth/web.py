"""The login page (signed session cookie) and logout."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from fangkong.auth import policy, service
from fangkong.db.scope import current_principal
from fangkong.edge import PUBLIC_LISTENER_KEY
from fangkong.errors import Forbidden, TooManyRequests
from fangkong.kit.deps import SessionDep, SettingsDep
from fangkong.kit.i18n import t
from fangkong.kit.ratelimit import check_login
from fangkong.kit.webkit import lang_of, templates

router = APIRouter(include_in_schema=False)

#: the day's entries (fangkong/web/entry.py) are for whoever may make one of the forms' writes (any of these)
ENTRY = "cases:write|testing:write|zones:write|measures:write|sites:write|assist:write|users:admin"
#: the layout's menu (href, label): an entry is shown to whoever holds the permission its page needs
#: (policy.RULES, the one table), or the one named here when the page is for those who act on it
MENU: list[tuple[str, str, str | None]] = [
    ("/", "overview", None), ("/cases", "nav_cases", None), ("/risk-persons", "board", None),
    ("/bulletin", "bulletin", None),
    ("/isolation", "nav_isolation", None), ("/testing", "nav_testing", None), ("/zones", "nav_zones", None),
    ("/map", "nav_map", None), ("/chains", "nav_chains", None),
    ("/tasks", "nav_tasks", None), ("/followup", "nav_followup", None),
    ("/verify", "nav_verify", "verify:write"), ("/people/reviews", "nav_reviews", "people:write"),
    ("/jobs", "nav_jobs", None), ("/entry", "nav_entry", ENTRY), ("/search", "nav_search", None),
    ("/me", "nav_me", None), ("/docs", "api_docs", "users:admin"),
]

#: where each role lands after signing in: its own work (issue 25)
LANDING = {"verifier": "/verify", "lab": "/testing", "isolation": "/isolation", "citizen": "/me",
           "analyst": "/people/reviews"}


def menu() -> list[tuple[str, str]]:
    """The menu entries the signed-in user may open; none for the anonymous."""
    me = current_principal()
    if me is None or me.role == "anonymous":
        return []
    return [(href, key) for href, key, perm in MENU
            if any(me.can(p) for p in (perm or policy.permission_for("GET", href)).split("|"))]


def landing(role: str | None = None) -> str:
    """The signed-in user's own work (the overview for the command roles)."""
    if role is None:
        me = current_principal()
        role = me.role if me else ""
    return LANDING.get(role or "", "/")


def may(method: str, path: str) -> bool:
    """May the signed-in user send this request (the one policy table)? Pages show a button or a form only
    where the role may act on it (issue 25: no approve button the epidemiologist cannot use)."""
    me = current_principal()
    if me is None or me.role == "anonymous":
        return False
    needed = policy.permission_for(method, path)
    return needed == policy.SIGNED_IN or me.can(needed)


templates.env.globals["menu"] = menu
templates.env.globals["may"] = may
templates.env.globals["landing"] = landing
templates.env.globals["login_path"] = lambda request: (
    "/citizen/login" if request.scope.get(PUBLIC_LISTENER_KEY, False) or request.url.path == "/me" else "/login")


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
        check_login(settings.login_rate_limit, request.client.host if request.client else "", username,
                    proven=service.device_proves(request.cookies.get(service.DEVICE_COOKIE), username,
                                                 settings.secret_key),
                    redis_url=settings.redis_url)
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
    target = _safe_next(next)
    response = RedirectResponse(landing(user.role) if target == "/" else target, status_code=303)
    response.set_cookie(service.SESSION_COOKIE, service.start_session(session, user),
                        max_age=service.SESSION_MAX_AGE, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")
    set_device_cookie(request, response, user.username, settings.secret_key)
    return response


def set_device_cookie(request: Request, response: Response, username: str, secret: str) -> None:
    """After a successful sign-in: this client has proven itself on this account (the lock-out spares it)."""
    response.set_cookie(service.DEVICE_COOKIE, service.device_cookie(username, secret),
                        max_age=service.DEVICE_MAX_AGE, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")


@router.api_route("/logout", methods=["GET", "POST"])
def logout(request: Request, session: SessionDep):
    """The session ends on the server at once: the same cookie, replayed, signs nothing in any more."""
    name = service.end_session(session, request.cookies.get(service.SESSION_COOKIE))
    citizen = request.scope.get(PUBLIC_LISTENER_KEY, False) or bool(name) and service.get_user(session, name).role == "citizen"
    response = RedirectResponse("/citizen/login" if citizen else "/login", status_code=303)
    response.delete_cookie(service.SESSION_COOKIE)
    return response
