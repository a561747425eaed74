"""HTTP routes of the auth domain: bearer tokens, who am I, users (admin), the audit log (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from fangkong.auth import service
from fangkong.auth.schemas import (
    AuditRead,
    MeRead,
    TokenIn,
    TokenOut,
    TokenRead,
    UserCreate,
    UserRead,
    UserUpdate,
)
from fangkong.auth.web import set_device_cookie
from fangkong.errors import InvalidInput
from fangkong.kit.deps import CurrentUser, Page, SessionDep, SettingsDep
from fangkong.kit.ratelimit import check_login
from fangkong.protocol.times import Happened

router = APIRouter(prefix="/api", tags=["auth"])
Username = Annotated[str, Path(min_length=1, max_length=64)]


@router.post("/auth/token", response_model=TokenOut,
             responses={429: {"description": "Too many login attempts (FANGKONG_LOGIN_RATE_LIMIT); see Retry-After"}})
def token(request: Request, response: Response, session: SessionDep, settings: SettingsDep, body: TokenIn):
    """A bearer token for `Authorization: Bearer ...` (shown once; only its hash is kept)."""
    check_login(settings.login_rate_limit, request.client.host if request.client else "", body.username,
                proven=service.device_proves(request.cookies.get(service.DEVICE_COOKIE), body.username,
                                             settings.secret_key),
                redis_url=settings.redis_url)
    user = service.authenticate(session, body.username, body.password)
    raw = service.issue_token(session, user, label=body.label, days=body.days)
    set_device_cookie(request, response, user.username, settings.secret_key)
    return TokenOut(access_token=raw, username=user.username, role=user.role)


@router.get("/auth/tokens", response_model=list[TokenRead])
def my_tokens(session: SessionDep, user: CurrentUser):
    """Your tokens that still work: label, created, expires, last used (never the token: only a hash is kept)."""
    return service.tokens_of(session, user.username)


@router.delete("/auth/token", response_model=TokenRead)
def revoke_this_token(request: Request, session: SessionDep, user: CurrentUser):
    """Revoke the bearer token this request was sent with: it stops working at once (sign out of a script)."""
    auth = request.headers.get("authorization", "")
    token = service.token_used(session, auth[7:].strip()) if auth[:7].lower() == "bearer " else None
    if token is None:
        raise InvalidInput("this request carries no bearer token to revoke (a page session ends at /logout)")
    return service.revoke_token(session, token)


@router.delete("/auth/tokens/{token_id}", response_model=TokenRead)
def revoke_token(session: SessionDep, user: CurrentUser, token_id: Annotated[int, Path(ge=1, le=2**31)]):
    """Revoke one of your tokens by id (GET /api/auth/tokens); an admin may revoke anyone's."""
    owner = None if user.can("users:admin") else user.username
    return service.revoke_token(session, service.get_token(session, token_id, owner=owner))


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
                               jurisdiction=body.jurisdiction, person_id=body.person_id, email=body.email,
                               phone=body.phone, webhook=body.webhook, team=body.team)


@router.patch("/users/{username}", response_model=UserRead)
def update_user(session: SessionDep, username: Username, body: UserUpdate):
    user = service.get_user(session, username)
    return service.update_user(session, user, role=body.role,
                               jurisdiction=body.jurisdiction, active=body.active, password=body.password,
                               email=body.email, phone=body.phone, webhook=body.webhook, team=body.team)


@router.get("/audit", response_model=list[AuditRead])
def audit_log(session: SessionDep, page: Page, actor: Annotated[str | None, Query(max_length=100)] = None,
              entity: Annotated[str | None, Query(max_length=50)] = None,
              entity_id: Annotated[str | None, Query(max_length=100)] = None,
              action: Annotated[str | None, Query(max_length=100)] = None,
              since: Annotated[Happened | None, Query()] = None):
    """Every write, newest first (who, when, what, before/after); `action` matches a prefix (e.g. `zone.`)."""
    return service.audit_entries(session, actor=actor, entity=entity, entity_id=entity_id, action=action,
                                 since=since, limit=page.limit, offset=page.offset)
