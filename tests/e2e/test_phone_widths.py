"""On a phone (390×844) no page is wider than the screen (issue 25): every page of each role's menu, in Chinese
(the session's one walk, tests/e2e/conftest.py; every page the app serves, in English too and at 1440×900:
tests/e2e/test_route_walk.py). A table too wide for the phone scrolls inside its own box; the menu folds into a
button."""

from __future__ import annotations

from e2e.walk import PHONE, WIDTH  # noqa: F401 - WIDTH: the probe, for other tests


def test_no_page_is_wider_than_a_phone(zh_phone_walk):
    seen = zh_phone_walk
    widths = {(s.role, s.lang, s.path): s.width for s in seen}
    folded = {s.role for s in zh_phone_walk if s.menu is not None}
    problems = [f"{s.role} {s.lang} {s.path}: {s.width} px wide" for s in seen if s.width > PHONE["width"]]
    problems += [f"{s.role} {s.lang} {s.path}: {m}" for s in seen for m in (s.menu or [])]
    print("\n".join(f"{k}: {v}" for k, v in sorted(widths.items(), key=lambda kv: -kv[1])[:5]))
    assert len(widths) > 40 and len(folded) == 8
    assert problems == [], "\n".join(problems)
