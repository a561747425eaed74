"""Other inputs: arrivals (measure + code), 四类药品 purchases and fever visits (community
tasks), vaccinations (coverage figures); bad rows reported with their line, nothing half-written."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from builders.city import write_csv
from builders.zones import zone_city
from clihelp import fk
from sqlalchemy import func, select
from test_api import server  # noqa: F401 - the real-HTTP fixture

from fangkong.assist.inputs import service as inputs
from fangkong.assist.models import Arrival, DrugPurchase, Vaccination
from fangkong.assist.service import PersonIn
from fangkong.codes import service as code_service
from fangkong.errors import Conflict, InvalidInput
from fangkong.kit.clikit import unit_of_work
from fangkong.measures.models import Measure
from fangkong.protocol.edition import load_edition
from fangkong.tasks.models import Task

TZ = ZoneInfo("Asia/Shanghai")
E9 = load_edition("9")


def at(*args):
    return datetime(*args, tzinfo=TZ)


def test_arrival_from_a_high_risk_area_is_placed_and_coloured(rollback_env, tmp_path):
    assert fk("import", zone_city(tmp_path / "city")).exit_code == 0
    with unit_of_work() as s:
        inputs.register_arrival(s, "P00005", from_area="上海市浦东新区", risk_level="high",
                                arrived_at=at(2022, 3, 12, 18), now=at(2022, 3, 12, 20), edition=E9, tz=TZ)
        inputs.register_arrival(s, "P00005", from_area="上海市浦东新区", risk_level="high",
                                arrived_at=at(2022, 3, 12, 18), now=at(2022, 3, 12, 21), edition=E9, tz=TZ)
        with pytest.raises(Conflict, match="already registered"):
            inputs.register_arrival(s, "P00005", from_area="北京", risk_level="low", arrived_at=at(2022, 3, 12, 18),
                                    now=at(2022, 3, 12, 21), edition=E9, tz=TZ)
        with pytest.raises(InvalidInput, match="risk_level must be one of"):
            inputs.register_arrival(s, "P00006", from_area="x", risk_level="red", arrived_at=at(2022, 3, 12, 18),
                                    now=at(2022, 3, 12, 21), edition=E9, tz=TZ)
        with pytest.raises(InvalidInput, match="is in the future"):
            inputs.register_arrival(s, "P00006", from_area="x", risk_level="low", arrived_at=at(2022, 3, 13),
                                    now=at(2022, 3, 12, 21), edition=E9, tz=TZ)
        m = s.scalar(select(Measure).where(Measure.category == "arrival_high"))
        assert m.kind == "centralized_isolation" and len(m.tests) == 5
        assert s.scalar(select(func.count(Arrival.id))) == 1
        code = code_service.person_code(s, "P00005", edition=E9, now=at(2022, 3, 12, 22), tz=TZ)
        assert code.colour == "red" and code.reasons[0]["label"] == "arrival_high"


def test_drug_buyers_and_fever_visits_become_community_tasks(rollback_env, tmp_path):
    assert fk("import", zone_city(tmp_path / "city")).exit_code == 0
    with unit_of_work() as s:
        d = inputs.record_drug_purchase(s, pharmacy="老百姓大药房", person=PersonIn(None, None, "13800000003"),
                                        drug_class="antipyretic", bought_at=at(2022, 3, 12, 10), now=at(2022, 3, 12, 11))
        again = inputs.record_drug_purchase(s, pharmacy="老百姓大药房", person=PersonIn(None, None, "13800000003"),
                                            drug_class="antipyretic", bought_at=at(2022, 3, 12, 10),
                                            now=at(2022, 3, 12, 12))
        assert again.id == d.id
        task = s.get(Task, d.task_fk)
        assert task.step == "drug_buyer_tested" and task.due_at == at(2022, 3, 13, 10)
        assert task.jurisdiction == "140105001001" and task.person.person_id == "P00003"
        for bad, msg in ((dict(drug_class="vitamin"), "drug_class must be one of"),
                         (dict(person=PersonIn(None, "123", None)), "invalid resident ID number"),
                         (dict(person=PersonIn()), "needs an id_number or a phone")):
            kw = dict(pharmacy="P", person=PersonIn(None, None, "13800000004"), drug_class="cough",
                      bought_at=at(2022, 3, 12, 10), now=at(2022, 3, 12, 11)) | bad
            with pytest.raises(InvalidInput, match=msg):
                inputs.record_drug_purchase(s, **kw)
        assert s.scalar(select(func.count(DrugPurchase.id))) == 1
        f = inputs.record_fever(s, "P00004", clinic="省人民医院发热门诊", seen_at=at(2022, 3, 12, 9), temperature=38.4,
                                now=at(2022, 3, 12, 10))
        assert s.get(Task, f.task_fk).due_at == at(2022, 3, 13)   # the same day
        with pytest.raises(InvalidInput, match="not a body temperature"):
            inputs.record_fever(s, "P00004", clinic="c", seen_at=at(2022, 3, 12, 9), temperature=60,
                                now=at(2022, 3, 12, 10))


def test_vaccination_coverage(rollback_env, tmp_path):
    assert fk("import", zone_city(tmp_path / "city")).exit_code == 0
    with unit_of_work() as s:
        from fangkong.people.service import get_person

        get_person(s, "P00001").birth_date = date(1950, 5, 1)       # 71
        get_person(s, "P00002").birth_date = date(2015, 5, 1)       # 6
        rec = lambda pid, dose, on: inputs.record_vaccination(s, pid, dose=dose, on=on, product="科兴",
                                                               today=date(2022, 3, 14))
        rec("P00001", 1, date(2021, 5, 1))
        rec("P00001", 2, date(2021, 6, 1))
        rec("P00001", 3, date(2022, 1, 10))
        rec("P00002", 1, date(2021, 11, 1))
        rec("P00003", 1, date(2021, 7, 1))
        rec("P00003", 2, date(2021, 8, 1))
        rec("P00004", 2, date(2021, 12, 1))     # dose 1 recorded elsewhere: 2 doses, booster not yet due
        with pytest.raises(Conflict, match="already has dose 2"):
            rec("P00003", 2, date(2021, 8, 2))
        with pytest.raises(InvalidInput, match="out of order"):
            rec("P00003", 3, date(2021, 7, 15))
        with pytest.raises(InvalidInput, match="in the future"):
            rec("P00005", 1, date(2022, 3, 15))
        with pytest.raises(InvalidInput, match="dose must be 1–4"):
            rec("P00005", 5, date(2022, 3, 1))
        assert s.scalar(select(func.count(Vaccination.id))) == 7
        c = inputs.coverage(s, date(2022, 3, 14))
    assert c == {"on": "2022-03-14", "persons": 6, "dose1": 4, "primary": 3, "booster": 1, "booster_due": 1,
                 "age60_plus": 1, "age60_booster": 1, "age60_booster_rate": 1.0, "age3_11": 1, "age3_11_dose1": 1,
                 "age3_11_primary": 0, "age3_11_coverage": 1.0}


def test_input_files_and_api(server, env, tmp_path):  # noqa: F811
    assert fk("import", zone_city(tmp_path / "city")).exit_code == 0
    path = write_csv(tmp_path / "arrivals.csv", [
        {"person_id": "P00005", "from_area": "上海", "risk_level": "medium", "arrived_at": "2022-03-12T18:00"},
        {"person_id": "NOBODY", "from_area": "上海", "risk_level": "medium", "arrived_at": "2022-03-12T18:00"},
        {"person_id": "P00006", "from_area": "上海", "risk_level": "orange", "arrived_at": "2022-03-12T18:00"},
        {"person_id": "P00006", "from_area": "上海", "risk_level": "low", "arrived_at": "yesterday"}])
    r = fk("inputs", "import", "arrivals", path)
    assert r.exit_code == 1 and "1 rows recorded, 3 rejected" in r.output
    assert "arrivals.csv:3: unknown person 'NOBODY'" in r.output and "arrivals.csv:5: arrived_at" in r.output
    assert fk("inputs", "import", "nonsense", path).exit_code == 1
    r = server.post("/api/drug-purchases", json={"pharmacy": "P", "phone": "13800000004", "drug_class": "cough",
                                                 "bought_at": "2022-03-12T10:00:00+08:00"})
    assert r.status_code == 201 and r.json()["matched"]
    assert server.post("/api/drug-purchases", json={"pharmacy": "P", "phone": "1380", "drug_class": "cough",
                                                    "bought_at": "2022-03-12T10:00:00"}).status_code == 422
    assert server.post("/api/arrivals", json={"person_id": "P00006", "from_area": "x", "risk_level": "low",
                                              "arrived_at": "2022-03-12T10:00:00"}).status_code == 201
    assert server.post("/api/fever-reports", json={"person_id": "P00006", "clinic": "c",
                                                   "seen_at": "2022-03-12T10:00:00"}).status_code == 201
    r = server.post("/api/vaccinations", json={"person_id": "P00006", "dose": 1, "on": "2021-03-01"})
    assert r.status_code == 201
    assert server.post("/api/vaccinations", json={"person_id": "P00006", "dose": 9, "on": "2021-03-01"}
                       ).status_code == 422
    assert server.get("/api/vaccinations/coverage", params={"on": "2022-03-14"}).json()["dose1"] == 1
    r = fk("inputs", "coverage", "--on", "2022-03-14")
    assert r.exit_code == 0 and '"dose1": 1' in r.stdout
    later = (datetime.now(TZ) + timedelta(days=2)).isoformat()
    assert server.post("/api/fever-reports", json={"person_id": "P00006", "clinic": "c", "seen_at": later}
                       ).status_code == 422


def test_inbound_travellers_over_the_api(server, env, tmp_path, monkeypatch):  # noqa: F811
    """POST /api/inbound-arrivals: the edition's inbound measure from entry; the same entry again changes nothing,
    with other data it is refused (409); a bad body stores nothing (422)."""
    from clihelp import set_clock

    set_clock(monkeypatch, "2022-03-12T10:00+08:00")
    assert fk("import", zone_city(tmp_path / "city")).exit_code == 0
    body = {"person_id": "P00006", "from_country": "新加坡", "entered_at": "2022-03-11T15:00:00+08:00",
            "port": "太原武宿国际机场", "flight": "CZ358"}
    r = server.post("/api/inbound-arrivals", json=body)
    assert r.status_code == 201 and r.json()["from_country"] == "新加坡"
    assert server.post("/api/inbound-arrivals", json=body).status_code == 201
    assert server.post("/api/inbound-arrivals", json=dict(body, from_country="日本")).status_code == 409
    assert server.post("/api/inbound-arrivals", json=dict(body, from_country="")).status_code == 422
    assert server.post("/api/inbound-arrivals", json=dict(body, person_id="P09999")).status_code == 404
    with unit_of_work() as s:
        ms = list(s.scalars(select(Measure).where(Measure.category == "inbound")))
        assert [(m.kind, m.then_kind, m.source_kind, len(m.tests)) for m in ms] == [
            ("centralized_isolation", "home_monitoring", "arrival", 6)]
