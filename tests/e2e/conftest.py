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



def signed_in(browser, server, role: str, width: int = 1280, made: set[str] | None = None):  # noqa: F811
    """(context, page) of a user of this role (created first, unless `made` already holds the role: a module's
    one store keeps its users), signed in through the login page; page errors are kept in `page.errors`."""
    from test_api import make_user

    if made is None or role not in made:
        make_user(role, role)
        if made is not None:
            made.add(role)
    context = browser.new_context(base_url=str(server.base_url), viewport={"width": width, "height": 900})
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    login(pg, role)
    return context, pg

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


class Shared:
    """The world every page walk reads (walk.build_world: the demo's outbreak day at 1 200 persons, sites, zones,
    a testing round, a user per role), built once a run and served by one server in a process of its own
    (tests/e2e/serve_world.py). Tests read it only: each makes no change another could see."""

    def __init__(self, world, base_url: str, db_url: str) -> None:
        self.world, self.base_url, self.db_url = world, base_url, db_url
        self._clients: list = []
        self._engine = None

    def client_for(self, role: str):
        """An HTTP client signed in as the world's user of this role (a bearer token)."""
        from liveclient import live_client

        self._clients.append(live_client(self.base_url, headers={"Authorization": f"Bearer {self.world.tokens[role]}"}))
        return self._clients[-1]

    def session(self):
        """A session on the world's store (reads: the audit, a task), apart from the test's own settings."""
        from sqlalchemy import create_engine
        from sqlalchemy.orm import Session

        self._engine = self._engine or create_engine(self.db_url)
        return Session(self._engine)

    def close(self) -> None:
        for c in self._clients:
            c.close()
        if self._engine is not None:
            self._engine.dispose()


@pytest.fixture(scope="session")
def shared(tmp_path_factory, sqlite_template):
    import os
    import subprocess
    import sys
    import time

    import httpx
    from e2e.walk import build_world
    from liveclient import SERVER_KEEP_ALIVE
    from test_api import make_user

    from fangkong.db.core import get_engine
    from fangkong.settings import get_settings

    root = tmp_path_factory.mktemp("shared-world")
    db = root / "fangkong.db"
    shutil.copy(sqlite_template, db)
    env = {"FANGKONG_DATABASE_URL": f"sqlite:///{db}", "FANGKONG_LAKE": str(root / "lake")}
    with pytest.MonkeyPatch.context() as mp:   # the world is built in this process, on its own store
        for k, v in env.items():
            mp.setenv(k, v)
        get_settings.cache_clear()
        get_engine.cache_clear()
        try:
            admin = make_user("admin", "admin")
            world = build_world(get_settings(), root)
            world.tokens["admin"] = admin
        finally:
            get_engine().dispose()
            get_engine.cache_clear()
            get_settings.cache_clear()
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    log = open(root / "server.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, str(Path(__file__).parent / "serve_world.py"), str(port),
                             str(SERVER_KEEP_ALIVE)], env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(base_url + "/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None:
                pytest.fail(f"the shared world's server exited: {(root / 'server.log').read_text()[-2000:]}")
            time.sleep(0.1)
        s = Shared(world, base_url, env["FANGKONG_DATABASE_URL"])
        yield s
        s.close()
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="session")
def zh_phone_walk(browser, shared):
    """Each page of each role (and the anonymous pages) opened once in Chinese at 390×844, every check made on it
    (width, screenshot, English words, axe, the menu's fold): the phone-width, accessibility and language tests
    each read their part."""
    from e2e.walk import PHONE, walk_and_look

    SHOTS.mkdir(exist_ok=True)
    return walk_and_look(browser, shared, shared.world, SHOTS, lang="zh", viewport=PHONE)
