"""Test set-up: a test that needs records runs on SQLite, and also on PostgreSQL where the store matters.

The `env` fixture gives settings pointing at a clean store and an empty lake. A test (or a module, with
`pytestmark = pytest.mark.both_stores`) marked `both_stores` runs once per store; any other runs on SQLite;
`@pytest.mark.parametrize("env", ["postgres"], indirect=True)` picks stores by hand. `--all-stores` runs every
test on both. Every PostgreSQL run is marked `postgres` (`-m "not postgres"` leaves them out). The directories
tests/e2e and tests/reliability mark their tests `e2e` and `reliability`. docs/testing.md explains the lanes.
Each store is migrated once per run (and per xdist worker)."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from fangkong.codes.service import install_recolour
from fangkong.db.core import get_engine
from fangkong.db.migrate import upgrade
from fangkong.models import Base
from fangkong.settings import get_settings

# the servers the tests start refuse the demo secret (fangkong.settings.unsafe_secret): a test deployment's own
os.environ.setdefault("FANGKONG_SECRET_KEY", "test-only-secret-" + "0123456789abcdef" * 2)
# the public pool's 0.5 s wait is for a flood; the permission matrix's six overlapping probes on a loaded CI
# machine once got a 503 from it (the tests of the bulkhead itself set their own bounds)
os.environ.setdefault("FANGKONG_PUBLIC_POOL_TIMEOUT", "10")

# services called straight from a test recolour codes on commit, as under the API and the CLI
install_recolour()

PG_ADMIN_URL = os.environ.get("FANGKONG_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "fangkong.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_url() -> str:
    """A throw-away database for this run, migrated once; dropped at the end."""
    name = f"fangkong_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - say exactly why the PostgreSQL half cannot run
        pytest.fail(f"PostgreSQL is required for the test suite ({PG_ADMIN_URL}): {exc}")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    yield url
    get_engine.cache_clear()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_pg(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


STORES = ("sqlite", "postgres")
_MARKED_BY_FOLDER = ("e2e", "reliability")


def pytest_addoption(parser):
    parser.addoption("--all-stores", action="store_true",
                     help="run every test that uses `env` on SQLite and PostgreSQL, not only those marked both_stores")


def pytest_generate_tests(metafunc):
    """`env` is parametrised here: both stores where marked (or with --all-stores), else SQLite alone; a test that
    parametrises `env` itself keeps its own list."""
    if "env" not in metafunc.fixturenames:
        return
    if any("env" in _argnames(m) for m in metafunc.definition.iter_markers("parametrize")):
        return
    both = metafunc.config.getoption("all_stores") or metafunc.definition.get_closest_marker("both_stores")
    metafunc.parametrize("env", STORES if both else STORES[:1], indirect=True)


def _argnames(mark) -> list[str]:
    names = mark.args[0] if mark.args else mark.kwargs.get("argnames", ())
    return [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)


def pytest_collection_modifyitems(config, items):
    root = Path(__file__).parent
    for item in items:
        params = getattr(item, "callspec", None) and item.callspec.params
        if params and params.get("env") == "postgres":
            item.add_marker(pytest.mark.postgres)
        parts = Path(item.fspath).relative_to(root).parts if Path(item.fspath).is_relative_to(root) else ()
        for name in _MARKED_BY_FOLDER:
            if name in parts[:-1]:
                item.add_marker(getattr(pytest.mark, name))


@pytest.fixture
def env(request, tmp_path, monkeypatch, sqlite_template):
    """Settings pointing at a clean store (SQLite, or PostgreSQL where parametrised) and an empty lake in tmp_path."""
    if getattr(request, "param", "sqlite") == "sqlite":
        db = tmp_path / "fangkong.db"
        shutil.copy(sqlite_template, db)
        url = f"sqlite:///{db}"
    else:
        url = request.getfixturevalue("pg_url")
        _truncate_pg(url)
    monkeypatch.setenv("FANGKONG_DATABASE_URL", url)
    monkeypatch.setenv("FANGKONG_LAKE", str(tmp_path / "lake"))
    monkeypatch.setenv("FANGKONG_EDITION", "9")
    monkeypatch.setenv("FANGKONG_TZ", "Asia/Shanghai")
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield get_settings()
    get_engine().dispose()
    get_engine.cache_clear()
    get_settings.cache_clear()


@pytest.fixture
def sqlite_env(tmp_path, monkeypatch, sqlite_template):
    """SQLite only, for tests whose subject is not the database."""
    db = tmp_path / "fangkong.db"
    shutil.copy(sqlite_template, db)
    monkeypatch.setenv("FANGKONG_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("FANGKONG_LAKE", str(tmp_path / "lake"))
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield get_settings()
    get_engine().dispose()
    get_engine.cache_clear()
    get_settings.cache_clear()


def wipe_records() -> None:
    """Empty every table of the current database (between hypothesis examples inside one test)."""
    engine = get_engine()
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Each test starts with full token buckets. The process keeps one limiter per setting, so without this the
    logins of earlier tests (all from 127.0.0.1) spent a later test's tokens, and the suite's order decided whether
    tests/auth/test_holes.py signed in or got a 429."""
    from fangkong import ratelimit

    for limiter in (ratelimit.limiter_for, ratelimit._login_limiter, ratelimit._account_limiter):
        limiter.cache_clear()
    yield
