"""Shared page machinery for every domain's web.py: templates, static files, the language switch."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates

from fangkong import pii
from fangkong.db.scope import current_principal
from fangkong.i18n import t
from fangkong.settings import get_settings

__all__ = ["STATIC_DIR", "lang_of", "templates"]

STATIC_DIR = Path(__file__).parent / "web" / "static"
templates = Jinja2Templates(directory=Path(__file__).parent / "web" / "templates")
templates.env.globals["t"] = t


def _local(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Times are stored in UTC and shown in the deployment's zone."""
    return value.astimezone(get_settings().zone).strftime(fmt) if value else "–"


templates.env.filters["local"] = _local
# masked unless this request unmasked personal data (permission + reason, audited: fangkong.pii)
templates.env.filters["mask_name"] = pii.name
templates.env.filters["mask_phone"] = pii.phone
templates.env.filters["mask_id"] = pii.id_number
templates.env.globals["principal"] = current_principal


def lang_of(request: Request) -> str:
    """?lang= wins, then the cookie; Chinese by default."""
    lang = request.query_params.get("lang") or request.cookies.get("lang") or "zh"
    return lang if lang in ("zh", "en") else "zh"
