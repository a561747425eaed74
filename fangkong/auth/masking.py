"""Every answer to a district user has another district's case and person ids masked (fangkong.db.masking).

A pure ASGI middleware inside the auth middleware (it needs the principal): a JSON answer to a user with a
jurisdiction is parsed, masked and sent again; a page (text/html, the HTMX fragments too) has the case numbers
and person ids it names checked the same way, whatever template drew them (verification, testing, isolation,
assistance pages: no template can forget it). Rows are cut by the data layer already; this masks
the ids that visible rows name (a risk person's case, an edge's source case, an assistance row's person), so no
route can forget it. The whole deployment (admin) and public routes pass untouched.
"""

from __future__ import annotations

import json

import anyio.to_thread
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fangkong.db.core import session_scope
from fangkong.db.masking import mask_other_districts, mask_page
from fangkong.db.scope import Principal, bind, current_principal
from fangkong.kit.i18n import t
from fangkong.kit.webkit import lang_of

__all__ = ["OtherDistrictMask"]


def _masked(body: bytes, principal: Principal) -> bytes:
    try:
        payload = json.loads(body)
    except ValueError:
        return body
    with session_scope() as session:
        mask_other_districts(bind(session, principal), payload)
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def _masked_page(body: bytes, principal: Principal, lang: str = "zh") -> bytes:
    try:
        page = body.decode("utf-8")
    except UnicodeDecodeError:
        return body
    with session_scope() as session:   # 外区 / "other district": in the page's language
        return mask_page(bind(session, principal), page, t("other_district", lang)).encode("utf-8")


class OtherDistrictMask:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        principal = current_principal()
        if scope["type"] != "http" or principal is None or not principal.prefix:
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []
        mask = _masked

        async def wrapped(message: Message) -> None:
            nonlocal start, mask
            if message["type"] == "http.response.start":
                ctype = dict(message.get("headers", [])).get(b"content-type", b"")
                if ctype.startswith(b"application/json"):
                    start = message
                    return
                if ctype.startswith(b"text/html"):   # a page or an HTMX fragment: the ids it names
                    lang = lang_of(HTTPConnection(scope))
                    start, mask = message, lambda body, p: _masked_page(body, p, lang)
                    return
                await send(message)
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = await anyio.to_thread.run_sync(mask, b"".join(chunks), principal)
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, wrapped)
