"""Issue 27's done-when: feeds dropped into the inbox of a running `fangkong serve` leave, within a job period, the
records, the lake, the codes and the notifications received by real local receivers (an HTTP server for the
work-chat robot, a user's own robot and the SMS gateway; an SMTP server) that the same imports typed by hand leave.

A small city arrives in two waves, as feeds do: the venue scans, the carrier's dwells, a single swab and its
positive result (a suspected case, held), then the re-check's swab and positive result (the case declared and
traced at once: risk persons, measures, door checks for the verifier, the tracing team assigned). Each wave is
written as `x.csv.part` and renamed when complete (SQLite), or as `x.csv` and then its marker `x.csv.ready`
(PostgreSQL, the server run with FANGKONG_INBOX_MARKERS=1). The same files are imported by hand in a second store
(`fangkong import`, then `fangkong jobs run` for the jobs the server ran after each wave), at the same drill clock.
Compared, by natural keys (person ids, case numbers), not surrogate ids: persons, cases, risk persons, measures,
tasks (times within a few minutes: the two drill clocks run from the same instant but not in step), the codes
(colour and reasons per person), the lake's rows per table and day (count and content), and each message the
receivers got against the hand store's outbox (channel, recipient, subject, body; each exactly once)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from builders.city import PERSON_COLS, person, venue, write_csv
from builders.risk import add_team
from builders.testing import RESULT_COLS, SAMPLE_COLS, result, swab
from clihelp import fk, set_clock
from sqlalchemy import func, select
from test_notify import _free_port, _staff, receivers  # noqa: F401 - the receivers fixture

from fangkong.cases.models import Case
from fangkong.codes.models import HealthCode
from fangkong.contacts.models import RiskPerson
from fangkong.db.core import get_engine
from fangkong.db.outbox import OutboxMessage
from fangkong.jobs.models import InboxFile, JobRun
from fangkong.kit.clikit import unit_of_work
from fangkong.lake import store
from fangkong.lake.schemas import TABLES
from fangkong.measures.models import Measure
from fangkong.people.models import Person
from fangkong.settings import get_settings
from fangkong.tasks.models import Task
from fangkong.testing import service as testing_service

TZ = ZoneInfo("Asia/Shanghai")

pytestmark = [pytest.mark.slow, pytest.mark.both_stores]

#: the drill clock of both runs: the evening the re-check's result comes back
NOW = "2022-03-11T17:30:00+08:00"
#: the jobs the server runs after an import, in its order (registry.JOBS), and by hand after each wave; then
#: notify.collect once more, for the deadlines tasks.escalate found passed (the commander is told)
AFTER_IMPORT = ("scans.flush", "notify.collect", "codes.recolour", "tasks.escalate")
BY_HAND = (*AFTER_IMPORT, "notify.collect")
#: short periods for the server under test (FANGKONG_JOBS_EVERY)
EVERY = {"inbox.scan": 1, "scans.flush": 1, "notify.collect": 1, "notify.send": 1, "codes.recolour": 1,
         "tasks.escalate": 1}
#: two times of one record in the two runs: the same instant of the data, or the drill clocks' now within this
SLACK = timedelta(minutes=10)


def _register(folder: Path) -> Path:
    """tests/test_flow.py's city: P00001 (the case) and P00002 share a household; P00003-P00006 met at V1/V2;
    P00008 is under home monitoring from before (told to check in)."""
    write_csv(folder / "persons.csv", [person(i, household="H1" if i in (1, 2) else None) for i in range(1, 9)],
              PERSON_COLS)
    write_csv(folder / "venues.csv", [venue("V1"), venue("V2", "shop")],
              ["venue_id", "name", "kind", "lat", "lon", "community"])
    return folder


def _waves(root: Path) -> list[dict[str, list[dict]]]:
    v = lambda p, vid, s, e="": {"person_id": p, "venue_id": vid, "enter_at": s, "leave_at": e}  # noqa: E731
    one = {
        "venue_visits": [v("P00001", "V1", "2022-03-10T12:00", "2022-03-10T13:00"),
                         v("P00003", "V1", "2022-03-10T12:30"), v("P00004", "V1", "2022-03-10T12:50"),
                         v("P00005", "V1", "2022-03-10T18:00"),
                         v("P00003", "V2", "2022-03-11T09:00", "2022-03-11T10:00"),
                         v("P00006", "V2", "2022-03-11T09:30", "2022-03-11T10:00")],
        "cell_dwells": [{"phone": "13800000001", "lat": 37.87, "lon": 112.55, "start_at": "2022-03-10T14:00",
                         "end_at": "2022-03-10T15:00"},
                        {"phone": "13800000007", "lat": 37.8701, "lon": 112.5501, "start_at": "2022-03-10T14:30",
                         "end_at": "2022-03-10T16:00"}],
        # a single swab (单采) of P00001 in the morning, positive at noon: suspected, held
        "samples": [swab("S1", 1, "2022-03-11T08:00", round_id=None)],
        "lab_results": [result("S1", "positive", ct_orf1ab="28", ct_n="29", received_at="2022-03-11T09:00",
                               tested_at="2022-03-11T10:30", reported="2022-03-11T12:00")],
    }
    two = {   # the re-check (复核): positive, the case is declared and traced
        "samples": [swab("RC1", 1, "2022-03-11T15:30", round_id=None)],
        "lab_results": [result("RC1", "positive", ct_orf1ab="27", ct_n="28", received_at="2022-03-11T16:00",
                               tested_at="2022-03-11T16:30", reported="2022-03-11T17:00")],
    }
    return [one, two]


_COLUMNS = {"venue_visits": ["person_id", "venue_id", "enter_at", "leave_at"],
            "cell_dwells": ["phone", "grid_id", "lat", "lon", "start_at", "end_at"],
            "samples": SAMPLE_COLS, "lab_results": RESULT_COLS}


def _write_wave(folder: Path, wave: dict[str, list[dict]]) -> Path:
    for feed, rows in wave.items():
        write_csv(folder / f"{feed}.csv", rows, _COLUMNS[feed])
    return folder


def _setup(register: Path, base: str) -> None:
    """What an office sets up before feeds arrive (the same in both stores): the register, a tracing team, its
    member, a verifier and a commander with their contacts, the lab, a person under home monitoring since 03-09."""
    assert fk("import", register).exit_code == 0
    with unit_of_work() as s:
        at = datetime(2022, 3, 9, 10, tzinfo=TZ)
        s.add(Measure(person_fk=s.scalar(select(Person.id).where(Person.person_id == "P00008")), category="inbound",
                      kind="home_monitoring", place="home", last_exposure_at=at, start_at=at,
                      phase_end_at=at + timedelta(days=7), end_at=at + timedelta(days=7), status="active",
                      edition="9"))
    with unit_of_work() as s:
        add_team(s, "T01")
        _staff(s, "t01a", "epidemiologist", "140105", team="T01", email="t01a@office.test", webhook=f"{base}/t01a")
        _staff(s, "v1", "verifier", "140105", phone="139 0000 0001", email="v1@office.test")
        _staff(s, "cmd", "commander", "", email="cmd@office.test")
        testing_service.add_lab(s, "LAB1", daily_capacity=48_000)


def _use_store(monkeypatch, url: str, lake: Path) -> None:
    get_engine().dispose()
    monkeypatch.setenv("FANGKONG_DATABASE_URL", url)
    monkeypatch.setenv("FANGKONG_LAKE", str(lake))
    get_settings.cache_clear()
    get_engine.cache_clear()


# ---- what a store holds, by natural keys ------------------------------------------------------------------------

def _lake(root: Path) -> dict:
    out = {}
    for table in TABLES:
        for day in sorted(store.day_dirs(root, table)):
            files = store.files_for_days(root, table, {day})
            rows = duckdb.sql(f"SELECT * FROM read_parquet({files!r})").fetchall() if files else []
            out[(table, day.isoformat())] = sorted(tuple("" if x is None else str(x) for x in r) for r in rows)
    return out


def snapshot(lake: Path) -> dict:
    with unit_of_work() as s:
        pid = dict(s.execute(select(Person.id, Person.person_id)).all())
        cno = dict(s.execute(select(Case.id, Case.case_no)).all())
        snap = {
            "persons": sorted((p.person_id, p.phone, p.household_id, p.community) for p in s.scalars(select(Person))),
            "cases": sorted((pid[c.person_fk], c.case_no, c.status, c.sampled_at, c.isolated_at, c.declared_at,
                             c.window_start, c.window_end, c.edition) for c in s.scalars(select(Case))),
            "risk_persons": sorted((cno[r.case_fk], r.who, pid.get(r.person_fk), r.category, r.found_category,
                                    r.first_exposure_at, r.last_exposure_at) for r in s.scalars(select(RiskPerson))),
            "measures": sorted((pid[m.person_fk], cno.get(m.case_fk), m.category, m.kind, m.then_kind or "", m.place,
                                m.status, m.last_exposure_at, m.start_at, m.phase_end_at, m.end_at,
                                m.source_kind or "", m.end_reason or "") for m in s.scalars(select(Measure))),
            "tasks": sorted((t.kind, t.step, t.status, t.jurisdiction or "", t.owner_kind, t.owner_ref,
                             cno.get(t.case_fk) or "", pid.get(t.person_fk) or "", t.due_at,
                             t.escalated_at is not None) for t in s.scalars(select(Task))),
            "codes": sorted((pid[c.person_fk], c.colour, json.dumps(c.reasons, sort_keys=True, ensure_ascii=False))
                            for c in s.scalars(select(HealthCode))),
        }
    snap["lake"] = _lake(lake)
    return snap


def _same(a, b) -> bool:
    if isinstance(a, datetime) and isinstance(b, datetime):
        return abs(a - b) <= SLACK
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, str) and isinstance(b, str) and a != b:   # codes' reasons carry ISO instants
        pa, pb = _ISO.split(a), _ISO.split(b)
        ta, tb = _ISO.findall(a), _ISO.findall(b)
        return pa == pb and len(ta) == len(tb) and all(
            _same(datetime.fromisoformat(x), datetime.fromisoformat(y)) for x, y in zip(ta, tb, strict=True))
    return a == b


_ISO = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?")


def differences(served: dict, by_hand: dict) -> list[str]:
    out = []
    for part in sorted(set(served) | set(by_hand)):
        a, b = served.get(part), by_hand.get(part)
        if part == "lake":
            for key in sorted(set(a) | set(b)):
                if a.get(key) != b.get(key):
                    out.append(f"lake {key}: served {len(a.get(key) or [])} rows, by hand {len(b.get(key) or [])}")
        elif not _same(a, b):
            out.append(f"{part}: served {len(a)} rows, by hand {len(b)}\n  served only: "
                       f"{[r for r in a if not any(_same(r, x) for x in b)]}\n  by hand only: "
                       f"{[r for r in b if not any(_same(r, x) for x in a)]}")
    return out


# ---- notifications ----------------------------------------------------------------------------------------------

_DUE = re.compile(r"\d{2}-\d{2} \d{2}:\d{2}")   # a deadline counted from the drill clock's now


def _msg(channel: str, recipient: str, subject: str | None, body: str) -> tuple:
    return channel, recipient, subject if channel != "sms" else None, _DUE.sub("MM-DD HH:MM", body.strip())


def received(http, box) -> Counter:
    got = Counter()
    for path, doc, _auth in http.got:
        if path == "/sms":
            got[_msg("sms", doc["phone"], None, doc["text"])] += 1
        else:   # the office's robot, or a user's own (recipient: the username)
            channel = "webhook" if path == "/hook" else "hook"
            body = doc["text"]["content"].removeprefix(doc["subject"] or "").lstrip("\n")
            got[_msg(channel, doc["recipient"], doc["subject"], body)] += 1
    for tos, content in box.mails:
        # as bytes: a short body goes as 8bit UTF-8 (a str parse would read it as raw-unicode-escape)
        m = message_from_bytes(content.encode("utf-8"), policy=default)
        for r in tos:
            got[_msg("smtp", r, str(m["subject"]), m.get_content())] += 1
    return got


def outbox() -> Counter:
    with unit_of_work() as s:
        return Counter(_msg(m.channel, m.recipient, m.subject, m.body) for m in s.scalars(select(OutboxMessage)))


# ---- the server --------------------------------------------------------------------------------------------------

def _wait_settled(files: int, deadline: float) -> None:
    """Until the server took `files` files, and after the scan that took the last one each job that follows an
    import ran, then notify.collect after tasks.escalate, then notify.send delivered what it wrote."""
    while time.monotonic() < deadline:
        with unit_of_work() as s:
            taken = s.scalar(select(func.count()).select_from(InboxFile))
            last = s.scalar(select(func.max(InboxFile.taken_at)))
            scanned = last and s.scalar(select(func.min(JobRun.finished_at)).where(
                JobRun.name == "inbox.scan", JobRun.finished_at >= last))
            after = scanned and {name: s.scalar(select(func.min(JobRun.finished_at)).where(
                JobRun.name == name, JobRun.started_at > scanned, JobRun.finished_at.is_not(None)))
                for name in AFTER_IMPORT}
            told = after and all(after.values()) and s.scalar(select(func.min(JobRun.finished_at)).where(
                JobRun.name == "notify.collect", JobRun.started_at > after["tasks.escalate"],
                JobRun.finished_at.is_not(None)))
            sent = told and s.scalar(select(func.count()).select_from(JobRun).where(
                JobRun.name == "notify.send", JobRun.started_at > told, JobRun.finished_at.is_not(None)))
            pending = s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending"))
        if taken >= files and sent and not pending:
            return
        time.sleep(0.3)
    pytest.fail(f"the server did not finish: {taken} of {files} files taken, jobs after the scan {after}, "
                f"{pending} messages pending")


def _drop(inbox: Path, name: str, wave: dict[str, list[dict]], *, markers: bool) -> int:
    """As a sender does: write x.csv.part in the feed's folder and rename it when complete, or (a server with
    FANGKONG_INBOX_MARKERS=1) write x.csv, then the marker x.csv.ready."""
    for feed, rows in wave.items():
        if markers:
            path = write_csv(inbox / feed / f"{name}.csv", rows, _COLUMNS[feed])
            path.with_name(path.name + ".ready").touch()
        else:
            part = write_csv(inbox / feed / f"{name}.csv.part", rows, _COLUMNS[feed])
            part.rename(inbox / feed / f"{name}.csv")
    return len(wave)


def test_the_inbox_of_a_running_server_does_what_the_same_import_by_hand_does(
        env, tmp_path, monkeypatch, request, receivers):  # noqa: F811 - test_notify's fixture
    http, smtp, _box = receivers
    base = f"http://127.0.0.1:{http.server_port}"
    for key, value in {"FANGKONG_NOTIFY_WEBHOOK": f"{base}/hook", "FANGKONG_SMS_URL": f"{base}/sms",
                       "FANGKONG_SMS_TOKEN": "gw-secret", "FANGKONG_SMTP_HOST": "127.0.0.1",
                       "FANGKONG_SMTP_PORT": str(smtp.port), "FANGKONG_SMTP_FROM": "fangkong@office.test",
                       "FANGKONG_NOTIFY_EMAILS": json.dumps({"commander": ["env-cmd@office.test"]})}.items():
        monkeypatch.setenv(key, value)
    register, waves = _register(tmp_path / "register"), _waves(tmp_path)

    # -- the server: the office set up, then the feeds dropped into its inbox
    set_clock(monkeypatch, NOW)
    _setup(register, base)
    inbox = tmp_path / "inbox"
    markers = not env.database_url.startswith("sqlite")   # the two ways a feed says it is complete, one per store
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "fangkong.cli", "serve", "--port", str(port), "--public-port", "0"], cwd=tmp_path,
        env={**os.environ, "FANGKONG_JOBS": "1", "FANGKONG_JOBS_TICK": "0.3", "FANGKONG_JOBS_EVERY": json.dumps(EVERY),
             "FANGKONG_INBOX": str(inbox), "FANGKONG_INBOX_SETTLE": "0", "FANGKONG_INBOX_MARKERS": str(int(markers))})
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and not all((inbox / f).is_dir() for f in waves[0]):
            assert proc.poll() is None, "the server stopped"
            time.sleep(0.3)
        files = 0
        for i, wave in enumerate(waves, 1):
            files += _drop(inbox, f"wave{i}", wave, markers=markers)
            _wait_settled(files, deadline)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(60)
    with unit_of_work() as s:
        statuses = set(s.scalars(select(OutboxMessage.status)))
        refused = s.scalar(select(func.count()).select_from(InboxFile).where(
            (InboxFile.rejected > 0) | InboxFile.error.is_not(None)))
    served, got = snapshot(env.lake), received(http, _box)

    # -- by hand, in a second store: the same set-up, each wave's files imported, the same jobs run
    if env.database_url.startswith("sqlite"):
        shutil.copy(request.getfixturevalue("sqlite_template"), tmp_path / "hand.db")
        url = f"sqlite:///{tmp_path / 'hand.db'}"
    else:
        # tests/conftest.py's helpers, by the plugin pytest registered for it: `from conftest import` takes
        # whichever conftest module was imported last (tests/e2e's under xdist), not the root one
        root = str(Path(__file__).resolve().parents[1] / "conftest.py")
        top = next(p for p in request.config.pluginmanager.get_plugins() if getattr(p, "__file__", None) == root)
        url = top._throwaway_pg()
        request.addfinalizer(lambda: top._drop_pg(url))
    _use_store(monkeypatch, url, tmp_path / "hand" / "lake")
    set_clock(monkeypatch, NOW)
    _setup(register, base)
    for i, wave in enumerate(waves, 1):
        r = fk("import", _write_wave(tmp_path / "hand" / f"wave{i}", wave))
        assert r.exit_code == 0, r.output
        for job in BY_HAND:
            r = fk("jobs", "run", job)
            assert r.exit_code == 0, r.output
    by_hand, queued = snapshot(tmp_path / "hand" / "lake"), outbox()

    # the scenario did what it is for: a case declared and traced, its team and the verifier told
    assert [c[2] for c in by_hand["cases"]] == ["asymptomatic"] and len(by_hand["risk_persons"]) >= 5
    assert {c[1] for c in by_hand["codes"]} >= {"red", "yellow"} and len(by_hand["lake"]) >= 2
    assert {(m[0], m[1]) for m in queued} >= {("webhook", "team:T01"), ("smtp", "t01a@office.test"),
                                              ("hook", "t01a"), ("sms", "13900000001"),
                                              ("webhook", "commander"), ("smtp", "cmd@office.test"),
                                              ("sms", "13800000008")}   # P00008's check-in reminder
    assert differences(served, by_hand) == []
    assert got == queued, (f"received only: {got - queued}", f"queued by hand only: {queued - got}")
    assert statuses == {"sent"} and not refused
