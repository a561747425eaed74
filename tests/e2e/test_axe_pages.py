"""axe-core (the app's own copy, fangkong/web/static/axe/) on every page as each role, in Chinese and English
(issue 25): no serious or critical violation (contrast, labels, names, language, landmarks)."""

from __future__ import annotations

import hashlib

from e2e.walk import PHONE, build_world, each

from fangkong.kit.webkit import STATIC_DIR

AXE = STATIC_DIR / "axe" / "axe.min.js"
#: the vendored axe-core, pinned (npm axe-core 4.14.1, MPL-2.0: fangkong/web/static/axe/LICENSE)
AXE_VERSION, AXE_SHA256 = "4.14.1", "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"

RUN = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
    .map(v => v.id + ' (' + v.impact + ', ' + v.nodes.length + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
}"""


def test_axe_is_the_pinned_copy_served_by_the_app(server):
    assert hashlib.sha256(AXE.read_bytes()).hexdigest() == AXE_SHA256
    assert f"axe v{AXE_VERSION}" in AXE.read_text()[:200]
    assert (AXE.parent / "LICENSE").exists()
    assert server.get("/static/axe/axe.min.js").status_code == 200


def axe_check(v) -> list[str]:
    v.page.add_script_tag(url="/static/axe/axe.min.js")
    return v.page.evaluate(RUN)


def test_no_serious_accessibility_violation_on_any_page(browser, server, env, tmp_path):
    w = build_world(env, tmp_path)
    # Chinese on a phone (tables scrolling inside themselves, the folded menu), English on a desktop
    problems = each(browser, server, w, axe_check, lang="zh", viewport=PHONE)
    problems += each(browser, server, w, axe_check, lang="en")
    print(f"\n{len(problems)} serious/critical violations:\n" + "\n".join(problems))
    assert problems == [], "\n".join(problems)
