"""Every figure of the bulletin reconciles with a direct count of the records, on a synthetic city."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from fangkong import importer
from fangkong.demo import run_outbreak_day
from fangkong.kit.clikit import unit_of_work
from fangkong.reports import service
from fangkong.reports.text import render
from fangkong.sim.city import generate_city

pytestmark = pytest.mark.slow

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def outbreak(env, tmp_path):
    summary = generate_city(tmp_path / "city", persons=2500, days=5, seed=3)
    importer.import_folder(unit_of_work, env, tmp_path / "city")
    day, cases = run_outbreak_day(env, summary, {})
    return day, cases


def one(session, sql: str, **kw) -> int:
    return session.execute(text(sql), kw).scalar_one()


def test_figures_equal_direct_counts(outbreak):
    day, cases = outbreak
    start = datetime.combine(day, time(0), tzinfo=TZ)
    end = start + timedelta(days=1)
    kw = {"s": start.astimezone(ZoneInfo("UTC")).replace(tzinfo=None), "e": end.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)}
    with unit_of_work() as s:
        b = service.bulletin(s, day, tz=TZ)
        bind = {k: (v if s.bind.dialect.name == "sqlite" else v.replace(tzinfo=ZoneInfo("UTC"))) for k, v in kw.items()}
        assert b.new_confirmed == one(s, """SELECT count(*) FROM "case" WHERE status='confirmed'
                                            AND declared_at >= :s AND declared_at < :e""", **bind)
        assert b.new_asymptomatic == one(s, """SELECT count(*) FROM "case" WHERE status='asymptomatic'
                                               AND declared_at >= :s AND declared_at < :e""", **bind)
        assert b.total_cases == one(s, """SELECT count(*) FROM "case" WHERE status IN ('confirmed','asymptomatic')
                                          AND declared_at < :e""", e=bind["e"]) == len(cases)
        # each person once, under their highest category across cases
        for cat in ("close", "secondary", "companion", "overlap"):
            direct = one(s, """SELECT count(*) FROM (SELECT who, min(CASE category WHEN 'close' THEN 0
                   WHEN 'secondary' THEN 1 WHEN 'companion' THEN 2 ELSE 3 END) AS r FROM risk_person
                   GROUP BY who) x WHERE r = :r""", r=["close", "secondary", "companion", "overlap"].index(cat))
            assert b.traced_by_category[cat] == direct, cat
        assert b.traced_total == one(s, "SELECT count(DISTINCT who) FROM risk_person")
        # the 核酸检测结果 line counts the risk persons, as the seeds' bulletins do: it adds up to them
        assert b.tests_positive == one(s, """SELECT count(DISTINCT t.person_fk) FROM test_task t JOIN measure m
                                             ON m.id = t.measure_fk WHERE t.result = 'positive' AND t.person_fk IN
                                             (SELECT person_fk FROM risk_person)""")
        assert b.tests_positive + b.tests_negative + b.tests_pending == b.traced_total
        # persons, each under the strictest kind in force (several obligations may be in force for one person)
        stricter = {"centralized_isolation": "()", "home_isolation": "('centralized_isolation')"}
        for kind, figure in (("centralized_isolation", b.isolation_in_site), ("home_isolation", b.isolation_at_home)):
            assert figure == one(s, f"""SELECT count(DISTINCT person_fk) FROM measure m WHERE status = 'active'
                                        AND kind = :k AND NOT EXISTS (SELECT 1 FROM measure o WHERE
                                        o.person_fk = m.person_fk AND o.status = 'active'
                                        AND o.kind IN {stricter[kind] if kind != 'centralized_isolation' else "('')"})""",
                                 k=kind)
        assert b.isolation_in_site + b.isolation_at_home + b.monitoring == one(
            s, "SELECT count(DISTINCT person_fk) FROM measure WHERE status = 'active' AND kind <> 'temporary_control'")
        assert b.new_community + b.new_under_control == b.new_confirmed + b.new_asymptomatic == 2
        assert b.new_under_control == 1  # the close contact who tested positive in isolation
        assert b.days_since_community_case == 0
    zh = render(b)
    assert f"共追踪管控风险人员{b.traced_total}人" in zh and f"密接者{b.traced_by_category['close']}人" in zh
    assert f"{b.tests_positive}人阳性" in zh


def test_days_since_community_case_counts_up(outbreak):
    day, _ = outbreak
    with unit_of_work() as s:
        later = service.bulletin(s, day + timedelta(days=3), tz=TZ)
        before = service.bulletin(s, day - timedelta(days=1), tz=TZ)
    assert later.days_since_community_case == 3 and later.new_confirmed + later.new_asymptomatic == 0
    assert before.total_cases == 0 and before.days_since_community_case is None
    # nothing was known the day before: no risk person, no result
    assert before.traced_total == before.tests_positive == before.tests_negative == before.tests_pending == 0
