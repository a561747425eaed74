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
from hypothesis import HealthCheck, settings
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import create_engine, event, text

from fangkong.auth import service as auth_service
from fangkong.codes.service import install_recolour
from fangkong.db import core
from fangkong.db.core import engine_for, get_engine
from fangkong.db.migrate import upgrade
from fangkong.models import Base
from fangkong.settings import get_settings

# The suite runs on 2 shared cores, often beside other work: Hypothesis' timing checks (slow input generation, a
# per-example deadline) measure the machine, not the code, and made the suite flaky. What each example asserts is
# unchanged; a test may still set its own settings.
settings.register_profile("fangkong", suppress_health_check=[HealthCheck.too_slow], deadline=None)
settings.load_profile("fangkong")

# the servers the tests start refuse the demo secret (fangkong.settings.unsafe_secret): a test deployment's own
os.environ.setdefault("FANGKONG_SECRET_KEY", "test-only-secret-" + "0123456789abcdef" * 2)
# the public pool's 0.5 s wait is for a flood; the permission matrix's six overlapping probes on a loaded CI
# machine once got a 503 from it (the tests of the bulkhead itself set their own bounds)
os.environ.setdefault("FANGKONG_PUBLIC_POOL_TIMEOUT", "10")
# the servers the tests start run no scheduled jobs (a recolour or a release-due at the drill clock's now would
# change what a test checks); the tests of the jobs start workers, or set FANGKONG_JOBS=1, themselves
os.environ.setdefault("FANGKONG_JOBS", "0")

# services called straight from a test recolour codes on commit, as under the API and the CLI
install_recolour()

# passwords are argon2 as in production, with its cheapest parameters: the recommended 64 MiB and three passes
# cost 0.1-0.2 s a hash or a check on a quiet machine (~1 s under load), and every live-server test makes users
# and signs them in (the matrix: a user per role and side). Hashes carry their parameters: checks are the same.
auth_service._hasher = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
auth_service._DUMMY = auth_service._hasher.hash("fangkong-no-such-user")

PG_ADMIN_URL = os.environ.get("FANGKONG_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "fangkong.db"
    upgrade(f"sqlite:///{path}")
    return path


def _throwaway_pg() -> str:
    """A new database for this run (and xdist worker), migrated once; dropped at the end of the run."""
    name = f"fangkong_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - say exactly why the PostgreSQL half cannot run
        pytest.fail(f"PostgreSQL is required for the test suite ({PG_ADMIN_URL}): {exc}")
    admin.dispose()
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    return url


def _drop_pg(url: str) -> None:
    get_engine.cache_clear()
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_url() -> str:
    """A throw-away database for this run, migrated once; dropped at the end."""
    url = _throwaway_pg()
    yield url
    _drop_pg(url)


def _truncate_pg(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


STORES = ("sqlite", "postgres")
#: the fixtures parametrised by store: `env` (a clean copy of the store per test) and `rollback_env` (one store per
#: run, each test inside a transaction rolled back at its end)
STORE_FIXTURES = ("env", "rollback_env")
_MARKED_BY_FOLDER = ("e2e", "reliability")


def pytest_addoption(parser):
    parser.addoption("--all-stores", action="store_true",
                     help="run every test that uses `env` on SQLite and PostgreSQL, not only those marked both_stores")


def pytest_generate_tests(metafunc):
    """`env` is parametrised here: both stores where marked (or with --all-stores), else SQLite alone; a test that
    parametrises `env` itself keeps its own list."""
    for name in STORE_FIXTURES:
        if name not in metafunc.fixturenames:
            continue
        if any(name in _argnames(m) for m in metafunc.definition.iter_markers("parametrize")):
            continue
        both = metafunc.config.getoption("all_stores") or metafunc.definition.get_closest_marker("both_stores")
        metafunc.parametrize(name, STORES if both else STORES[:1], indirect=True)


def _argnames(mark) -> list[str]:
    names = mark.args[0] if mark.args else mark.kwargs.get("argnames", ())
    return [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)


def pytest_collection_modifyitems(config, items):
    root = Path(__file__).parent
    for item in items:
        params = getattr(item, "callspec", None) and item.callspec.params
        if params and "postgres" in (params.get("env"), params.get("rollback_env")):
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


@pytest.fixture(scope="session")
def _rollback_engines(tmp_path_factory, sqlite_template):
    """One engine per store for the whole run (SQLAlchemy's compiled-statement cache stays warm from test to test),
    over a store no test commits to: a copy of the SQLite template, a second PostgreSQL database."""
    db = tmp_path_factory.mktemp("rollback") / "fangkong.db"
    shutil.copy(sqlite_template, db)
    engines = {"sqlite": engine_for(f"sqlite:///{db}")}
    # pysqlite begins a transaction only before a write and knows no SAVEPOINT of its own: let SQLAlchemy say BEGIN
    event.listen(engines["sqlite"], "connect", lambda dbapi_conn, _record: setattr(dbapi_conn, "isolation_level", None))
    event.listen(engines["sqlite"], "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
    pg = []

    def of(store: str):
        if store == "postgres" and store not in engines:
            pg.append(_throwaway_pg())
            engines[store] = engine_for(pg[0])
        return engines[store]

    yield of
    for engine in engines.values():
        engine.dispose()
    for url in pg:
        _drop_pg(url)


@pytest.fixture
def rollback_env(request, tmp_path, monkeypatch, _rollback_engines):
    """Settings like `env`'s, but the store is shared by the run and every session the test opens in this process
    (unit_of_work, session_scope, the CLI run in-process) joins one transaction, rolled back at the end: each
    commit is a SAVEPOINT released (SQLAlchemy's join_transaction_mode="create_savepoint", STYLE.md §6).

    For tests whose work stays in this process and on this thread's connection: no live server, no subprocess,
    no second connection that must see the test's writes (the code cache's own connection, PostgreSQL's
    LISTEN). The lake is tmp_path's, as with `env`. The process caches keyed by the store's URL (a trace's
    venue dwells, a site's residents) assume a store only grows: they are emptied, since a rollback shrinks it."""
    from fangkong.contacts import dwell_cache
    from fangkong.measures.sites import capacity

    dwell_cache._DWELLS.clear()
    capacity._RESIDENTS.clear()
    engine = _rollback_engines(getattr(request, "param", "sqlite"))
    monkeypatch.setenv("FANGKONG_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("FANGKONG_LAKE", str(tmp_path / "lake"))
    monkeypatch.setenv("FANGKONG_EDITION", "9")
    monkeypatch.setenv("FANGKONG_TZ", "Asia/Shanghai")
    get_settings.cache_clear()
    get_engine.cache_clear()
    conn = engine.connect()
    outer = conn.begin()
    sessionmaker = core.sessionmaker

    def joined(*args, bind=None, **kw):
        return sessionmaker(*args, bind=conn, join_transaction_mode="create_savepoint", **kw)

    monkeypatch.setattr(core, "sessionmaker", joined)
    yield get_settings()
    outer.rollback()
    conn.close()
    get_engine().dispose()
    get_engine.cache_clear()
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Each test starts with full token buckets. The process keeps one limiter per setting, so without this the
    logins of earlier tests (all from 127.0.0.1) spent a later test's tokens, and the suite's order decided whether
    tests/auth/test_holes.py signed in or got a 429."""
    from fangkong.auth import credentials
    from fangkong.db.core import restart_clock
    from fangkong.kit import ratelimit

    for limiter in (ratelimit.limiter_for, ratelimit._login_limiter, ratelimit._account_limiter):
        limiter.cache_clear()
    credentials.forget_bad()   # and no credential remembered as refused by an earlier test's records
    restart_clock()   # and a FANGKONG_NOW instant an earlier test used starts afresh, not where that test left it
    yield
