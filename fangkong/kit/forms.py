"""Web forms: a form's fields checked by a pydantic model, each error beside its field in the user's language,
and the version the form was loaded with compared to the record's (optimistic locking, shown, not overwritten)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ValidationError

from fangkong.errors import FangkongError
from fangkong.kit.i18n import t
from fangkong.kit.webkit import templates, validation_messages
from fangkong.settings import get_settings

__all__ = ["FormState", "local", "parse", "refusal_text", "render_form", "zoned"]


@dataclass
class FormState:
    """What a form template shows: the values typed (kept on an error), the errors by field, the outcome."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    #: the record changed since the form was loaded: [(what, seen, now)] shown instead of overwriting it
    stale: list[tuple[str, str, str]] = field(default_factory=list)
    #: a refusal of the service (its translated hint, or its message)
    refusal: str = ""
    done: Any = None

    @property
    def ok(self) -> bool:
        return not (self.errors or self.stale or self.refusal)

    @property
    def status(self) -> int:
        return 409 if self.stale else 422 if self.errors or self.refusal else 200


def _message(err: dict, lang: str) -> str:
    if err.get("type") == "value_error" and "implausible" in str(err.get("msg", "")):
        name = str(err["loc"][-1]) if err.get("loc") else ""
        label = t(f"field_{name}", lang)
        return t("val_when", lang).format(field=label if label != f"field_{name}" else name,
                                          input=str(err.get("input", ""))[:60])
    return validation_messages([err], lang)[0]


def parse(model: type[BaseModel], data: Mapping[str, Any], lang: str) -> tuple[BaseModel | None, FormState]:
    """The form's fields (an empty field is a missing one) as `model`, or the errors by field name."""
    values = {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
    state = FormState(values=values)
    try:
        return model.model_validate({k: v for k, v in values.items() if v not in ("", None)}), state
    except ValidationError as exc:
        for err in exc.errors():
            name = str(err["loc"][0]) if err.get("loc") else ""
            state.errors.setdefault(name, _message(err, lang))
        return None, state


def zoned(value: datetime | None, zone) -> datetime | None:
    """A time typed in a form (datetime-local, no offset) is in the deployment's zone."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=zone)


def local(value: datetime | None, fmt: str = "%m-%d %H:%M") -> str:
    return value.astimezone(get_settings().zone).strftime(fmt) if value else "–"


def refusal_text(exc: FangkongError, lang: str) -> str:
    """A service's refusal in the user's language: its own translated text where it has one, else the kind of
    refusal (translated) and the service's message."""
    if exc.key:
        return t(exc.key, lang).format(**exc.params)
    # a refusal of the action itself (a conflict with the record's state) is not someone else's change
    title = {409: t("form_refused", lang), 404: t("form_not_found", lang)}.get(
        exc.status_code, t(f"err_title_{exc.status_code}", lang))
    if lang == "en":
        return f"{title}: {exc.message}"
    # a refusal with no text of its own (tests/test_refusal_keys.py keeps those a page reaches keyed): not the
    # service's English sentence on a Chinese page, but what kind of refusal it was
    return f"{title}：{t('err_hint_other', lang)}"


def render_form(request: Request, name: str, context: dict, state: FormState | None = None) -> HTMLResponse:
    """A form's fragment, with the status of its state (200, 409 stale, 422 errors); HX-Error lets base.html swap
    it in place although it is an error answer."""
    state = state or next((v for v in context.values() if isinstance(v, FormState)), FormState())
    headers = {} if state.status == 200 else {"HX-Error": str(state.status)}
    return templates.TemplateResponse(request, name, context, status_code=state.status, headers=headers)
