"""Finding 3, the bulletin's part (issue 23): "均在定点医院隔离治疗" counts the hospital admissions in force at
D 24:00, not every case declared: a case not admitted yet awaits transfer, a discharged one has left."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from builders.risk import import_people
from clihelp import fk, set_clock
from sqlalchemy import select

from fangkong.cases import service as case_service
from fangkong.kit.clikit import unit_of_work
from fangkong.measures.hospitals import service as hospitals
from fangkong.measures.models import HospitalAdmission

TZ = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime(*args, tzinfo=TZ)


def test_hospital_counts_are_admissions_in_force_at_the_days_end(rollback_env, tmp_path, monkeypatch):
    import_people(tmp_path / "city", n=6)
    with unit_of_work() as s:
        h = hospitals.add_hospital(s, "H01", name="省人民医院", jurisdiction="140105", beds=10)
        cases = [case_service.declare_case(s, p, sampled_at=at(2022, 3, 12, 8), now=at(2022, 3, 12, 10 + i))
                 for i, p in enumerate(("P00001", "P00003", "P00005"))]
        for c in cases[:2]:
            hospitals.admit(s, c, h, at=c.declared_at + timedelta(minutes=30))
    set_clock(monkeypatch, "2022-03-13T08:00+08:00")
    r = fk("reports", "bulletin", "--date", "2022-03-12")
    assert r.exit_code == 0, r.output
    assert "累计报告本土感染者3例；现有3例，其中2例在定点医院隔离治疗，1例待转运。" in r.stdout
    with unit_of_work() as s:
        hospitals.admit(s, cases[2], h, at=at(2022, 3, 13, 9))
        # the discharge itself (its criteria) belongs to the measures domain: the record says when he left
        first = s.scalar(select(HospitalAdmission).where(HospitalAdmission.case_fk == cases[0].id))
        first.discharged_at = at(2022, 3, 20, 10)
    set_clock(monkeypatch, "2022-03-21T08:00+08:00")
    assert "现有3例，均在定点医院隔离治疗。" in fk("reports", "bulletin", "--date", "2022-03-19").stdout
    d20 = json.loads(fk("reports", "bulletin", "--date", "2022-03-20", "--format", "json").stdout)
    assert (d20["total_cases"], d20["discharged"], d20["hospital_cases"]) == (3, 1, 2)
    assert "累计报告本土感染者3例，累计出院1例；现有2例，均在定点医院隔离治疗。" in \
        fk("reports", "bulletin", "--date", "2022-03-20").stdout
    en = fk("reports", "bulletin", "--date", "2022-03-20", "--lang", "en").stdout
    assert "Cumulative local cases: 3, 1 discharged; 2 current, all treated in designated hospitals." in en
    # the bulletin of 03-12, issued on 03-13, still says what it said
    assert "1例待转运" in fk("reports", "bulletin", "--date", "2022-03-12").stdout
