"""User forms (admin): the users with their role, jurisdiction and state; a new user (auth.service.create_user,
as `fangkong users create`); a user's role, jurisdiction, active flag or password changed (auth.service.update_user,
as `fangkong users update`; both audited, a password never logged). A user's form carries the role, jurisdiction and
state the page showed: a user changed by another admin meanwhile is shown with what changed, not overwritten."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from fangkong.auth import service
from fangkong.auth.models import User
from fangkong.errors import FangkongError, InvalidInput
from fangkong.kit.deps import SessionDep
from fangkong.kit.forms import FormState, parse, refusal_text, render_form
from fangkong.kit.i18n import t
from fangkong.kit.webkit import lang_of, templates
from fangkong.protocol.roles import ROLES

router = APIRouter(include_in_schema=False)
templates.env.globals["role_options"] = lambda roles, lang: [(r, t(f"role_{r}", lang)) for r in roles]
Username = Annotated[str, Path(max_length=64, pattern=r"^[\w.-]+$")]
Text = Annotated[str, Form(max_length=64)]
Secret = Annotated[str, Form(max_length=200)]
_JURISDICTION = r"^\d{0,12}$"


class NewUserForm(BaseModel):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[\w.-]+$")
    role: str = Field(pattern=f"^({'|'.join(ROLES)})$")
    jurisdiction: str = Field("", pattern=_JURISDICTION)
    password: str = Field(min_length=1, max_length=200)
    person_id: str | None = Field(None, max_length=64)


class UserForm(BaseModel):
    role: str = Field(pattern=f"^({'|'.join(ROLES)})$")
    jurisdiction: str = Field("", pattern=_JURISDICTION)
    active: bool = False
    password: str | None = Field(None, max_length=200)
    seen: str = Field(max_length=100)


def seen_of(user: User) -> str:
    return f"{user.role}:{user.jurisdiction or ''}:{int(bool(user.active))}"


def _word(seen: str, lang: str) -> str:
    role, jurisdiction, active = (seen.split(":") + ["", "", ""])[:3]
    return (f"{t('role_' + role, lang)} · {jurisdiction or t('users_whole', lang)} · "
            f"{t('users_active' if active == '1' else 'users_inactive', lang)}")


def _password_error(exc: InvalidInput, lang: str) -> str:
    """The password policy answers "zh / en" (auth.service.check_password): the page's half."""
    zh, _, en = exc.message.partition(" / ")
    return en if lang == "en" and en else zh


def _context(request: Request, session, new: FormState | None = None) -> dict:
    return {"lang": lang_of(request), "users": service.list_users(session), "roles": ROLES,
            "new": new or FormState()}


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, session: SessionDep):
    return templates.TemplateResponse(request, "forms/users.html", _context(request, session))


@router.post("/users/new", response_class=HTMLResponse)
def new_user(request: Request, session: SessionDep, username: Text = "", role: Text = "", jurisdiction: Text = "",
             password: Secret = "", person_id: Text = ""):
    """HTMX: a new user (auth.service.create_user, audited); the password is checked against the policy."""
    lang = lang_of(request)
    form, state = parse(NewUserForm, {"username": username, "role": role, "jurisdiction": jurisdiction,
                                      "password": password, "person_id": person_id}, lang)
    state.values.pop("password", None)   # never sent back to the page
    if form is not None:
        try:
            user = service.create_user(session, form.username, role=form.role, password=form.password,
                                       jurisdiction=form.jurisdiction, person_id=form.person_id)
            state = FormState(done=user.username)
        except FangkongError as exc:
            session.rollback()
            if isinstance(exc, InvalidInput) and (exc.key or "").startswith("password_"):   # the policy's
                state.errors["password"] = _password_error(exc, lang)
            elif "person" in exc.message:
                state.errors["person_id"] = refusal_text(exc, lang)
            else:
                state.errors["username"] = refusal_text(exc, lang)
    return render_form(request, "forms/users_body.html", _context(request, session, state), state=state)


@router.post("/users/{username}", response_class=HTMLResponse)
def set_user(request: Request, session: SessionDep, username: Username, role: Text = "", jurisdiction: Text = "",
             active: Text = "", password: Secret = "", seen: Annotated[str, Form(max_length=100)] = ""):
    """HTMX: a user's role, jurisdiction, active flag or new password (auth.service.update_user, audited)."""
    lang = lang_of(request)
    user = service.get_user(session, username)
    form, state = parse(UserForm, {"role": role, "jurisdiction": jurisdiction, "active": active,
                                   "password": password, "seen": seen}, lang)
    state.values.pop("password", None)
    if form is not None:
        if seen_of(user) != form.seen:
            state.stale = [(username, _word(form.seen, lang), _word(seen_of(user), lang))]
        else:
            try:
                service.update_user(session, user, role=form.role, jurisdiction=form.jurisdiction,
                                    active=form.active, password=form.password or None)
                state = FormState(done=True)
            except FangkongError as exc:
                session.rollback()
                user = service.get_user(session, username)
                if isinstance(exc, InvalidInput) and " / " in exc.message:
                    state.errors["password"] = _password_error(exc, lang)
                else:
                    state.errors["jurisdiction"] = refusal_text(exc, lang)
    return render_form(request, "forms/user_row.html", {"lang": lang, "u": user, "s": state, "roles": ROLES},
                       state=state)


__all__ = ["router", "seen_of"]
