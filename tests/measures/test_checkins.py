"""Daily check-ins: one report a day, alerts to the team, non-reporters, the mobile page."""

from datetime import date, datetime, timedelta

import pytest
from builders.risk import TZ, add_team, traced_city
from clihelp import fk
from sqlalchemy import select
from test_api import server  # noqa: F401 - the real-HTTP fixture
from test_lifecycle import E9, measure_of, results

from fangkong.errors import Conflict, InvalidInput, NotFound
from fangkong.kit.clikit import unit_of_work
from fangkong.measures import lifecycle
from fangkong.measures.checkins import service as checkins
from fangkong.settings import get_settings
from fangkong.tasks.models import Task

NOON = datetime(2022, 3, 12, 12, tzinfo=TZ)


def test_one_report_a_day_and_symptoms_alert_the_team(rollback_env, tmp_path):
    with unit_of_work() as s:
        add_team(s, "T1")
    traced_city(tmp_path / "city")
    with unit_of_work() as s:
        m = measure_of(s, "P00003")
        checkins.record(s, m, temperature=36.6, symptoms=[], at=NOON, tz=TZ)
        with pytest.raises(Conflict, match="already reported today at 12:00"):
            checkins.record(s, m, temperature=36.6, symptoms=[], at=NOON + timedelta(hours=1), tz=TZ)
        with pytest.raises(InvalidInput, match="not a body temperature"):
            checkins.record(s, m, temperature=50, symptoms=[], at=NOON + timedelta(days=1), tz=TZ)
        c = checkins.record(s, m, temperature=37.8, symptoms=["cough", "cough"], at=NOON + timedelta(days=1), tz=TZ)
        assert c.alert and c.symptoms == ["cough"]
        alert = s.scalar(select(Task).where(Task.kind == "symptom_alert"))
        assert (alert.owner_kind, alert.owner_ref, alert.due_at) == ("team", "T1", c.at + timedelta(hours=2))
        assert [x.person_fk for x in checkins.alerts(s, day=date(2022, 3, 13))] == [m.person_fk]


def test_without_a_team_the_alert_goes_to_the_community_and_ended_measures_take_no_report(rollback_env, tmp_path):
    traced_city(tmp_path / "city")
    with unit_of_work() as s:
        checkins.record(s, measure_of(s, "P00005"), temperature=None, symptoms=["fever"], at=NOON, tz=TZ)
        assert s.scalar(select(Task.owner_ref).where(Task.kind == "symptom_alert")) == "140105001001"
        m = measure_of(s, "P00005")
        results(s, "P00005", ["negative", "negative"])
        lifecycle.release(s, m, edition=E9, tz=TZ, now=datetime(2022, 3, 14, tzinfo=TZ))
        with pytest.raises(Conflict, match="has ended"):
            checkins.record(s, m, temperature=36.5, symptoms=[], at=NOON + timedelta(days=2), tz=TZ)


def test_non_reporters_after_the_set_hour(rollback_env, tmp_path):
    traced_city(tmp_path / "city")
    with unit_of_work() as s:
        checkins.record(s, measure_of(s, "P00002"), temperature=36.5, symptoms=[], at=NOON, tz=TZ)
        missing = checkins.non_reporters(s, day=date(2022, 3, 12), by_hour=14, tz=TZ)
        assert {m.person.person_id for m in missing} == {"P00003", "P00004", "P00005", "P00006", "P00007"}
        assert checkins.non_reporters(s, day=date(2022, 3, 11), by_hour=14, tz=TZ) == []  # traced at 21:00
        assert checkins.non_reporters(s, day=date(2022, 3, 12), by_hour=14, tz=TZ, jurisdiction="140106") == []


def test_links_are_personal_and_tamper_proof(rollback_env, tmp_path):
    traced_city(tmp_path / "city")
    secret = get_settings().secret_key
    with unit_of_work() as s:
        m = measure_of(s, "P00002")
        path = checkins.link_for(m, secret)
        assert checkins.measure_for_link(s, path.rsplit("/", 1)[1], secret) is m
        with pytest.raises(NotFound, match="invalid check-in link"):
            checkins.measure_for_link(s, f"{m.id + 1}.{path.rsplit('.', 1)[1]}", secret)


def test_mobile_page_api_and_cli(server, tmp_path):  # noqa: F811
    traced_city(tmp_path / "city")
    with unit_of_work() as s:
        mid = measure_of(s, "P00002").id
    path = server.get(f"/api/measures/{mid}/checkin-link").json()["path"]
    page = server.get(path)
    assert page.status_code == 200 and "每日健康打卡" in page.text and 'name="symptoms"' in page.text
    assert "English" in page.text and "Daily health check-in" in server.get(path, params={"lang": "en"}).text
    # the language chosen sticks (kit/webkit.py LangCookie): the refusal of a bad input comes in it (issue 25)
    r = server.post(path, data={"temperature": "hot"})
    assert r.status_code == 422 and "temperature: &#39;hot&#39; is not a number" in r.text and "体温" not in r.text
    server.get(path, params={"lang": "zh"})
    r = server.post(path, data={"temperature": "hot"})
    assert r.status_code == 422 and "体温：“hot”不是数字" in r.text   # in the page's language
    assert "is not a number" in server.post(path, data={"temperature": "hot"}, params={"lang": "en"}).text
    server.get(path, params={"lang": "zh"})   # and back to Chinese for the rest
    r = server.post(path, data={"temperature": "48"})
    assert r.status_code == 422 and "不在正常体温范围内" in r.text and "body temperature" not in r.text
    r = server.post(path, data={"temperature": "37.9", "symptoms": ["cough", "fatigue"]})
    assert r.status_code == 200 and "今日已打卡" in r.text and "工作人员将尽快联系您" in r.text
    r = server.post(path, data={"temperature": "36.5"})
    assert r.status_code == 409 and "今日已于" in r.text and "already" not in r.text
    assert server.get(path[:-2] + "xx").status_code == 404
    token = path.rsplit("/", 1)[1]
    with unit_of_work() as s:
        other = measure_of(s, "P00003").id
    other_path = server.get(f"/api/measures/{other}/checkin-link").json()["path"]
    r = server.post("/api/checkin/" + other_path.rsplit("/", 1)[1], json={"temperature": 36.4, "symptoms": []})
    assert r.status_code == 201 and r.json()["alert"] is False
    assert server.post(f"/api/checkin/{token}", json={"symptoms": ["hiccups"]}).status_code == 422
    alerts = server.get("/api/checkins/alerts").json()
    assert [a["person_id"] for a in alerts] == ["P00002"]
    r = server.get("/api/checkins/non-reporters", params={"day": "2022-03-12"})
    assert r.status_code == 200 and len(r.json()) == 6
    assert server.get("/api/checkins/non-reporters", params={"by_hour": 30}).status_code == 422
    r = fk("checkins", "missing", "--day", "2022-03-12")
    assert r.exit_code == 0 and "P00007" in r.stdout
    r = fk("checkins", "links", "--limit", "2")
    assert r.exit_code == 0 and "/checkin/" in r.stdout
    r = fk("checkins", "report", "1.bad", "--temperature", "36.5")
    assert r.exit_code == 1 and "invalid check-in link" in r.output
    r = fk("checkins", "alerts")
    assert r.exit_code == 0 and "P00002" in r.stdout


def test_the_follow_up_counts_a_person_under_two_measures_once(rollback_env, tmp_path):
    """The follow-up's figures say people: a person under two obligations that ask for a check-in is one row (his
    strictest measure), and his report through either link counts for him (the demo counted 849 rows for 779)."""
    from fangkong.measures.models import Measure

    traced_city(tmp_path / "city")
    with unit_of_work() as s:
        m = measure_of(s, "P00003")
        day = date(2022, 3, 12)
        before = sum(r["followed"] for r in checkins.followup_counts(s, day=day, tz=TZ))
        weaker = Measure(person_fk=m.person_fk, case_fk=m.case_fk, category=m.category, kind="health_monitoring",
                         place="home", status="active", last_exposure_at=m.last_exposure_at, start_at=m.start_at,
                         phase_end_at=m.phase_end_at, end_at=m.end_at, edition=m.edition)
        s.add(weaker)
        s.flush()
        rows = checkins.followup_counts(s, day=day, tz=TZ)
        assert sum(r["followed"] for r in rows) == before and sum(r["checked_in"] for r in rows) == 0
        total, people = checkins.followup_people(s, day=day, tz=TZ, limit=1000)
        mine = [(x.id, st) for x, st, _ in people if x.person_fk == m.person_fk]
        assert total == before and mine == [(m.id, "not_yet")], mine     # the stricter one, once
        checkins.record(s, weaker, temperature=36.5, symptoms=[], at=NOON, tz=TZ)   # through the other link
        assert sum(r["checked_in"] for r in checkins.followup_counts(s, day=day, tz=TZ)) == 1
        assert m.person_fk not in {x.person_fk for x in checkins.non_reporters(s, day=day, by_hour=14, tz=TZ)}
