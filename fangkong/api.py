"""The FastAPI app: mounts each domain's router, the cross-domain routes and the web pages."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import FastAPI, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

import fangkong.models  # noqa: F401 - the models registry: every table, the jurisdiction rules
from fangkong import __version__, flows
from fangkong.assist.api import router as assist_router
from fangkong.assist.forms_web import router as assist_forms
from fangkong.assist.inputs.api import router as inputs_router
from fangkong.assist.web import router as verify_web
from fangkong.auth import policy
from fangkong.auth.api import router as auth_router
from fangkong.auth.devices.api import router as devices_router
from fangkong.auth.forms_web import router as user_forms
from fangkong.auth.masking import OtherDistrictMask
from fangkong.auth.middleware import AuthMiddleware
from fangkong.auth.web import router as auth_web
from fangkong.cases import service as case_service
from fangkong.cases.api import router as cases_router
from fangkong.cases.web import router as case_forms
from fangkong.codes.api import router as codes_router
from fangkong.codes.citizens.api import router as citizen_router
from fangkong.codes.citizens.web import router as citizen_web
from fangkong.codes.service import install_recolour
from fangkong.codes.web import router as codes_web
from fangkong.contacts.api import router as contacts_router
from fangkong.contacts.chains_web import router as chains_web
from fangkong.contacts.schemas import TraceOut
from fangkong.contacts.teams.api import router as teams_router
from fangkong.contacts.teams.forms_web import router as investigation_forms
from fangkong.contacts.web import router as contacts_web
from fangkong.db.core import utcnow
from fangkong.db.migrate import ensure_current
from fangkong.db.scoping import unscoped
from fangkong.edge import EdgeGuard, PublicListener
from fangkong.errors import Conflict, FangkongError, InvalidInput
from fangkong.jobs.web import router as jobs_web
from fangkong.kit.deps import SessionDep, SettingsDep
from fangkong.kit.webkit import (
    STATIC_DIR,
    LangCookie,
    error_response,
    lang_of,
    response_kind,
    validation_messages,
)
from fangkong.measures.api import router as measures_router
from fangkong.measures.checkins.api import router as checkins_router
from fangkong.measures.checkins.followup_web import router as followup_web
from fangkong.measures.checkins.web import router as checkin_page
from fangkong.measures.forms_web import router as measure_forms
from fangkong.measures.hospitals.api import router as hospitals_router
from fangkong.measures.hospitals.forms_web import router as hospital_forms
from fangkong.measures.hospitals.stays_web import router as stay_forms
from fangkong.measures.results_web import router as results_web
from fangkong.measures.ruleout_web import router as rule_out_forms
from fangkong.measures.sites.api import router as sites_router
from fangkong.measures.sites.forms_web import router as room_forms
from fangkong.measures.sites.manage_web import router as site_forms
from fangkong.measures.sites.web import router as isolation_web
from fangkong.measures.verification.api import router as verification_router
from fangkong.people.web import router as people_router
from fangkong.reports.api import router as reports_router
from fangkong.reports.web import router as reports_web
from fangkong.settings import get_settings, unsafe_secret
from fangkong.tasks.api import router as tasks_router
from fangkong.tasks.web import router as tasks_web
from fangkong.testing.api import router as testing_router
from fangkong.testing.setup_web import router as testing_setup
from fangkong.testing.web import router as testing_web
from fangkong.web import entry, pages
from fangkong.zones.api import router as zones_router
from fangkong.zones.forms_web import router as zone_forms
from fangkong.zones.map_web import router as map_web
from fangkong.zones.web import router as zones_web

# every request's session recolours the codes its status changes touched, before it commits
install_recolour()


@asynccontextmanager
async def lifespan(_app: FastAPI):
    if reason := unsafe_secret(get_settings()):   # however the app is served (fangkong serve checks first)
        raise RuntimeError(reason)
    ensure_current(get_settings().database_url)
    yield


app = FastAPI(title="fangkong 防控", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
              description="Trace every case within hours, manage risk persons, publish the daily bulletin.")
app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
# every request: who is asking (bearer token or session cookie) and may they (fangkong/auth/policy.py)
# inside the auth middleware: a district user's API answers name no other district's case or person ids
app.add_middleware(OtherDistrictMask)
# the language chosen with ?lang= sticks (a cookie) for the pages opened next
app.add_middleware(LangCookie)
app.add_middleware(AuthMiddleware)
# outermost (added last): body limit, rate limit and bulkhead of the public routes, overload → 503, all
# before the auth look-up or any route runs (fangkong/edge.py)
app.add_middleware(EdgeGuard, is_public=policy.is_public)
#: every router, mounted in this order: routes are matched in order, so the venue-scan and code routes come
#: first (every gate calls them); the command-centre pages (issue 7) last
ROUTERS = (
    codes_router, cases_router, contacts_router, measures_router, reports_router, pages.router, case_forms, contacts_web,
    reports_web, zones_router, assist_router, inputs_router, testing_router, teams_router, tasks_router,
    verification_router, sites_router, checkins_router, checkin_page, hospitals_router,
    people_router, auth_router, citizen_router, devices_router, auth_web,
    isolation_web, testing_web, zones_web, verify_web, codes_web, entry.router, results_web, jobs_web,
    zone_forms, measure_forms, rule_out_forms, tasks_web, followup_web, citizen_web, room_forms,
    investigation_forms, assist_forms, user_forms, testing_setup,
    hospital_forms, stay_forms, site_forms,
    map_web, chains_web,
)
for r in ROUTERS:
    app.include_router(r)


@app.post("/api/cases/{case_id}/trace", response_model=TraceOut, tags=["cases"])
def trace_case(session: SessionDep, settings: SettingsDep, case_id: Annotated[str, Path(max_length=20)]):
    """Trace a declared case (FORMATS.md shape); risk persons get measures and their codes are recomputed."""
    case = case_service.get_case(session, case_id)  # in the caller's jurisdiction, or 404
    # contacts are found wherever they live (out-of-area ones become assist requests): logged as read.unscoped
    with unscoped(session, f"trace {case.case_no}"):
        return flows.respond(session, settings, case, now=utcnow()).trace.as_json()


@app.get("/docs", include_in_schema=False)
def swagger_ui():
    """The API docs from the app's own copy of Swagger UI (fangkong/web/static/swagger-ui, swagger-ui-dist
    5.36.0): they work without the internet. No ReDoc (it loads fonts and scripts from elsewhere)."""
    return get_swagger_ui_html(openapi_url=app.openapi_url, title=f"{app.title} · API",
                               swagger_js_url="/static/swagger-ui/swagger-ui-bundle.js",
                               swagger_css_url="/static/swagger-ui/swagger-ui.css",
                               swagger_favicon_url="/static/swagger-ui/favicon-32x32.png",
                               oauth2_redirect_url="/docs/oauth2-redirect",
                               swagger_ui_parameters={"validatorUrl": None})


@app.get("/docs/oauth2-redirect", include_in_schema=False)
def swagger_ui_redirect():
    return get_swagger_ui_oauth2_redirect_html()


@app.get("/api/health", tags=["meta"])
def health() -> dict:
    return {"status": "ok", "version": __version__}


def _wants_html(request: Request) -> bool:
    return response_kind(request.url.path, request.headers) != "json"


@app.exception_handler(FangkongError)
def fangkong_error(request: Request, exc: FangkongError):
    """One handler: JSON for the API, a page for a browser, a fragment for HTMX (fangkong/kit/webkit.py)."""
    headers = {"Retry-After": exc.retry_after} if getattr(exc, "retry_after", None) else None
    if _wants_html(request):
        return error_response(request, exc.status_code, exc.message, headers=headers, key=exc.key,
                              params=exc.params)
    return JSONResponse({"detail": exc.message, "errors": exc.details}, status_code=exc.status_code,
                        headers=headers)


@app.exception_handler(DataError)
def unstorable_value(request: Request, exc: DataError):
    """A value the record store cannot hold (PostgreSQL: a NUL character in a text, a number out of range):
    the input's fault, answered like any other invalid input; the request's transaction was rolled back."""
    reason = str(getattr(exc, "orig", exc)).splitlines()[0][:200]
    return fangkong_error(request, InvalidInput(f"invalid input: a value cannot be stored ({reason})"))


@app.exception_handler(StaleDataError)
def concurrent_edit(request: Request, exc: StaleDataError):
    """Two people saved the same record at once: the version check let one through, this one found the row
    changed under it (optimistic locking, docs/security.md); its transaction was rolled back, nothing mixed."""
    return fangkong_error(request, Conflict("someone else changed this record at the same moment; nothing of "
                                            "yours was saved: reload it and try again"))


def _unique_violation(exc: IntegrityError) -> bool:
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(orig)


@app.exception_handler(IntegrityError)
def duplicate_write(request: Request, exc: IntegrityError):
    """A unique key taken between this request's check and its write (two writes of one record at once):
    409 like the check's own answer. Any other integrity error is a bug and stays a 500."""
    if not _unique_violation(exc):
        raise exc
    return fangkong_error(request, Conflict("this record was written by someone else at the same moment; "
                                            "nothing of yours was saved: reload it and try again"))


@app.exception_handler(RequestValidationError)
def validation_error(request: Request, exc: RequestValidationError):
    """Bad input: JSON for the API; for a page, the fields and what is wrong with them in the user's language."""
    if _wants_html(request):
        return error_response(request, 422, "invalid input", lines=validation_messages(exc.errors(),
                                                                                        lang_of(request)))
    errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
    return JSONResponse({"detail": "invalid input", "errors": errors}, status_code=422)


@app.exception_handler(StarletteHTTPException)
def http_error(request: Request, exc: StarletteHTTPException):
    """A missing page (404), a method a route does not take (405): a page for a browser, JSON for the API."""
    headers = getattr(exc, "headers", None)
    if _wants_html(request):
        return error_response(request, exc.status_code, str(exc.detail), headers=headers)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)


#: the same app as the public listener serves it (`fangkong serve --public-port`): the citizens' and devices'
#: routes only, in a process of its own, so that a flood there cannot slow the staff's (fangkong/edge.py)
public_app = PublicListener(app)
