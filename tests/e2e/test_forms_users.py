"""The user forms (issue 26) in Chromium, as the administrator: a new user refused beside its fields (no role, a
short password, in Chinese), then created (checked in the register and the audit; the password never sent back);
a user's role changed and disabled; a user changed by another administrator meanwhile is shown (409), not
overwritten; the name "new" (the form's own address) refused; the page fits a phone; another role may not open it. No outbreak: users need none."""

from __future__ import annotations

from e2e.conftest import SHOTS, login
from sqlalchemy import select
from test_api import make_user

from fangkong.auth import service
from fangkong.db.audit import AuditEntry
from fangkong.kit.clikit import unit_of_work


def _post(pg, click: str) -> None:
    with pg.expect_response(lambda r: r.request.method == "POST"):
        pg.click(click)


def test_create_change_and_a_stale_user(page, browser, server):
    pg = page
    make_user("verifier7", "verifier", jurisdiction="140105")
    pg.goto("/entry")
    pg.click("#entry-forms a[href='/users']")
    pg.fill("#new-user-username", "lab2")
    pg.fill("#new-user-password", "short")
    _post(pg, "#new-user-submit")
    assert pg.locator("#new-user-role-err").inner_text() == "缺少必填项：角色"
    pg.select_option("#new-user-role", "lab")
    pg.fill("#new-user-password", "short")
    _post(pg, "#new-user-submit")
    assert pg.locator("#new-user-password-err").inner_text() == "密码至少需要 10 个字符"
    assert pg.locator("#new-user-password").input_value() == ""      # a password is never sent back
    # a user named "new" would be shadowed by the form's own address, /users/new: refused beside the name
    pg.fill("#new-user-username", "New")
    pg.fill("#new-user-password", "Sampling-Station-7")
    _post(pg, "#new-user-submit")
    assert pg.locator("#new-user-username-err").inner_text() == "用户名“New”为系统保留（它是一个页面的地址），请换一个"
    with unit_of_work() as s:
        assert [u.username for u in service.list_users(s) if u.username.lower() == "new"] == []
    pg.fill("#new-user-username", "lab2")
    pg.fill("#new-user-password", "Sampling-Station-7")
    _post(pg, "#new-user-submit")
    pg.wait_for_selector("#new-user-done")
    with unit_of_work() as s:
        user = service.get_user(s, "lab2")
        assert (user.role, user.active) == ("lab", True)
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "user.create", AuditEntry.entity_id == "lab2"))
        assert entry.actor == "admin" and "Sampling" not in str(entry.after)
    pg.select_option("#u-lab2-role", "isolation")
    pg.uncheck("#u-lab2-active")
    _post(pg, "#user-lab2 button.save")
    pg.wait_for_selector("#user-lab2-done")
    with unit_of_work() as s:
        user = service.get_user(s, "lab2")
        assert (user.role, user.active) == ("isolation", False)
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "user.update",
                                                 AuditEntry.entity_id == "lab2")).actor == "admin"
    SHOTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(SHOTS / "form-users-zh.png"), full_page=True)
    # another administrator moves the verifier to another district while the page is open
    with unit_of_work(actor="admin2") as s:
        service.update_user(s, service.get_user(s, "verifier7"), jurisdiction="140106")
    pg.select_option("#u-verifier7-role", "epidemiologist")
    _post(pg, "#user-verifier7 button.save")
    stale = pg.locator("#user-verifier7 .stale")
    assert "140105" in stale.inner_text() and "140106" in stale.inner_text()
    with unit_of_work() as s:
        user = service.get_user(s, "verifier7")
        assert (user.role, user.jurisdiction) == ("verifier", "140106")
    assert [e for e in pg.errors if "Failed to load resource" not in e] == []   # 422 and 409 are the answers
    pg.set_viewport_size({"width": 390, "height": 844})
    pg.goto("/users?lang=en")
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390
    ctx = browser.new_context(base_url=str(server.base_url))
    other = ctx.new_page()
    login(other, "verifier7")
    assert other.request.get("/users").status == 403
    assert other.request.post("/users/lab2", form={"role": "admin", "seen": "x"},
                              headers={"HX-Request": "true"}).status == 403
    ctx.close()
