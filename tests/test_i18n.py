"""The translation table: every key once (a repeated key silently replaces the first: the board showed
超时任务 beside a single deadline), and every key in both languages."""

from __future__ import annotations

import ast
from pathlib import Path

from fangkong.kit import i18n


def _table_keys() -> list[str]:
    tree = ast.parse(Path(i18n.__file__).read_text(encoding="utf-8"))
    keys: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict) and len(node.keys) > 50:   # the table, not a small literal
            keys += [k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
    return keys


def test_no_key_is_defined_twice():
    keys = _table_keys()
    assert keys, "the translation table was not found"
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    assert not repeated, f"defined more than once: {repeated}"


def test_a_deadline_and_the_task_filter_say_different_things():
    assert i18n.t("overdue", "zh") == "超时"
    assert i18n.t("overdue_tasks", "zh") == "超时任务"


def test_the_language_chosen_sticks():
    """The header's 中文 / English link asks for the page with ?lang=: whatever page it is, its HTML sets the lang
    cookie, so the menu's next page (no lang in its link) is in the language chosen; data answers set nothing."""
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse, JSONResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from fangkong.kit.webkit import LangCookie

    app = Starlette(routes=[Route("/page", lambda r: HTMLResponse("<p>page</p>")),
                            Route("/data.json", lambda r: JSONResponse({}))])
    client = TestClient(LangCookie(app))
    assert client.get("/page?day=2022-03-05&lang=en").headers.get("set-cookie") == "lang=en; Path=/; SameSite=lax"
    assert client.get("/page?lang=zh").headers.get("set-cookie", "").startswith("lang=zh;")
    for url in ("/page", "/page?lang=fr", "/data.json?lang=en"):
        assert "set-cookie" not in client.get(url).headers, url
