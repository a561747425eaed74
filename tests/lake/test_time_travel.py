"""Time travel (issue 28): a trace reads one version of each lake table and records it with the case; `fangkong
trace --as-of-version / --as-of` traces again from the lake as it stood then, storing nothing; the bulletin states
the versions at its day's end; `fangkong lake history` lists the commits. A forked child answers the same."""

from __future__ import annotations

import json
import os
import signal
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from clihelp import fk
from sqlalchemy import func, select
from test_api import server  # noqa: F401 - the live uvicorn fixture
from test_flow import declare_and_trace

from fangkong.cases.models import Case
from fangkong.contacts import steps
from fangkong.contacts.models import RiskPerson
from fangkong.db.audit import AuditEntry
from fangkong.kit.clikit import unit_of_work
from fangkong.lake import compact, store, versions
from fangkong.lake.append import write_visits
from fangkong.lake.queries import Lake

pytestmark = pytest.mark.both_stores

TZ = ZoneInfo("Asia/Shanghai")


def _cats(doc: dict) -> dict[str, str]:
    return {r["person_id"]: r["category"] for r in doc["risk_persons"]}


def _show(case_id: str) -> dict:
    r = fk("case", "show", case_id, "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def _stored(case_id: str) -> tuple[int, dict]:
    with unit_of_work() as s:
        case = s.scalar(select(Case).where(Case.case_no == case_id))
        return s.scalar(select(func.count(RiskPerson.id)).where(RiskPerson.case_fk == case.id)), case.lake_versions


def test_an_as_of_retrace_finds_what_the_trace_found_and_the_live_one_finds_more(rollback_env, tmp_path):
    lake = rollback_env.lake
    case_id, first = declare_and_trace(tmp_path)
    shown = _show(case_id)["lake_versions"]
    assert set(shown) == {"venue_visits", "cell_dwells"}
    assert shown["venue_visits"]["version"] == versions.latest(lake, "venue_visits")
    assert shown["cell_dwells"]["version"] == versions.latest(lake, "cell_dwells")
    committed = datetime.fromisoformat(shown["venue_visits"]["committed_at"])
    assert committed == versions.commit_time(lake, "venue_visits", shown["venue_visits"]["version"])
    text = fk("case", "show", case_id, "--lang", "en")
    assert "Lake version" in text.stdout and f"venue_visits={shown['venue_visits']['version']}" in text.stdout

    # scans arrive after the trace: two more people at the case's venue while the case was there
    write_visits(lake, [("P00005", "V1", datetime(2022, 3, 10, 12, 40, tzinfo=TZ), None),
                        ("P00006", "V1", datetime(2022, 3, 10, 12, 45, tzinfo=TZ), None)], "Asia/Shanghai")
    assert versions.latest(lake, "venue_visits") > shown["venue_visits"]["version"]
    stored = _stored(case_id)

    pinned = ",".join(f"{t}={v['version']}" for t, v in shown.items())
    again = fk("trace", case_id, "--as-of-version", pinned, "--format", "json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout) == first                      # the lake as the trace read it: the same people
    assert "nothing stored" in again.stderr or "未保存" in again.stderr
    assert _stored(case_id) == stored                             # and nothing stored: rows, versions
    last = max(datetime.fromisoformat(v["committed_at"]) for v in shown.values())   # the import's last commit
    at = fk("trace", case_id, "--as-of", last.isoformat(), "--format", "json")
    assert at.exit_code == 0, at.output
    assert json.loads(at.stdout) == first                         # the same instant, named by its time
    table = fk("trace", case_id, "--as-of-version", f"venue_visits={shown['venue_visits']['version']}")
    assert table.exit_code == 0 and case_id in table.stdout       # cell_dwells as it stood then

    live = fk("trace", case_id, "--format", "json")
    assert live.exit_code == 0, live.output
    found, before = _cats(json.loads(live.stdout)), _cats(first)
    close = {p for p, c in found.items() if c == "close"}
    assert close > {p for p, c in before.items() if c == "close"} and {"P00005", "P00006"} <= close
    assert _show(case_id)["lake_versions"]["venue_visits"]["version"] == versions.latest(lake, "venue_visits")
    with unit_of_work() as s:   # each trace's versions in the audit log; the re-traces as of then left none
        traced = s.scalars(select(AuditEntry).where(AuditEntry.action == "case.trace").order_by(AuditEntry.id)).all()
    assert [a.after["lake_versions"]["venue_visits"]["version"] for a in traced] == [
        shown["venue_visits"]["version"], versions.latest(lake, "venue_visits")]


def test_an_as_of_version_that_does_not_exist_or_was_purged_is_refused(rollback_env, tmp_path):
    case_id, _ = declare_and_trace(tmp_path)
    r = fk("trace", case_id, "--as-of-version", "venue_visits=999")
    assert r.exit_code != 0 and "no version 999" in r.output
    r = fk("trace", case_id, "--as-of-version", "dwells=1")
    assert r.exit_code != 0 and "dwells" in r.output
    r = fk("trace", case_id, "--as-of-version", "12")
    assert r.exit_code != 0 and "TABLE=VERSION" in r.output
    v = versions.latest(rollback_env.lake, "venue_visits")
    compact.compact(rollback_env.lake, rewrite_single=True, grace_s=0)   # the old files deleted at once
    r = fk("trace", case_id, "--as-of-version", f"venue_visits={v}")
    assert r.exit_code != 0 and "no longer readable" in r.output


def _who() -> pa.Table:
    return steps.who_table([("k", p, int(datetime(2022, 3, 9, tzinfo=TZ).timestamp()),
                             int(datetime(2022, 3, 12, tzinfo=TZ).timestamp())) for p in ("P00001", "P00008")])


_DWELL = pa.table({"venue_id": ["V1", "V2"], "dwell_s": [3600, 1800]})


def test_a_lake_reads_one_version_of_a_table_for_its_life(rollback_env, tmp_path):
    declare_and_trace(tmp_path)
    lake = Lake(rollback_env.lake)
    lake.pin()
    before = lake.own_intervals(_who(), _DWELL)
    write_visits(rollback_env.lake, [("P00008", "V2", datetime(2022, 3, 11, 9, 0, tzinfo=TZ), None)],
                 "Asia/Shanghai")
    assert lake.own_intervals(_who(), _DWELL).equals(before)          # the commit after the pin is not read
    fresh = Lake(rollback_env.lake).own_intervals(_who(), _DWELL)
    assert "P00008" in fresh.column("via").to_pylist() and "P00008" not in before.column("via").to_pylist()
    used = lake.used()
    assert used["venue_visits"]["version"] == versions.latest(rollback_env.lake, "venue_visits") - 1


def test_history_lists_each_commit_with_its_days_and_rows(rollback_env, tmp_path):
    declare_and_trace(tmp_path)
    lake = rollback_env.lake
    write_visits(lake, [("P00007", "V1", datetime(2022, 3, 10, 12, 40, tzinfo=TZ), None)], "Asia/Shanghai")
    compact.compact(lake, grace_s=0)
    commits = versions.history(lake, "venue_visits")
    assert [c.version for c in commits] == list(range(versions.latest(lake, "venue_visits") + 1))
    assert sum(c.rows_added for c in commits) - sum(c.rows_removed for c in commits) == \
        sum(store.snapshot(lake, "venue_visits").files.column("num_records").to_pylist())
    scan = next(c for c in commits if c.writer == "scan")
    assert scan.days == (date(2022, 3, 10),) and scan.rows_added == 1 and scan.operation == "APPEND"
    last = [c for c in commits if c.operation == "OVERWRITE"][-1]   # the compaction of 03-10 (then its vacuum)
    assert last.rows_removed == last.rows_added > 1 and last.days == (date(2022, 3, 10),)
    assert commits[-1].operation.startswith("VACUUM") and commits[-1].rows_added == commits[-1].rows_removed == 0
    assert all(c.at is not None and abs(c.at - datetime.now(UTC)) < timedelta(hours=1) for c in commits)
    zh = fk("lake", "history", "venue_visits")
    assert zh.exit_code == 0, zh.output
    assert "版本" in zh.stdout and "追加" in zh.stdout and "2022-03-10" in zh.stdout
    en = fk("lake", "history", "--lang", "en", "--limit", "2")
    assert en.exit_code == 0 and "added" in en.stdout and "cell_dwells" in en.stdout
    assert fk("lake", "history", "nope").exit_code != 0


def test_history_counts_the_rows_a_commit_removes_from_the_checkpoint_once_older_commits_are_cleaned(tmp_path):
    lake = tmp_path / "lake"
    write_visits(lake, [("P1", "V1", datetime(2022, 3, 10, 9, tzinfo=TZ), None)], "Asia/Shanghai")
    write_visits(lake, [("P2", "V2", datetime(2022, 3, 10, 10, tzinfo=TZ), None),
                        ("P3", "V3", datetime(2022, 3, 10, 11, tzinfo=TZ), None)], "Asia/Shanghai")
    dt = store.open_table(lake, "venue_visits", fresh=True)
    dt.create_checkpoint()
    log = store.table_dir(lake, "venue_visits") / "_delta_log"
    for v in range(dt.version()):     # what delta-rs's log cleanup leaves after 30 days: the checkpoint on
        (log / f"{v:020d}.json").unlink()
    compact.compact(lake, grace_s=3600)
    kept, rewrite = versions.history(lake, "venue_visits")
    assert kept.rows_added == 2 and kept.rows_removed == 0
    assert rewrite.operation == "OVERWRITE" and rewrite.rows_removed == rewrite.rows_added == 3


def test_the_bulletin_states_the_lake_at_its_days_end(rollback_env, tmp_path):
    declare_and_trace(tmp_path)
    lake = rollback_env.lake
    assert versions.as_of(lake, datetime(2022, 3, 14, tzinfo=TZ)) == {
        t: {"version": None, "committed_at": None} for t in versions.TABLES}   # imported long after that day
    today = datetime.now(TZ).date()
    r = fk("reports", "bulletin", "--date", today.isoformat(), "--draft", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["lake"]["venue_visits"]["version"] == versions.latest(lake, "venue_visits")
    assert "当日24时数据湖版本" in r.stderr
    r = fk("reports", "bulletin", "--date", "2022-03-14", "--draft", "--lang", "en")
    assert r.exit_code == 0 and "no commit yet" in r.stderr
    # the last commit at or before an instant: between two commits, the earlier one
    v = versions.latest(lake, "venue_visits")
    at = versions.commit_time(lake, "venue_visits", v)
    time.sleep(0.01)
    write_visits(lake, [("P00007", "V1", datetime(2022, 3, 10, 12, 40, tzinfo=TZ), None)], "Asia/Shanghai")
    assert versions.version_at(lake, "venue_visits", at) == v
    assert versions.version_at(lake, "venue_visits", datetime.now(UTC)) == v + 1
    assert versions.version_at(lake, "venue_visits", at - timedelta(days=1)) is None


def _in_child(fn) -> object:
    """fn() in a forked child (delta-rs unusable there: store._forked), its JSON answer back through a pipe."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(read)
            os.write(write, json.dumps(fn(), default=str).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    deadline = time.monotonic() + 60
    while not os.waitpid(pid, os.WNOHANG)[0]:
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise AssertionError("the forked child hung")
        time.sleep(0.05)
    with os.fdopen(read, "rb") as fh:
        return json.loads(fh.read())


def test_a_forked_child_reads_an_earlier_version_as_the_parent_does(rollback_env, tmp_path):
    declare_and_trace(tmp_path)
    lake = rollback_env.lake
    v = versions.latest(lake, "venue_visits")
    write_visits(lake, [("P00008", "V2", datetime(2022, 3, 11, 9, 0, tzinfo=TZ), None)], "Asia/Shanghai")
    compact.compact(lake, grace_s=3600)                     # removes after the version asked for
    store.open_table(lake, "venue_visits", fresh=True).create_checkpoint()

    def read():
        snap = versions.snapshot_at(lake, "venue_visits", v)
        old = Lake(lake, versions={"venue_visits": v, "cell_dwells": None})
        return {"files": store.files_for_days(lake, "venue_visits", snap=snap), "version": snap.version,
                "via": sorted(set(old.own_intervals(_who(), _DWELL).column("via").to_pylist())),
                "used": old.used()}

    parent = read()
    assert parent["via"] == ["P00001"] and parent["version"] == v
    assert _in_child(read) == json.loads(json.dumps(parent, default=str))


def test_the_case_api_and_the_bulletin_page_state_the_versions(server, env, tmp_path):  # noqa: F811
    case_id, _ = declare_and_trace(tmp_path)
    case = server.get(f"/api/cases/{case_id}").json()
    assert case["lake_versions"]["venue_visits"]["version"] == versions.latest(env.lake, "venue_visits")
    assert case["lake_versions"]["cell_dwells"]["committed_at"]
    today = datetime.now(TZ).date().isoformat()
    doc = server.get("/api/bulletin", params={"day": today, "draft": True}).json()
    assert doc["lake"]["cell_dwells"]["version"] == versions.latest(env.lake, "cell_dwells")
    page = server.get("/bulletin", params={"day": today}, headers={"accept": "text/html"}).text
    assert 'id="lake-versions"' in page and f"第 {versions.latest(env.lake, 'venue_visits')} 版" in page
    page = server.get(f"/cases/{case_id}", headers={"accept": "text/html"}).text
    assert 'id="lake-versions"' in page and "提交于" in page


def test_the_version_at_an_instant_past_a_checkpoint_without_listing_the_log(tmp_path):
    from deltalake import DeltaTable, write_deltalake

    root = tmp_path / "venue_visits"
    rows = pa.table({"n": [1], "day": pa.array([date(2022, 3, 10)], pa.date32())})
    for _ in range(105):
        write_deltalake(str(root), rows, mode="append", partition_by=["day"])
    DeltaTable(str(root)).create_checkpoint()
    write_deltalake(str(root), rows, mode="append")
    assert versions.latest(tmp_path, "venue_visits") == 105
    times = [versions.commit_time(tmp_path, "venue_visits", v) for v in range(106)]
    for v in (0, 1, 50, 99, 100, 104, 105):
        assert versions.version_at(tmp_path, "venue_visits", times[v]) == max(
            u for u in range(106) if times[u] <= times[v])
    assert versions.version_at(tmp_path, "venue_visits", times[0] - timedelta(seconds=1)) is None
    assert versions.latest(tmp_path, "cell_dwells") is None
    assert versions.version_at(tmp_path, "cell_dwells", times[0]) is None
    assert versions.history(tmp_path, "venue_visits")[-1].rows_added == 1
