"""Every permission has a name in both languages (fangkong/kit/i18n.py, `perm_<code>`), and a refusal names the
role and the permission by what they are (issue 25: "403: your role (verifier) may not do this: it needs
sites:read"): as each role, a page it may not open, in Chinese and in English, as a page and as an HTMX fragment,
shows no permission code or role code outside the small code hint meant for an administrator."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from builders.risk import import_people
from test_api import server  # noqa: F401 - the live uvicorn fixture

from fangkong.auth import policy
from fangkong.kit.i18n import t
from fangkong.protocol.roles import PERMISSIONS, ROLES, permissions_of

CJK = re.compile(r"[\u4e00-\u9fff]")
DOC = Path(__file__).parent.parent.parent / "docs" / "security.md"
#: pages a role may lack; each role is refused the first of them its permissions do not open
PAGES = ["/isolation", "/testing", "/zones", "/cases/new", "/people/reviews", "/jobs", "/verify", "/bulletin",
         "/users", "/me"]
PAGE = {"accept": "text/html"}
HTMX = {"accept": "*/*", "hx-request": "true", "hx-current-url": "http://x/"}


def test_every_permission_has_a_name_in_both_languages():
    for code in PERMISSIONS:
        zh, en = t(f"perm_{code}", "zh"), t(f"perm_{code}", "en")
        assert zh != f"perm_{code}" and en != f"perm_{code}", code
        assert CJK.search(zh) and not re.search(r"[A-Za-z]", zh), (code, zh)
        assert en and not CJK.search(en) and ":" not in en, (code, en)
    names = [t(f"perm_{c}", lang) for lang in ("zh", "en") for c in PERMISSIONS]
    assert len(set(names)) == len(names), "two permissions share a name"


def test_the_permissions_named_are_those_the_security_page_lists():
    listed = set(re.findall(r"^\| `([a-z]+:[a-z]+)` \|", DOC.read_text(), re.M))
    assert listed == set(PERMISSIONS)


def test_every_role_has_a_name_in_both_languages():
    for role in ROLES:
        assert t(f"role_{role}", "zh") != f"role_{role}" and CJK.search(t(f"role_{role}", "zh")), role
        assert t(f"role_{role}", "en") != f"role_{role}", role


def _refused_page(role: str) -> tuple[str, str]:
    held = permissions_of(role)
    for path in PAGES:
        needed = policy.permission_for("GET", path)
        if needed != policy.SIGNED_IN and needed not in held:
            return path, needed
    raise AssertionError(f"no page refuses {role}")


def _outside_hint(body: str) -> str:
    """The refusal's text without the code hint (the one place a code may show) and the markup."""
    body = re.sub(r'<(p|span) class="muted perm-code".*?</\1>', "", body, flags=re.S)
    body = re.sub(r"<script.*?</script>|<style.*?</style>", "", body, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_refusal_for_each_role_names_the_permission_not_its_code(server, tmp_path, lang):  # noqa: F811
    import_people(tmp_path / "city", n=2)
    for role in ROLES:
        path, needed = _refused_page(role)
        client = server.client_for(role, person="P00001" if role == "citizen" else None)
        client.cookies.set("lang", lang)
        for headers in (PAGE, HTMX):
            r = client.get(path, headers=headers)
            assert r.status_code == 403, (role, path, r.status_code)
            text = _outside_hint(r.text)
            assert t(f"perm_{needed}", lang) in text, (role, path, text[-600:])
            assert t(f"role_{role}", lang) in text, (role, text[-600:])
            codes = [c for c in PERMISSIONS if c in text]
            assert not codes, (role, path, lang, codes)
            assert f"({role})" not in text or t(f"role_{role}", lang) == role, (role, text[-600:])
            assert f"<code>{needed}</code>" in r.text   # the code, small, for an administrator
            if lang == "zh":
                assert "may not" not in text and "Not allowed" not in text, (role, text[-600:])


def test_unmasking_refused_or_without_a_reason_says_so_in_the_users_language(server):  # noqa: F811
    lab = server.client_for("lab")
    r = lab.get("/testing?unmask=1&reason=checking", headers=PAGE)
    assert r.status_code == 403 and t("perm_pii:unmask", "zh") in _outside_hint(r.text)
    verifier = server.client_for("verifier")
    r = verifier.get("/verify?unmask=1", headers=PAGE)
    assert r.status_code == 422 and t("err_unmask_reason", "zh") in r.text
