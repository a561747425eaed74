"""Refusals (403), missing pages (404) and bad input (422) as the user meets them (issue 25): a full page in
the user's language for a browser, a fragment for #flash for an HTMX call, JSON for the API; never raw JSON
or an English message on a page, and an unknown route is 404, not 403."""

from __future__ import annotations

import html

import pytest
from test_api import server  # noqa: F401 - the real-HTTP server fixture

from fangkong.auth import policy
from fangkong.auth.web import LANDING, MENU

PAGE = {"accept": "text/html,application/xhtml+xml"}
HTMX = {"accept": "*/*", "hx-request": "true", "hx-current-url": "http://x/verify"}

# status → (a page request that gets it as a verifier, its API twin)
CASES = {
    403: ("/isolation", "/api/sites"),
    404: ("/no-such-page", "/api/no-such-thing"),
    422: ("/bulletin?day=garbage", "/api/bulletin?day=garbage"),
}
TITLES = {403: ("无权进行此操作", "Not allowed"), 404: ("页面不存在", "Page not found"),
          422: ("输入有误", "Invalid input")}


@pytest.fixture
def env(sqlite_env):
    return sqlite_env


@pytest.mark.parametrize("status", sorted(CASES))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_page_answers_in_the_users_language(server, status, lang):  # noqa: F811
    verifier = server.client_for("verifier", "140105")
    page_url, _ = CASES[status]
    sep = "&" if "?" in page_url else "?"
    url = page_url + (f"{sep}lang=en" if lang == "en" else "")
    zh, en = TITLES[status]
    r = verifier.get(url, headers=PAGE)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert "<!doctype html>" in r.text.lower() and 'id="menu"' in r.text   # the whole layout, with the menu
    assert (en if lang == "en" else zh) in r.text
    assert (zh if lang == "en" else en) not in r.text
    assert '"detail"' not in r.text
    if status == 403:  # the role by its name, not its code; the way back to one's own work
        assert ("社区核查员" if lang == "zh" else "community verifier") in r.text
        assert 'href="/verify" id="error-home"' in r.text
    if status == 422:  # what is wrong, in the user's language
        assert ("日期：“garbage”不是有效日期" if lang == "zh" else "day: 'garbage' is not a date") in html.unescape(r.text)


@pytest.mark.parametrize("status", sorted(CASES))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_htmx_call_gets_a_fragment_for_the_flash_area(server, status, lang):  # noqa: F811
    verifier = server.client_for("verifier", "140105")
    page_url, _ = CASES[status]
    verifier.cookies.set("lang", lang)
    r = verifier.get(page_url, headers=HTMX)
    assert r.status_code == status
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["hx-retarget"] == "#flash" and r.headers["hx-error"] == str(status)
    assert "<html" not in r.text and 'class="refusal"' in r.text
    zh, en = TITLES[status]
    assert (en if lang == "en" else zh) in r.text


@pytest.mark.parametrize("status", sorted(CASES))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_api_keeps_json(server, status, lang):  # noqa: F811
    verifier = server.client_for("verifier", "140105")
    _, api_url = CASES[status]
    verifier.cookies.set("lang", lang)
    r = verifier.get(api_url, headers={"accept": "application/json"})
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/json") and r.json()["detail"]
    # a browser that asks an /api/ route still gets JSON
    assert verifier.get(api_url, headers=PAGE).headers["content-type"].startswith("application/json")


def test_an_unknown_route_is_404_for_every_role_and_a_known_one_still_403(server):  # noqa: F811
    for role in ("verifier", "lab", "commander", "analyst"):
        c = server.client_for(role)
        assert c.get("/nowhere/at/all", headers=PAGE).status_code == 404, role
        assert c.get("/api/nowhere").status_code == 404, role
    assert server.client_for("lab").get("/zones", headers=PAGE).status_code == 403
    assert server.client_for("lab").get("/api/users").status_code == 403  # a route only admin may use
    assert server.anonymous().get("/api/nowhere").status_code == 401       # who asks comes first


def test_a_post_form_with_bad_input_is_a_translated_page(server):  # noqa: F811
    r = server.client_for("commander").post("/zones/Z1/approve", headers=PAGE, data={})
    assert r.status_code in (404, 422) and r.headers["content-type"].startswith("text/html")
    assert "页面不存在" in r.text or "输入有误" in r.text


def test_the_menu_is_what_the_role_may_open():
    """Each menu entry's page answers that role (its permission comes from the one policy table)."""
    from fangkong.protocol.roles import ROLE_PERMISSIONS
    for role, perms in ROLE_PERMISSIONS.items():
        shown = [href for href, _, perm in MENU if (perm or policy.permission_for("GET", href)) in perms]
        for href in shown:
            assert policy.permission_for("GET", href) in perms or policy.is_public("GET", href), (role, href)
        assert LANDING.get(role, "/") in shown, role  # one lands on a page of one's menu


def test_an_error_with_a_key_is_shown_in_the_users_language():
    """FangkongError(key=...) : the page shows the translation, the API keeps the English message."""
    from starlette.requests import Request

    from fangkong.errors import InvalidInput
    from fangkong.kit.webkit import error_response

    exc = InvalidInput("give the community code they moved to (to_community)", key="verify_need_to_community")
    for lang, want in (("zh", "迁入社区编码"), ("en", "give the community code they moved to")):
        request = Request({"type": "http", "method": "POST", "path": "/verify/1", "query_string": f"lang={lang}".encode(),
                           "headers": [(b"accept", b"text/html")]})
        body = error_response(request, exc.status_code, exc.message, key=exc.key, params=exc.params).body.decode()
        assert want in body and "输入有误" in body if lang == "zh" else want in body
