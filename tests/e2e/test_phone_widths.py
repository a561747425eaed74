"""On a phone (390×844) no page is wider than the screen (issue 25): every page, as each role, in Chinese and
English. A table too wide for the phone scrolls inside its own box; the menu folds into a button."""

from __future__ import annotations

from e2e.conftest import SHOTS
from e2e.walk import PHONE, build_world, each

WIDTH = "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"


def test_no_page_is_wider_than_a_phone(browser, server, env, tmp_path):
    w = build_world(env, tmp_path)
    widths = {}

    folded = set()

    def check(v):
        width = v.page.evaluate(WIDTH)
        widths[(v.role, v.lang, v.path)] = width
        name = f"phone-{v.lang}-{v.role}-{v.path.strip('/').replace('/', '_').replace('?', '_')[:30] or 'home'}.png"
        v.page.screenshot(path=str(SHOTS / name), full_page=True)
        out = [f"{width} px wide"] if width > PHONE["width"] else []
        toggle = v.page.locator("#menu-toggle")
        if v.role not in folded and toggle.count():   # the menu folds into a button, and opens from it
            folded.add(v.role)
            if v.page.locator("#menu").is_visible():
                out.append("the menu is not folded")
            toggle.click()
            if not v.page.locator("#menu a").first.is_visible() or toggle.get_attribute("aria-expanded") != "true":
                out.append("the menu button does not open it")
        return out

    SHOTS.mkdir(exist_ok=True)
    problems = each(browser, server, w, check, viewport=PHONE)
    problems += each(browser, server, w, check, viewport=PHONE, lang="en", roles=["admin"])
    print("\n".join(f"{k}: {v}" for k, v in sorted(widths.items(), key=lambda kv: -kv[1])[:5]))
    assert len(widths) > 40 and len(folded) == 8
    assert problems == [], "\n".join(problems)
