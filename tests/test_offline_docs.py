"""/docs works without the internet (issue 25): Swagger UI's script, style and icon are served by the app."""

from __future__ import annotations

import re

import pytest
from test_api import server  # noqa: F401 - the real-HTTP server fixture


@pytest.fixture
def env(sqlite_env):
    return sqlite_env


def test_docs_reference_only_the_apps_own_assets(server):  # noqa: F811
    anon = server.anonymous()
    r = anon.get("/docs")
    assert r.status_code == 200 and "swagger-ui" in r.text
    assert not re.search(r"https?://", r.text), re.findall(r"https?://[^\s\"']+", r.text)
    assets = re.findall(r"""(?:src|href)=["'](/[^"']+)["']""", r.text)
    assert {"/static/swagger-ui/swagger-ui-bundle.js", "/static/swagger-ui/swagger-ui.css"} <= set(assets)
    for url in assets:
        got = anon.get(url)
        assert got.status_code == 200 and len(got.content) > 100, url
    assert anon.get("/openapi.json").status_code == 200
    assert anon.get("/docs/oauth2-redirect").status_code == 200
    assert anon.get("/redoc").status_code == 404   # not served: it would load from a CDN
