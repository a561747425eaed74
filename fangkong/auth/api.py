"""HTTP routes of the auth domain: bearer tokens, who am I, users (admin), the audit log (admin)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from fangkong.auth import service
from fangkong.auth.schemas import AuditRead, MeRead, TokenIn, TokenOut, UserCreate, UserRead, UserUpdate
from fangkong.deps import CurrentUser, Page, SessionDep, SettingsDep, actor_of
from fangkong.ratelimit import check_login

router = APIRouter(prefix="/api", tags=["auth"])
Username = Annotated[str, Path(min_length=1, max_length=64)]


@router.post("/auth/token", response_model=TokenOut,
             responses={429: {"description": "Too many login attempts (FANGKONG_LOGIN_RATE_LIMIT); see Retry-After"}})
def token(request: Request, session: SessionDep, settings: SettingsDep, body: TokenIn):
    """A bearer token for `Authorization: Bearer ...` (shown once; only its hash is kept)."""
    check_login(settings.login_rate_limit, request.client.host if request.client else "", body.username)
    user = service.authenticate(session, body.username, body.password)
    raw = service.issue_token(session, user, label=body.label, days=body.days)
    return TokenOut(access_token=raw, username=user.username, role=user.role)


@router.get("/auth/me", response_model=MeRead)
def me(user: CurrentUser):
    return MeRead(username=user.username, role=user.role, jurisdiction=user.prefix,
                  permissions=sorted(user.permissions))


@router.get("/users", response_model=list[UserRead])
def list_users(session: SessionDep):
    return service.list_users(session)


@router.post("/users", response_model=UserRead, status_code=201)
def create_user(session: SessionDep, body: UserCreate):
    return service.create_user(session, body.username, role=body.role, password=body.password,
                               jurisdiction=body.jurisdiction, actor=actor_of(session))


@router.patch("/users/{username}", response_model=UserRead)
def update_user(session: SessionDep, username: Username, body: UserUpdate):
    user = service.get_user(session, username)
    return service.update_user(session, user, actor=actor_of(session), role=body.role,
                               jurisdiction=body.jurisdiction, active=body.active, password=body.password)


@router.get("/audit", response_model=list[AuditRead])
def audit_log(session: SessionDep, page: Page, actor: Annotated[str | None, Query(max_length=100)] = None,
              entity: Annotated[str | None, Query(max_length=50)] = None,
              entity_id: Annotated[str | None, Query(max_length=100)] = None,
              action: Annotated[str | None, Query(max_length=100)] = None,
              since: Annotated[datetime | None, Query()] = None):
    """Every write, newest first (who, when, what, before/after); `action` matches a prefix (e.g. `zone.`)."""
    return service.audit_entries(session, actor=actor, entity=entity, entity_id=entity_id, action=action,
                                 since=since, limit=page.limit, offset=page.offset)
