"""The login page: a wrong password is refused with a message, the right one opens the overview."""

from __future__ import annotations

from e2e.conftest import SHOTS


def test_login_wrong_then_right(browser, server):
    context = browser.new_context(base_url=str(server.base_url), viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    errors = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto("/risk-persons")  # not signed in: sent to the login page, and back after signing in
    assert "/login" in pg.url
    pg.fill("input[name=username]", "admin")
    pg.fill("input[name=password]", "not-the-password")
    pg.click("#login-submit")
    pg.wait_for_selector("#login-error")
    assert "用户名或密码错误" in pg.locator("#login-error").inner_text()
    pg.fill("input[name=password]", "test-password")
    pg.click("#login-submit")
    pg.wait_for_load_state()
    assert pg.url.endswith("/risk-persons")
    assert "系统管理员" in pg.locator("#user").inner_text()  # the role in the page language (username == role here)
    pg.goto("/")
    assert pg.locator("h1").count() > 0
    SHOTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(SHOTS / "after-login.png"), full_page=True)
    pg.click("#logout")
    pg.wait_for_load_state()
    assert "/login" in pg.url
    pg.goto("/")
    assert "/login" in pg.url  # the cookie is gone
    assert errors == []
    context.close()
