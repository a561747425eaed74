"""Browser tests: a small outbreak served by uvicorn, driven by Playwright in Debian's Chromium."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from builders.outbreak import outbreak as cached_outbreak
from playwright.sync_api import sync_playwright
from test_api import server  # noqa: F401 - the real-HTTP server fixture

SHOTS = Path(__file__).parent / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def outbreak(sqlite_env, tmp_path):
    return cached_outbreak(sqlite_env, tmp_path)


@pytest.fixture
def env(sqlite_env):
    """The server fixture asks for `env`: browser tests run on SQLite only."""
    return sqlite_env


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("browser tests need Debian's chromium (make test installs it: apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        yield b
        b.close()


def login(pg, username: str = "admin", password: str = "test-password") -> None:
    """Sign in through the login page (the server fixture's admin); the session cookie does the rest."""
    pg.goto("/login")
    pg.fill("input[name=username]", username)
    pg.fill("input[name=password]", password)
    pg.click("#login-submit")
    pg.wait_for_load_state()


@pytest.fixture
def page(browser, server):  # noqa: F811
    SHOTS.mkdir(exist_ok=True)
    context = browser.new_context(base_url=str(server.base_url), viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.errors = []
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    login(pg)
    yield pg
    context.close()
