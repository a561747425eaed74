"""Who is asking, for every request: bearer token or session cookie → principal, then the route's permission.

A pure ASGI middleware, so the principal (a context variable) is seen by everything downstream: the session
dependency binds it to the request's session (jurisdiction scope, audit actor), the serialisers mask personal
data with it. Public routes skip the look-up entirely (the venue-scan hot path stays as fast as before).
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, quote, urlsplit

import anyio.to_thread
from starlette.requests import Request
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from fangkong.auth import credentials, policy, service
from fangkong.auth.devices import service as devices
from fangkong.auth.web import landing
from fangkong.db.audit import audit
from fangkong.db.core import session_scope
from fangkong.db.scope import ANONYMOUS, Principal, reset_principal, set_principal
from fangkong.edge import PUBLIC_LISTENER_KEY
from fangkong.kit.webkit import error_response, response_kind

__all__ = ["AuthMiddleware"]


def _credential(headers: dict[str, str]) -> tuple[str, str] | None:
    """The credential the request carries: ("bearer", token) or ("cookie", session), or None (nothing to
    look up). A bearer token wins over a cookie."""
    auth = headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return "bearer", auth[7:].strip()
    cookie = _cookie(headers.get("cookie", ""), service.SESSION_COOKIE)
    return ("cookie", cookie) if cookie else None


def _refused_at_once(raw: str, public_listener: bool) -> bool:
    """A credential refused on the event loop, without a thread or the records (auth/credentials.py): a
    forged signature, one looked up and refused lately, or (on the public listener) one with no signature."""
    verdict = credentials.signature(raw)
    if verdict == credentials.FORGED or verdict == credentials.UNSIGNED and public_listener:
        return True
    return credentials.known_bad(raw)


def _resolve(kind: str, raw: str) -> Principal | None:
    """The principal of a credential that passed the quick checks (a read of the records, on a worker
    thread); a refused one is remembered (auth/credentials.py)."""
    with session_scope() as session:
        if kind == "bearer" and devices.is_device_token(raw):
            principal = devices.principal_for_device(raw, session)
        elif kind == "bearer":
            principal = service.principal_for_token(session, raw)
        else:
            principal = service.principal_for_cookie(session, raw)
        # one the records never held stays unknown (new ones are random); a revoked or expired one is not
        # remembered (a drill's clock may be set back)
        if principal is None and not service.credential_exists(session, kind, raw):
            credentials.remember_bad(raw)
    return principal


def _cached(headers: dict[str, str]) -> Principal | None:
    """A bearer token's principal from the process's cache: a device's (auth/devices/service.py) or a user's
    (service.TOKEN_CACHE_TTL), or None to read it from the records."""
    auth = headers.get("authorization", "")
    if auth[:7].lower() != "bearer ":
        return None
    raw = auth[7:].strip()
    return devices.cached_principal(raw) if devices.is_device_token(raw) else service.cached_token_principal(raw)


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def _audit_unmask(principal: Principal, method: str, path: str, reason: str) -> None:
    with session_scope() as session:
        audit(session, principal.username, "pii.unmask", "request", f"{method} {path}"[:100],
              after={"reason": reason, "role": principal.role})


_SAFE = ("GET", "HEAD", "OPTIONS")


def _same_origin(headers: dict[str, str]) -> bool:
    """The browser's Origin (else Referer) names this site's host, or the request carries neither (not a
    browser). Behind a reverse proxy, the proxy passes the Host header through (docs/security.md)."""
    source = headers.get("origin") or headers.get("referer")
    if not source or source == "null" and "origin" not in headers:
        return True
    if source == "null":  # an opaque origin (a sandboxed frame, a file): never this site
        return False
    return urlsplit(source).netloc.lower() == headers.get("host", "").lower()


class AuthMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        if policy.is_public(method, path):
            token = set_principal(ANONYMOUS)
            try:
                await self.app(scope, receive, send)
            finally:
                reset_principal(token)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        # a device scanning at a gate, a script's burst of reads: from the process's cache, without a
        # worker-thread hop or a look-up (auth/devices/service.py, service.cached_token_principal)
        cached = _cached(headers)
        found = _credential(headers)
        if cached:
            principal, credential = cached, "bearer"
        elif found is None or _refused_at_once(found[1], scope.get(PUBLIC_LISTENER_KEY, False)):
            principal, credential = None, ""   # nothing, or nothing good: a 401 without a look-up
        else:
            principal, credential = await anyio.to_thread.run_sync(_resolve, *found), found[0]
        kind = response_kind(path, headers)
        page = kind != "json"
        if principal is None:
            # a citizen's page (and anything on the public port) signs in with the phone, staff with a password
            login = "/citizen/login" if scope.get(PUBLIC_LISTENER_KEY, False) or path == "/me" else "/login"
            if kind == "fragment":  # an HTMX call after the session ended: the whole page goes to the login
                target = headers.get("hx-current-url") or "/"
                await _send(send, 401, b"", "text/plain", [(b"hx-redirect", f"{login}?next={quote(urlsplit(target).path or '/')}".encode())])
            elif page and method in ("GET", "HEAD"):
                target = path + ("?" + scope["query_string"].decode() if scope["query_string"] else "")
                await _send(send, 303, b"", "text/plain", [(b"location", f"{login}?next={quote(target)}".encode())])
            else:
                await _deny(send, 401, "sign in first: a bearer token (POST /api/auth/token) or the login page",
                            page, [(b"www-authenticate", b"Bearer")], scope=scope)
            return
        if method not in _SAFE and credential == "cookie" and not _same_origin(headers):
            # a page's form or HTMX call signed in by cookie, sent from another site (CSRF): SameSite=Lax
            # already keeps the cookie off most such requests; the Origin check closes the rest. Decided by
            # the credential that signed the request in, not by the headers present: a junk Authorization
            # header next to the cookie must not switch the check off
            await _deny(send, 403, "this request came from another site (Origin does not match Host)", page,
                        scope=scope, principal=principal)
            return
        needed = policy.permission_for(method, path)
        if needed != policy.SIGNED_IN and not principal.can(needed):
            if not policy.named(method, path) and not _routed(scope):
                pass  # no such page: the app answers 404 (a refusal would say it exists)
            elif path == "/" and kind == "page" and method in ("GET", "HEAD"):
                # the overview is not this role's: its own work instead (a citizen's code)
                await _send(send, 303, b"", "text/plain", [(b"location", landing(principal.role).encode())])
                return
            else:
                await _deny(send, 403, f"your role ({principal.role}) may not do this: it needs {needed}", page,
                            scope=scope, principal=principal, permission=needed)
                return
        query = parse_qs(scope["query_string"].decode("latin-1"))
        if query.get("unmask", [""])[0].lower() in ("1", "true", "yes"):
            reason = (query.get("reason", [""])[0]).strip()
            if not principal.can("pii:unmask"):
                await _deny(send, 403, f"your role ({principal.role}) may not unmask personal data", page,
                            scope=scope, principal=principal, permission="pii:unmask")
                return
            if len(reason) < 4:
                await _deny(send, 422, "unmasking needs a reason (?reason=..., audited)", page, scope=scope,
                            principal=principal, key="err_unmask_reason")
                return
            await anyio.to_thread.run_sync(_audit_unmask, principal, method, path, reason[:300])
            principal = principal.unmasked()
        token = set_principal(principal)
        try:
            await self.app(scope, receive, send)
        finally:
            reset_principal(token)


def _routed(scope: Scope) -> bool:
    """Does the app have a route for this path (any method)? Asked only of a request no policy rule names."""
    app = scope.get("app")
    routes = getattr(getattr(app, "router", None), "routes", ())
    return any(r.matches(scope)[0] != Match.NONE for r in routes)


async def _deny(send: Send, status: int, message: str, page: bool, extra: list | None = None, *,
                scope: Scope | None = None, principal: Principal | None = None, permission: str = "",
                key: str | None = None) -> None:
    if page and scope is not None:
        # the refusal as a page (or an HTMX fragment) in the user's language, with the user's own menu
        token = set_principal(principal) if principal else None
        try:
            response = error_response(Request(scope), status, message, permission=permission, key=key)
        finally:
            if token is not None:
                reset_principal(token)
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers.items()
                   if k not in ("content-length", "content-type")]
        await _send(send, status, response.body, "text/html; charset=utf-8", [*headers, *(extra or [])])
    elif page:
        body = (f"<!doctype html><meta charset=utf-8><title>{status}</title><p>{status}: {message}</p>"
                f"<p><a href=\"/login\">login</a></p>").encode()
        await _send(send, status, body, "text/html; charset=utf-8", extra)
    else:
        await _send(send, status, json.dumps({"detail": message, "errors": []}).encode(), "application/json",
                    extra)


async def _send(send: Send, status: int, body: bytes, ctype: str, extra: list | None = None) -> None:
    headers = [(b"content-type", ctype.encode()), (b"content-length", str(len(body)).encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
