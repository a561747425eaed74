"""The citizen's sign-in page on the public port (issue 25): the registered mobile number, then the six-digit code
sent to it by SMS, in Chinese and in English, on a phone (390 px): no horizontal overflow, no serious accessibility
violation; a wrong code is refused in the page's language; a good one opens the citizen's own page, and signing
out comes back to this page."""

from __future__ import annotations

from builders.identity import sms_code
from builders.zones import zone_city
from clihelp import fk
from e2e.conftest import SHOTS
from e2e.test_axe_pages import RUN
from e2e.test_phone_widths import WIDTH
from e2e.walk import PHONE
from sqlalchemy import select
from test_api import LiveApp

from fangkong.db.audit import AuditEntry
from fangkong.kit.clikit import unit_of_work

PHONE_NO = "13800000003"   # P00003's registered phone


def _checks(pg) -> list[str]:
    out = [f"{w} px wide" for w in [pg.evaluate(WIDTH)] if w > PHONE["width"]]
    pg.add_script_tag(url="/static/axe/axe.min.js")
    return out + pg.evaluate(RUN)


def test_a_citizen_signs_in_on_the_public_port_with_a_code_on_a_phone(browser, env, tmp_path):
    assert fk("import", zone_city(tmp_path / "city")).exit_code == 0
    SHOTS.mkdir(exist_ok=True)
    with LiveApp("fangkong.api:public_app") as public:
        context = browser.new_context(base_url=public, viewport=PHONE)
        context.add_cookies([{"name": "lang", "value": "zh", "url": public}])
        pg = context.new_page()
        errors = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.goto("/me")                                   # not signed in: the citizen's sign-in, not the staff's
        assert "/citizen/login?next=/me" in pg.url, pg.url
        assert pg.locator("h1").inner_text() == "市民登录"
        problems = _checks(pg)
        pg.fill("#cz-phone-input", "12345")             # a bad number: said beside the form, in Chinese
        pg.click("#cz-send")
        assert "请输入11位手机号" in pg.locator("#cz-error").inner_text()
        pg.fill("#cz-phone-input", PHONE_NO)
        pg.click("#cz-send")
        assert pg.locator("#citizen-login").get_attribute("data-step") == "code"
        assert "验证码已通过短信发送" in pg.locator("#cz-note").inner_text()
        assert pg.locator("#cz-phone").inner_text() == "138****0003"     # the number, masked
        problems += _checks(pg)
        pg.screenshot(path=str(SHOTS / "citizen-login-zh-phone.png"), full_page=True)
        code = sms_code(PHONE_NO)
        assert code and code not in pg.content()
        pg.fill("#cz-code-input", f"{(int(code) + 1) % 1_000_000:06d}")   # a wrong code: refused, in Chinese
        pg.click("#cz-sign-in")
        assert "验证码错误或已过期" in pg.locator("#cz-error").inner_text()
        pg.fill("#cz-code-input", code)
        pg.click("#cz-sign-in")
        pg.wait_for_load_state()
        assert pg.url == public + "/me" and pg.locator("#my-code").count() == 1, pg.url
        assert pg.locator("#day-picker").count() == 0    # the office's day control means nothing to a citizen
        problems += _checks(pg)
        pg.click("#logout")                              # signing out comes back to the citizen's sign-in
        pg.wait_for_load_state()
        assert pg.url.startswith(public + "/citizen/login")
        pg.goto("/me")
        assert "/citizen/login" in pg.url                # the session ended

        pg.click("#lang-switch")                         # English, the same steps
        pg.wait_for_load_state()
        assert pg.locator("h1").inner_text() == "Citizen sign-in"
        pg.fill("#cz-phone-input", PHONE_NO)
        pg.click("#cz-send")
        assert "Retry" not in pg.content()
        # a second code within the minute: refused with the wait, in English
        assert "try again in" in pg.locator("#cz-error").inner_text(), pg.locator("main").inner_text()
        problems += _checks(pg)
        pg.screenshot(path=str(SHOTS / "citizen-login-en-phone.png"), full_page=True)
        assert problems == [] and errors == [], problems + errors
        context.close()
    with unit_of_work() as s:
        done = s.scalars(select(AuditEntry).where(AuditEntry.action == "citizen.sign_in")).all()
        assert len(done) == 1 and done[0].after["via"] == "page" and "0003" in done[0].after["phone"]
