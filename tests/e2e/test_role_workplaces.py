"""Each role's workplace in the browser (issue 25): after signing in it lands on its own work and its menu
holds only what it may open; a refusal, a missing page and bad input are pages in the user's language, and
an HTMX call that is refused shows the refusal in the layout's message area."""

from __future__ import annotations

from e2e.conftest import SHOTS, login

ALL = ["/", "/cases", "/risk-persons", "/bulletin", "/isolation", "/testing", "/zones", "/map", "/chains", "/tasks",
       "/followup", "/verify", "/people/reviews", "/jobs", "/entry", "/search", "/me", "/docs"]
COMMAND = ["/", "/cases", "/risk-persons", "/bulletin", "/isolation", "/testing", "/zones", "/map", "/chains", "/tasks",
           "/followup"]
# role → (the menu it sees, where it lands after signing in)
ROLES = {
    "admin": ([h for h in ALL if h != "/me"], "/"),
    "commander": ([*COMMAND, "/jobs", "/entry", "/search"], "/"),
    "epidemiologist": ([*COMMAND, "/entry", "/search"], "/"),
    "analyst": ([*COMMAND, "/people/reviews", "/search"], "/people/reviews"),
    "verifier": (["/", "/risk-persons", "/bulletin", "/tasks", "/followup", "/verify", "/search"], "/verify"),
    "lab": (["/", "/bulletin", "/testing", "/entry", "/search"], "/testing"),
    "isolation": (["/", "/cases", "/bulletin", "/isolation", "/chains", "/tasks", "/followup", "/entry", "/search"],
                  "/isolation"),
    "citizen": (["/me"], "/me"),
}


def _context(browser, server):
    return browser.new_context(base_url=str(server.base_url), viewport={"width": 1280, "height": 900})


def test_each_role_lands_on_its_work_with_its_own_menu(browser, shared):
    """The session's world (tests/e2e/conftest.py `shared`) has a user per role; the citizen's is bound to a
    person under a measure."""
    server = shared
    for role, (menu, landing) in ROLES.items():
        context = _context(browser, server)
        pg = context.new_page()
        errors = []
        pg.on("pageerror", lambda e: errors.append(str(e)))  # noqa: B023
        login(pg, role)
        assert pg.url == str(server.base_url).rstrip("/") + landing, (role, pg.url)
        assert pg.locator("#menu a").evaluate_all("as => as.map(a => a.getAttribute('href'))") == menu, role
        assert pg.locator(".refusal").count() == 0, (role, pg.content()[:500])
        if role == "citizen":  # their own code, and the overview sends them back to it
            assert pg.locator("#my-code").count() == 1
            pg.goto("/")
            assert pg.url.endswith("/me")
        assert errors == [], (role, errors)
        context.close()


def test_refusal_missing_page_and_bad_input_in_the_users_language(browser, shared):
    server = shared   # its verifier works in one community of its world
    context = _context(browser, server)
    pg = context.new_page()
    login(pg, "verifier")
    SHOTS.mkdir(exist_ok=True)

    pg.goto("/isolation")                      # not the verifier's: refused, in Chinese, with their menu
    assert pg.locator("#error").get_attribute("data-status") == "403"
    assert "无权进行此操作" in pg.locator("h1").inner_text()
    assert "社区核查员" in pg.locator("#error-hint").inner_text()
    # the permission by what it lets one do; its code only as the small hint for an administrator
    assert "“查看隔离点与定点医院”权限" in pg.locator("#error-hint").inner_text()
    assert "sites:read" not in pg.locator("#error-hint").inner_text()
    assert pg.locator("#error-perm code").inner_text() == "sites:read"
    assert pg.locator("#menu a[href='/isolation']").count() == 0
    pg.screenshot(path=str(SHOTS / "refusal-403-zh.png"), full_page=True)
    pg.click("#lang-switch")                   # the same refusal in English
    pg.wait_for_load_state()
    assert "Not allowed" in pg.locator("h1").inner_text() and "community verifier" in pg.content()
    assert "the permission to read isolation sites and hospitals" in pg.locator("#error-hint").inner_text()
    pg.screenshot(path=str(SHOTS / "refusal-403-en.png"), full_page=True)
    pg.click("#error-home")                    # back to their own work
    pg.wait_for_load_state()
    assert pg.url.endswith("/verify")
    pg.goto("/?lang=zh")

    pg.goto("/no/such/page")                   # an unknown route is missing, not refused
    assert pg.locator("#error").get_attribute("data-status") == "404"
    assert "页面不存在" in pg.locator("h1").inner_text()
    pg.screenshot(path=str(SHOTS / "missing-404-zh.png"), full_page=True)

    pg.goto("/bulletin?day=garbage")           # bad input: which field, what is wrong, in Chinese
    assert pg.locator("#error").get_attribute("data-status") == "422"
    assert "日期：“garbage”不是有效日期" in pg.locator("#error-lines").inner_text()
    assert "{" not in pg.locator("main").inner_text()

    pg.goto("/verify")                         # an HTMX call refused: shown in the message area, not swallowed
    pg.evaluate("htmx.ajax('GET', '/isolation', {target: '#queue'})")
    pg.wait_for_selector("#flash .refusal")
    assert "无权进行此操作" in pg.locator("#flash").inner_text()
    assert pg.locator("#queue .refusal").count() == 0
    context.close()
