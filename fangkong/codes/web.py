"""The citizen's own page (/me): their health code's colour now, why, and when it next changes (issue 25:
a citizen lands here after signing in, not on a refusal)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from fangkong.codes import scans
from fangkong.codes.cache import code_book
from fangkong.db.core import utcnow
from fangkong.db.scope import current_principal
from fangkong.errors import Forbidden
from fangkong.kit.webkit import lang_of, templates
from fangkong.settings import get_settings

router = APIRouter(include_in_schema=False)


@router.get("/me", response_class=HTMLResponse)
async def my_page(request: Request):
    principal = current_principal()
    if principal is None or not principal.person_id:
        raise Forbidden("this account is bound to no person")
    settings = get_settings()
    v = (await scans.code_of(code_book(settings.database_url, settings.edition, settings.tz), principal.person_id,
                             utcnow())).code
    return templates.TemplateResponse(request, "me.html", {"lang": lang_of(request), "code": v})
