"""The day's entries (issue 26): the forms the signed-in user's role may fill in, one link each."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from fangkong.auth.web import may
from fangkong.kit.webkit import lang_of, templates

router = APIRouter(include_in_schema=False)

#: (the form's page, its title, the write that decides who sees it)
FORMS: list[tuple[str, str, tuple[str, str]]] = [
    ("/cases/new", "cases_new_title", ("POST", "/cases/new")),
    ("/testing/results", "results_title", ("POST", "/testing/results/1")),
    ("/zones/new", "zone_new_title", ("POST", "/zones/new")),
    ("/measures/act", "measures_title", ("POST", "/measures/1/extend")),
    ("/zones?status=proposed", "zone_act_title", ("POST", "/zones/1/approve")),
    ("/cases", "inv_title", ("POST", "/cases/C000001/investigation")),
    ("/assist/new", "assist_new_title", ("POST", "/assist/new")),
    ("/assist", "assist_title", ("POST", "/assist/requests/A1/persons/1/outcome")),
    ("/testing/setup", "setup_title", ("POST", "/testing/setup/round")),
    ("/isolation/hospitals", "hospf_title", ("POST", "/isolation/hospitals/new")),
    ("/users", "users_title", ("POST", "/users/new")),
    ("/isolation/rooms", "rooms_title", ("POST", "/isolation/rooms/assign-all")),
    ("/isolation/admissions", "adm_title", ("POST", "/isolation/admissions/C000001/admit")),
    ("/isolation/sites", "sitef_title", ("POST", "/isolation/sites/new")),
]


def forms() -> list[tuple[str, str]]:
    return [(href, key) for href, key, (method, path) in FORMS if may(method, path)]


@router.get("/entry", response_class=HTMLResponse)
def entry_page(request: Request):
    return templates.TemplateResponse(request, "forms/entry.html", {"lang": lang_of(request), "forms": forms()})
