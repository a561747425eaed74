"""Shared page machinery for every domain's web.py: templates, static files, the language switch."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fangkong.db.core import utcnow
from fangkong.db.masking import OTHER_DISTRICT
from fangkong.db.scope import current_principal
from fangkong.kit import pii
from fangkong.kit.i18n import LANGS, label, labels, t
from fangkong.protocol import places
from fangkong.settings import get_settings

__all__ = ["MASKING_FILTERS", "MISSING", "STATIC_DIR", "LangCookie", "clock_today", "error_response", "lang_of", "page_day", "page_now", "past_day", "place_name",
           "response_kind",
           "templates", "minutes_late", "page_numbers", "span", "url_with", "validation_messages", "with_day"]

STATIC_DIR = Path(__file__).parent.parent / "web" / "static"
templates = Jinja2Templates(directory=Path(__file__).parent.parent / "web" / "templates")
templates.env.globals["t"] = t
templates.env.globals["label"] = label
templates.env.globals["labels"] = labels


def _local(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Times are stored in UTC and shown in the deployment's zone."""
    return value.astimezone(get_settings().zone).strftime(fmt) if value else "–"


templates.env.filters["local"] = _local


def _in_lang(text: str | None, lang: str) -> str:
    """A label a deployment wrote in both languages, "中文 (English)" (the hospitals' escalation plan): the part in
    the page's language."""
    text = text or ""
    zh, sep, en = text.partition(" (")
    if not sep or not en.endswith(")"):
        return text
    return en[:-1] if lang == "en" else zh


templates.env.filters["in_lang"] = _in_lang

_UNITS = {"h": "hours_short", "min": "minutes_short", "s": "seconds_short"}


def schedule_text(text: str, lang: str) -> str:
    """A job's schedule (fangkong.protocol.schedule: "every 10 min", "daily 02:00") in the page's language."""
    if lang == "en":
        return text
    if m := re.fullmatch(r"every (\S+) (h|min|s)", text):
        return t("every_n", lang).format(n=m[1], unit=t(_UNITS[m[2]], lang))
    if m := re.fullmatch(r"daily (\d\d:\d\d)", text):
        return t("daily_at", lang).format(at=m[1])
    return text


templates.env.filters["schedule"] = schedule_text
#: what a page shows for a personal datum the records do not hold (no name, no phone): never "None"
MISSING = "–"


def _shown(mask):
    """A masking filter that renders a missing value (None, "") as MISSING."""
    def shown(value: str | None) -> str:
        return mask(value) if value else MISSING
    shown.__name__ = shown.__qualname__ = f"shown_{mask.__name__}"
    return shown


#: the pages' masking filters: masked unless this request unmasked personal data (permission + reason, audited:
#: fangkong.kit.pii); the API keeps null for a missing value (pii's functions)
MASKING_FILTERS = {"mask_name": _shown(pii.name), "mask_phone": _shown(pii.phone), "mask_id": _shown(pii.id_number)}
templates.env.filters.update(MASKING_FILTERS)


def _foreign(value, lang: str):
    """A case or person id masked as another district's (fangkong.db.masking: 外区) in the page's language."""
    return t("other_district", lang) if value == OTHER_DISTRICT else value


templates.env.filters["foreign"] = _foreign
templates.env.globals["OTHER_DISTRICT"] = OTHER_DISTRICT
templates.env.globals["principal"] = current_principal


def place_name(code: str | None, lang: str = "zh") -> str:
    """A jurisdiction code by its name: the deployment's FANGKONG_PLACE_NAMES, the imported place_names table
    (kept in the lake folder), the built-in districts; else spelled from its district (protocol/places.py)."""
    return places.place_name(code, lang, places.names_from(get_settings().lake))


def lang_of(request: Request) -> str:
    """?lang= wins, then the cookie; Chinese by default."""
    lang = request.query_params.get("lang") or request.cookies.get("lang") or "zh"
    return lang if lang in ("zh", "en") else "zh"


class LangCookie:
    """The language switch sticks: a page asked for with ?lang= (the header's 中文 / English link) sets the lang
    cookie, so the pages opened next from the menu (whose links carry no lang) are in the language chosen. A pure
    ASGI middleware: whatever route answers, its HTML (a page or an HTMX fragment) carries the cookie."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"") if scope["type"] == "http" else b""
        lang = (parse_qs(query.decode("latin-1")).get("lang") or [""])[0] if b"lang=" in query else ""
        if lang not in LANGS:
            await self.app(scope, receive, send)
            return
        cookie = f"lang={lang}; Path=/; SameSite=lax".encode()

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if dict(headers).get(b"content-type", b"").startswith(b"text/html"):
                    message = {**message, "headers": [*headers, (b"set-cookie", cookie)]}
            await send(message)

        await self.app(scope, receive, wrapped)


def clock_today() -> date:
    """The office's day by the deployment's clock (FANGKONG_NOW / the drill clock), not the machine's."""
    return utcnow().astimezone(get_settings().zone).date()


def _asked_day(request: Request) -> date | None:
    """?day=, else the day the header's picker chose earlier in this browser session (its `day` cookie, set by
    the picker's script, dropped by "back to today"): a day chosen is kept while moving between pages, whatever
    the link."""
    if request is None:
        return None
    raw = request.query_params.get("day") or request.cookies.get("day")
    try:
        day = date.fromisoformat(raw) if raw else None
    except ValueError:
        return None
    return day if day and 2000 <= day.year <= 2200 else None


def page_day(request: Request) -> date:
    """The day the pages show (the header's date picker): ?day= when given and valid, else the clock's today."""
    return _asked_day(request) or clock_today()


def past_day(request: Request) -> date | None:
    """The day chosen in the header when it is before the clock's today (None: today, or none chosen)."""
    day = _asked_day(request) if request is not None else None
    return day if day is not None and day < clock_today() else None


def page_now(request: Request) -> datetime:
    """The instant a page shows (issue 25: one day control for every page): now, or the end of the day chosen in
    the header when that day is past (what was open, overdue, waiting at its 24:00). A later day is today: no
    page shows what has not happened."""
    day = past_day(request)
    if day is None:
        return utcnow()
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=get_settings().zone).astimezone(UTC)


def with_day(request: Request, href: str) -> str:
    """A menu link that keeps the day chosen in the header (only when one was chosen: the default is the
    clock's today on every page anyway)."""
    day = _asked_day(request)
    if day is None:
        return href
    return f"{href}{'&' if '?' in href else '?'}day={day.isoformat()}"


def url_with(request: Request, **changes) -> str:
    """This page's address with some query parameters changed (None drops one): the language switch keeps
    every filter, the page number and the day."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    params += [(k, str(v)) for k, v in changes.items() if v is not None]
    return request.url.path + ("?" + urlencode(params) if params else "")


def span(minutes: int, lang: str) -> str:
    """A time left or overdue as staff read it: days and hours, hours and minutes, or minutes."""
    m = abs(int(minutes))
    d, h = t("days_short", lang), t("hours_short", lang)
    sep = " " if lang == "en" else ""
    if m >= 1440:   # 1天 / 1 d, 1天3小时 / 1 d 3 h
        return f"{m // 1440}{sep}{d}" + (f"{sep}{m % 1440 // 60}{sep}{h}" if m % 1440 // 60 else "")
    if m >= 60 and m % 60 == 0:
        return f"{m // 60}{sep}{h}"
    if m >= 60:
        return f"{m // 60}{sep}{h}{sep}{m % 60}{sep}{t('minutes_short', lang)}"
    return f"{m}{sep}{t('minutes_short', lang)}"


def minutes_late(due, now) -> int:
    """Minutes past a deadline (negative: minutes left)."""
    return int((now - due).total_seconds() // 60)


def page_numbers(page: int, pages: int, around: int = 2) -> list[int | None]:
    """The page numbers a pager shows: the first, the last and `around` either side of the current one; None
    stands for a gap (…)."""
    shown = sorted({1, pages, *range(max(1, page - around), min(pages, page + around) + 1)})
    out: list[int | None] = []
    for last, n in zip([None, *shown], shown, strict=False):
        if last is not None and n - last > 1:
            out.append(None)
        out.append(n)
    return out


templates.env.globals["page_numbers"] = page_numbers
templates.env.globals["span"] = span
templates.env.globals["place_name"] = place_name
templates.env.globals["minutes_late"] = minutes_late
templates.env.globals["page_day"] = page_day
templates.env.globals["with_day"] = with_day
templates.env.globals["past_day"] = past_day
templates.env.globals["url_with"] = url_with


def response_kind(path: str, headers) -> str:
    """How an error is answered: "json" for /api/ routes and scripts, "fragment" for an HTMX call, "page" for a
    browser. A page route never answers a browser (or HTMX) with JSON."""
    if path.startswith("/api"):
        return "json"
    if headers.get("hx-request"):
        return "fragment"
    return "page" if "text/html" in headers.get("accept", "") else "json"


#: the pydantic error types of the common bad inputs → the translation of their message
_VALIDATION_KEYS = {
    "missing": "val_missing", "int_parsing": "val_number", "int_type": "val_number", "float_parsing": "val_number",
    "float_type": "val_number", "decimal_parsing": "val_number", "int_from_float": "val_number",
    "date_parsing": "val_date", "date_from_datetime_parsing": "val_date", "date_from_datetime_inexact": "val_date",
    "date_type": "val_date", "datetime_parsing": "val_datetime", "datetime_from_date_parsing": "val_datetime",
    "datetime_type": "val_datetime", "string_too_long": "val_too_long", "string_pattern_mismatch": "val_pattern",
    "greater_than": "val_range", "greater_than_equal": "val_range", "less_than": "val_range",
    "less_than_equal": "val_range", "literal_error": "val_choice", "enum": "val_choice",
}


def validation_messages(errors: list[dict], lang: str) -> list[str]:
    """FastAPI's validation errors as sentences in the user's language: the field by its label, the input."""
    out = []
    for e in errors:
        loc = [str(p) for p in e.get("loc", ()) if p not in ("query", "body", "path", "header", "cookie")]
        name = loc[-1] if loc else ""
        label = t(f"field_{name}", lang)
        field = name if label == f"field_{name}" else label
        value = e.get("input")
        shown = value if isinstance(value, str | int | float) else ""
        key = _VALIDATION_KEYS.get(e.get("type", ""), "val_other")
        if key == "val_other" and e.get("type") == "value_error":  # our own validators: their message, translated
            key = "val_date" if name == "day" else key           # when we know it (a planned day is a date)
        out.append(t(key, lang).format(field=field or "?", input=str(shown)[:60]))
    return out


def error_response(request: Request, status: int, message: str = "", *, kind: str | None = None,
                   lines: list[str] | None = None, headers: dict | None = None,
                   key: str | None = None, params: dict | None = None, permission: str = "") -> HTMLResponse:
    """A refusal, a missing page or bad input as a full page in the user's language, or (HTMX) a fragment
    shown in the layout's message area. The technical message (English, from the services) is kept under
    "technical details"; the user reads the translated title and hint. A refusal for want of a `permission`
    names the role and the permission by what they are (the permission's code only as a small hint, for an
    administrator), and has no technical details: the hint says it all."""
    lang = lang_of(request)
    kind = kind or response_kind(request.url.path, request.headers)
    me = current_principal()
    role = getattr(me, "role", "") or ""
    hint_key = f"err_hint_{status}" if t(f"err_hint_{status}", lang) != f"err_hint_{status}" else "err_hint_other"
    if status == 403:
        hint_key = "err_hint_403" if permission and role else "err_hint_403_other"
    if permission and role:
        message = ""
    hint = t(hint_key, lang).format(role=label("role_", role, lang), perm=label("perm_", permission, lang))
    if key:  # the error says what it is in the user's language (FangkongError.key)
        hint = t(key, lang).format(**(params or {}))
    title = t(f"err_title_{status}", lang)
    if title == f"err_title_{status}":
        title = t("err_title_500" if status >= 500 else "err_title_400", lang)
    context = {"request": request, "lang": lang, "status": status, "title": title, "hint": hint,
               "permission": permission if status == 403 else "",
               "lines": lines or [], "message": message if message not in (lines or []) else "",
               "signed_in": bool(role and role != "anonymous")}
    out = dict(headers or {})
    if kind == "fragment":
        # shown in the layout's #flash area, whatever the element that asked (base.html lets it swap)
        out.update({"HX-Retarget": "#flash", "HX-Reswap": "innerHTML", "HX-Error": str(status)})
        body = templates.get_template("error_fragment.html").render(context)
    else:
        body = templates.get_template("error.html").render(context)
    return HTMLResponse(body, status_code=status, headers=out)
