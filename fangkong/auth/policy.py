"""Which routes are public and which permission every other route needs (one table, checked per request)."""

from __future__ import annotations

import re

__all__ = ["PUBLIC", "RULES", "SIGNED_IN", "is_public", "named", "permission_for"]

#: any signed-in user, whatever the role (who am I, log out)
SIGNED_IN = "signed-in"

#: (methods, path pattern): no user needed. The citizen's sign-in (a one-time code to the registered phone)
#: and the signed personal check-in links; the machinery: health, docs, static files, the login itself. Scans,
#: codes and two-code checks are not public: a citizen signs in, a device carries its token (docs/security.md).
PUBLIC: list[tuple[str, re.Pattern]] = [(m, re.compile(p)) for m, p in [
    ("POST", r"/api/citizen/(otp|session)"),
    ("GET|POST", r"/citizen/login"),
    ("GET|POST", r"/api/checkin/[^/]+"),
    ("GET|POST", r"/checkin/[^/]+"),
    ("GET", r"/api/health"),
    ("GET", r"/(docs|redoc|openapi\.json|docs/oauth2-redirect)"),
    ("GET", r"/static/.*"),
    ("GET|POST", r"/login"),
    ("GET|POST", r"/logout"),
    ("POST", r"/api/auth/token"),
]]

_R = r"/[^/]+"  # one path segment
#: first match wins; methods "*" = any. A route no rule names needs users:admin (deny by default).
RULES: list[tuple[str, re.Pattern, str]] = [(m, re.compile(p), perm) for m, p, perm in [
    ("GET", r"/api/auth/me", SIGNED_IN),
    # one's own tokens: list, revoke the one used, revoke one by id (an admin: anyone's; the service checks)
    ("GET|DELETE", r"/api/auth/tokens?(/\d+)?", SIGNED_IN),
    ("*", r"/api/(users|devices)(/.*)?", "users:admin"),
    # health codes: a citizen as themselves, a venue's device scanning, a checkpoint or staff checking
    ("GET", r"/api/me/(code|code-token)", "self:code"),
    ("POST", r"/api/me/scans", "self:code"),
    ("POST", r"/api/scans", "scans:device"),
    ("POST", r"/api/two-code-checks", "codes:check"),
    ("GET", rf"/api/persons{_R}/code", "codes:read"),
    ("GET", r"/api/audit", "audit:read"),
    ("GET", r"/api/jobs", "jobs:read"),
    # cases and their investigation
    ("POST", rf"/api/cases{_R}/trace", "trace:run"),
    ("GET", rf"/api/cases{_R}/concealment", "trace:run"),
    ("POST", rf"/api/cases{_R}/(admit|discharge)", "sites:write"),
    ("PATCH", rf"/api/cases{_R}/investigation", "cases:write"),
    ("POST", rf"/api/cases{_R}/rule-out", "cases:write"),
    ("POST", rf"/api/assist/cases{_R}/outbound", "assist:write"),
    ("GET", r"/api/(cases|chains|investigations)(/.*)?", "cases:read"),
    ("POST", r"/api/cases", "cases:write"),
    ("GET", r"/api/risk-persons", "risk:read"),
    ("PATCH", rf"/api/risk-persons{_R}", "risk:write"),
    # measures, check-ins
    ("POST", rf"/api/measures/tests{_R}/result", "testing:write"),
    ("GET", r"/api/(measures|checkins)(/.*)?", "measures:read"),
    ("POST", r"/api/measures/.*", "measures:write"),
    # tasks, teams, verification
    ("GET", r"/api/(tasks|teams|verifications)(/.*)?", "tasks:read"),
    ("POST", rf"/api/verifications{_R}/outcome", "verify:write"),
    ("*", r"/api/teams(/.*)?", "teams:write"),
    # sites, rooms, hospitals
    ("GET", r"/api/(sites|hospitals)(/.*)?", "sites:read"),
    ("*", r"/api/(sites|rooms|hospitals)(/.*)?", "sites:write"),
    # testing
    ("GET", r"/api/testing(/.*)?", "testing:read"),
    ("POST", r"/api/testing(/.*)?", "testing:write"),
    # zones
    ("POST", rf"/api/zones{_R}/(approve|reject|lift)", "zones:approve"),
    ("GET", r"/api/(zones|risk-areas)(/.*)?", "zones:read"),
    ("POST", r"/api/zones(/.*)?", "zones:write"),
    # assistance and other inputs
    ("POST", rf"/api/assist/persons{_R}/outcome", "verify:write"),
    ("GET", r"/api/assist(/.*)?", "assist:read"),
    ("POST", r"/api/assist(/.*)?", "assist:write"),
    ("GET", r"/api/vaccinations/coverage", "bulletin:read"),
    ("POST", r"/api/(arrivals|inbound-arrivals|drug-purchases|fever-reports|vaccinations)", "inputs:write"),
    # people
    ("GET", r"/api/(persons|match-reviews|merges)(/.*)?", "people:read"),
    ("POST", r"/api/(persons|match-reviews|merges)(/.*)?", "people:write"),
    # reports
    ("GET", r"/api/bulletin(/.*)?", "bulletin:read"),
    ("POST", r"/api/bulletin", "bulletin:publish"),
    # pages
    ("GET", r"/me", "self:code"),
    ("GET", r"/(bulletin(\.csv|\.xlsx)?)?", "bulletin:read"),
    ("GET", r"/risk-persons(\.csv|\.xlsx)?", "risk:read"),
    ("GET", r"/cases", "cases:read"),
    ("GET", r"/chains(/data\.json|/evidence\.json)?", "cases:read"),
    ("GET", r"/search", "people:read"),
    ("POST", r"/risk-persons/.*", "risk:write"),
    # the web forms of the day's writes (issue 26): each form's page needs the permission its writes need
    ("GET", r"/entry", SIGNED_IN),
    ("GET|POST", r"/cases/new(/positive)?", "cases:write"),
    ("POST", rf"/cases{_R}/recheck", "cases:write"),
    ("GET|POST", rf"/cases{_R}/rule-out", "cases:write"),
    ("GET|POST", rf"/cases{_R}/investigation(/diff)?", "cases:write"),
    ("GET", rf"/cases{_R}", "cases:read"),
    ("POST", rf"/cases{_R}/risk/.*", "risk:write"),
    ("GET", r"/people/.*", "people:read"),
    ("POST", r"/people/.*", "people:write"),
    ("GET", r"/isolation/(rooms|hospitals|admissions|sites)", "sites:write"),
    ("GET", r"/isolation(/.*)?", "sites:read"),
    ("POST", r"/isolation(/.*)?", "sites:write"),
    ("GET", r"/testing/setup", "testing:write"),
    ("GET", r"/testing(/.*)?", "testing:read"),
    ("POST", r"/testing(/.*)?", "testing:write"),
    ("GET", r"/measures/act", "measures:write"),
    ("POST", rf"/measures{_R}/(escalate|extend|release)", "measures:write"),
    # the map (issue 26): the boundaries are geography, for any signed-in page that draws a map (the case page's
    # isolation readers too); the city map with its zones and venues is the zones' readers'
    ("GET", r"/map/boundaries\.json", SIGNED_IN),
    ("GET", r"/map(/venues\.json|/zones\.json)?", "zones:read"),
    ("GET", r"/zones/new", "zones:write"),
    ("GET", r"/zones(/.*)?", "zones:read"),
    ("POST", r"/zones/[^/]+/(approve|reject|lift)", "zones:approve"),
    ("POST", r"/zones(/.*)?", "zones:write"),
    ("GET|POST", r"/assist/new", "assist:write"),
    ("POST", r"/assist/outbound", "assist:write"),
    ("POST", rf"/assist/requests{_R}/persons{_R}/outcome", "verify:write"),
    ("POST", rf"/assist/requests{_R}(/persons{_R})?/withdraw", "assist:write"),
    ("GET", rf"/assist(/requests{_R})?", "assist:read"),
    ("GET|POST", r"/users(/[^/]+)?", "users:admin"),
    ("GET", r"/verify(/.*)?", "tasks:read"),
    ("GET", r"/jobs", "jobs:read"),
    ("GET", r"/tasks", "tasks:read"),
    ("GET", r"/followup", "measures:read"),
    ("POST", r"/verify(/.*)?", "verify:write"),
]]


def _methods_match(spec: str, method: str) -> bool:
    return spec == "*" or method in spec.split("|") or (method == "HEAD" and "GET" in spec.split("|"))


def is_public(method: str, path: str) -> bool:
    return any(_methods_match(m, method) and p.fullmatch(path) for m, p in PUBLIC)


def named(method: str, path: str) -> bool:
    """Does a rule name this request (else it falls to the deny-by-default users:admin)?"""
    return any(_methods_match(m, method) and p.fullmatch(path) for m, p, _ in RULES)


def permission_for(method: str, path: str) -> str:
    """The permission a (non-public) request needs; users:admin when no rule names the route."""
    for m, p, perm in RULES:
        if _methods_match(m, method) and p.fullmatch(path):
            return perm
    return "users:admin"
