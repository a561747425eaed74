"""The settable clock (FANGKONG_NOW): a drill runs as of its own day, through the CLI, the API and the pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from builders.risk import import_people
from clihelp import fk
from test_api import server  # noqa: F401 - the real-HTTP fixture

from fangkong.db.core import utcnow
from fangkong.settings import get_settings

TZ = ZoneInfo("Asia/Shanghai")
DRILL = "2022-03-12T10:00:00+08:00"


def _drill(monkeypatch, when: str = DRILL) -> datetime:
    monkeypatch.setenv("FANGKONG_NOW", when)
    get_settings.cache_clear()
    return datetime.fromisoformat(when)


def test_the_clock_starts_at_fangkong_now_and_runs_on(monkeypatch):
    start = _drill(monkeypatch)
    first = utcnow()
    assert first.tzinfo is not None and start <= first < start + timedelta(minutes=1)
    assert utcnow() >= first  # it runs on, it is not frozen
    _drill(monkeypatch, "2022-03-12T10:00")  # no offset: the deployment's zone
    assert abs(utcnow() - start) < timedelta(minutes=1)
    monkeypatch.delenv("FANGKONG_NOW")
    get_settings.cache_clear()
    assert abs(utcnow() - datetime.now(UTC)) < timedelta(seconds=5)


def test_a_cli_drill_records_and_reports_as_of_its_day(rollback_env, tmp_path, monkeypatch):
    import_people(tmp_path / "city", n=4)
    _drill(monkeypatch)
    r = fk("case", "declare", "P00001", "--sampled-at", "2022-03-12T08:00")
    assert r.exit_code == 0, r.output
    # `report bulletin` without --date is the drill's day, and the case declared "now" is in it
    r = fk("reports", "bulletin")
    assert r.exit_code == 0, r.output
    assert "3月12日0—24时，本市新增本土感染者1例" in r.stdout
    assert fk("trace", "C000001").exit_code == 0
    # the transfer to hospital (1 h) is late by an hour at 12:00 of the drill, not by years
    _drill(monkeypatch, "2022-03-12T12:00:00+08:00")
    r = fk("tasks", "overdue")
    # the drill clock runs on at real speed, so the trace (and the task's deadline) may come minutes after
    # 10:00 on a loaded machine: late by about an hour, not by exactly 60 minutes
    late = [int(h) * 60 + int(m) for h, m in re.findall(r"(\d+)h(\d\d)m", r.stdout)]
    assert r.exit_code == 0 and "C000001" in r.stdout and any(45 <= x <= 61 for x in late), r.stdout
    # --at on a command that records an event overrides the clock
    assert fk("case", "declare", "P00003", "--sampled-at", "2022-03-12T08:00", "--at",
              "2022-03-13T09:00").exit_code == 0
    r = fk("reports", "bulletin", "--date", "2022-03-13", "--format", "json")
    assert '"new_asymptomatic": 1' in r.stdout and '"total_cases": 2' in r.stdout


def test_pages_and_api_read_as_of_the_drill(server, env, tmp_path, monkeypatch):  # noqa: F811
    import_people(tmp_path / "city", n=4)
    _drill(monkeypatch)
    assert fk("case", "declare", "P00001", "--sampled-at", "2022-03-12T08:00").exit_code == 0
    page = server.get("/bulletin")
    assert page.status_code == 200 and "3月12日0—24时，本市新增本土感染者1例" in page.text


def test_an_instant_set_again_starts_there_not_where_it_ran_to(monkeypatch):
    import time

    from clihelp import set_clock

    set_clock(monkeypatch, DRILL)
    utcnow()
    time.sleep(1.2)   # the drill clock runs on meanwhile
    set_clock(monkeypatch, DRILL)   # a later test (or step) sets the same instant
    assert utcnow() - datetime.fromisoformat(DRILL) < timedelta(seconds=1)
