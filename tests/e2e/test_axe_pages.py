"""axe-core (the app's own copy, fangkong/web/static/axe/) on every page as each role (issue 25): no serious or
critical violation (contrast, labels, names, language, landmarks). Here the pages of each role's menu in Chinese on
a phone (the session's one walk); every page the app serves, in English on a desktop too, is checked by
tests/e2e/test_route_walk.py."""

from __future__ import annotations

import hashlib

from e2e.walk import AXE_RUN as RUN  # noqa: F401 - the probe, for other tests
from e2e.walk import axe, walk  # noqa: F401 - the probe and the walk, for other tests

from fangkong.kit.webkit import STATIC_DIR

AXE = STATIC_DIR / "axe" / "axe.min.js"
#: the vendored axe-core, pinned (npm axe-core 4.14.1, MPL-2.0: fangkong/web/static/axe/LICENSE)
AXE_VERSION, AXE_SHA256 = "4.14.1", "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"


def test_axe_is_the_pinned_copy_served_by_the_app(shared):
    import httpx

    assert hashlib.sha256(AXE.read_bytes()).hexdigest() == AXE_SHA256
    assert f"axe v{AXE_VERSION}" in AXE.read_text()[:200]
    assert (AXE.parent / "LICENSE").exists()
    assert httpx.get(shared.base_url + "/static/axe/axe.min.js").status_code == 200


def test_no_serious_accessibility_violation_on_any_page(zh_phone_walk):
    # Chinese on a phone, every page of every role (tables scrolling inside themselves, the folded menu: the
    # session's one walk); English on a desktop: test_route_walk.py, every page once
    problems = [f"{s.role} zh {s.path}: {p}" for s in zh_phone_walk for p in s.axe]
    assert len(zh_phone_walk) > 60
    print(f"\n{len(problems)} serious/critical violations:\n" + "\n".join(problems))
    assert problems == [], "\n".join(problems)
