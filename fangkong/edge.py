"""The edge guard, the outermost middleware: body size limit, per-client rate limit and in-flight cap on the
public routes, and overload (a full pool, a read over its statement time-out) answered 503 + Retry-After.

Everything here is decided from the request line and headers, on the event loop, before any route or the
auth look-up runs: a flood is refused for the price of a dict look-up, never queued behind staff work.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fangkong.db.core import request_limits
from fangkong.kit.ratelimit import limiter_for, retry_after
from fangkong.settings import get_settings

__all__ = ["PUBLIC_LISTENER_KEY", "EdgeGuard", "PublicListener", "is_edge", "on_public_listener", "overload",
           "public_routes"]

log = logging.getLogger("fangkong.edge")

#: public machinery that is not limited: static files, the health probe, the API docs
_MACHINERY = re.compile(r"/(static/.*|api/health|docs|redoc|openapi\.json|docs/oauth2-redirect)")
#: the citizen- and device-facing routes, limited and bulkheaded although most now need a citizen's or a
#: device's token (fangkong.auth.policy): there are many of those, and a flood comes there first
_EDGE = re.compile(r"/api/(scans|two-code-checks|persons/[^/]+/code|citizen(/.*)?|me(/.*)?|checkin/[^/]+"
                   r"|auth/token)|/checkin/[^/]+|/login|/me|/citizen/login")


#: what the public listener serves (`fangkong serve --public-port`, docs/operations.md): the citizens' and the
#: devices' routes, the sign-ins and token routes they use, the check-in pages and their static files, the
#: health probe. Everything else is staff work, answered 404 there before any other layer runs
_PUBLIC_LISTENER = re.compile(r"/api/(scans|two-code-checks|citizen/(otp|session)|me/(code|code-token|scans)"
                              r"|checkin/[^/]+|auth/(token|me|tokens(/\d+)?)|health)|/checkin/[^/]+|/static/.+"
                              r"|/me|/logout|/citizen/login")  # the citizen's sign-in and own page (code, results,
                                                                 # check-in), and signing out
#: set in the ASGI scope of every request the public listener lets in (the auth middleware reads it)
PUBLIC_LISTENER_KEY = "fangkong.public_listener"


def public_routes(routes) -> list[str]:
    """"METHOD path" of every route of the app (`app.routes`) that the public listener serves: the list
    docs/operations.md gives, read from the app itself (tests/reliability/test_listeners.py checks both)."""
    from fastapi.routing import iter_route_contexts  # only when asked: the edge runs without FastAPI's router

    out = {"GET /static/…"}
    for rc in iter_route_contexts(routes):
        sample = re.sub(r"\{[^}]+\}", "1", rc.path)   # a path parameter stands for any one segment
        if on_public_listener(sample):
            for method in sorted((getattr(rc.original_route, "methods", None) or set()) - {"HEAD"}):
                out.add(f"{method} {rc.path}")
    return sorted(out)


def on_public_listener(path: str) -> bool:
    """The public listener serves this path (any method: the routes themselves answer 405)."""
    return bool(_PUBLIC_LISTENER.fullmatch(path))


class PublicListener:
    """The app as the public listener serves it (`fangkong.api:public_app`): a staff route is answered 404 here,
    before the edge guard, the auth look-up or any route, for the price of one regular expression; what it
    lets in is marked in the scope so that the auth middleware can be stricter (fangkong/auth/middleware.py)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            if scope["type"] != "http" or not on_public_listener(scope["path"]):
                if scope["type"] == "http":
                    await _answer(send, 404, "not found on this address (staff work has an address of its own)",
                                  scope["path"])
                return
            scope[PUBLIC_LISTENER_KEY] = True
        await self.app(scope, receive, send)


def is_edge(method: str, path: str, is_public: Callable[[str, str], bool]) -> bool:
    """A route anyone can reach without a staff sign-in: rate limited and bulkheaded."""
    if _MACHINERY.fullmatch(path):
        return False
    return bool(_EDGE.fullmatch(path)) or is_public(method, path)


class _TooLarge(HTTPException):
    """Raised by the counting `receive`: an HTTPException, so FastAPI's body parsing passes it on (any other
    error there becomes a 400) and the app's handler answers 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body too large: at most {limit} bytes", headers={"Connection": "close"})


class EdgeGuard:
    """`is_public` is fangkong.auth.policy.is_public (passed in: the guard sits below auth in the layers)."""

    def __init__(self, app: ASGIApp, is_public: Callable[[str, str], bool]) -> None:
        self.app, self.is_public = app, is_public
        self.inflight = 0   # public requests being answered now (one event loop: no lock needed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings = get_settings()
        method, path = scope["method"], scope["path"]
        edge = is_edge(method, path, self.is_public)
        limit = settings.max_body if edge else settings.max_body_staff
        length = _content_length(scope)
        if length is not None and length > limit:   # refused before a byte of the body is read
            await _answer(send, 413, f"request body too large: at most {limit} bytes", path)
            return
        if edge:
            limiter = limiter_for(settings.rate_limit, settings.redis_url)
            wait = await limiter.acquire(_client(scope)) if limiter is not None else 0.0
            if wait:
                await _answer(send, 429, "too many requests: slow down (see Retry-After)", path,
                              retry_after(wait))
                return
            if self.inflight >= settings.public_max_inflight:   # refused at once, never queued
                await _answer(send, 503, "busy: too many requests in progress, try again (see Retry-After)",
                              path, "1")
                return
        seen, started = 0, False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:   # a chunked body (no Content-Length) or one longer than it said
                    raise _TooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        timeout = settings.statement_timeout if edge or method in ("GET", "HEAD") else 0.0
        if edge:
            self.inflight += 1
        try:
            with request_limits(public=edge, statement_timeout=timeout):
                await self.app(scope, counted, watched)
        except _TooLarge:
            if started:
                raise
            await _answer(send, 413, f"request body too large: at most {limit} bytes", path)
        except Exception as exc:
            wait = overload(exc)
            if wait is None or started:
                raise
            log.warning("503 on %s %s: %s", method, path, str(exc).splitlines()[0][:200])
            await _answer(send, 503, "busy: the record store is overloaded, try again (see Retry-After)", path,
                          wait)
        finally:
            if edge:
                self.inflight -= 1


def overload(exc: BaseException) -> str | None:
    """Retry-After for an error that means "too busy now", not "broken": no free connection in the pool, or a
    statement cancelled by its time-out (PostgreSQL 57014, SQLite's progress handler), SQLite still locked after its busy_timeout; None
    for any other error."""
    if isinstance(exc, PoolTimeout):
        return "2"
    if isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) == "57014":
        return "5"
    if isinstance(exc, DBAPIError) and "database is locked" in str(exc.orig):   # SQLite past busy_timeout
        return "5"
    if isinstance(exc, DBAPIError) and str(exc.orig) == "interrupted":   # SQLite past the time-out (db.core)
        return "5"
    return None


def _content_length(scope: Scope) -> int | None:
    for k, v in scope["headers"]:
        if k == b"content-length":
            try:
                return int(v)
            except ValueError:
                return None
    return None


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else ""


async def _answer(send: Send, status: int, message: str, path: str, wait: str | None = None) -> None:
    body = json.dumps({"detail": message, "errors": []}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if wait:
        headers.append((b"retry-after", wait.encode()))
    if status == 413:   # the rest of the body is not read: the connection cannot be reused
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
