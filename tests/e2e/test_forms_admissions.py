"""The admission and discharge forms (issue 26) in Chromium, as the isolation / hospital manager: a case admitted
before its positive report is refused beside the time (in Chinese), then admitted (the stay, its transfer task and
the audit checked); a case admitted by someone else meanwhile is shown (409), not admitted twice; a discharge with
one sample is refused in the row with the edition's criteria in Chinese, then done with two (the stay ended, the
post-discharge monitoring started, the audit); a stay discharged by someone else meanwhile is shown (409); the page
fits a phone; the epidemiologist may not. One outbreak for the module (its standby hospital)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from builders.outbreak import outbreak as cached_outbreak
from e2e.conftest import SHOTS, signed_in
from e2e.walk import axe
from sqlalchemy import func, select

from fangkong.cases import service as case_service
from fangkong.cases.models import Case
from fangkong.db.audit import AuditEntry
from fangkong.db.core import utcnow
from fangkong.kit.clikit import unit_of_work
from fangkong.measures.hospitals import service as hospitals
from fangkong.measures.models import HospitalAdmission, Measure
from fangkong.people.models import Person
from fangkong.protocol.hospitals import DischargeSample
from fangkong.settings import get_settings
from fangkong.tasks.models import Task, TaskKind


@pytest.fixture
def outbreak_with_hospital(sqlite_env, tmp_path):
    cached_outbreak(sqlite_env, tmp_path, standby=True)
    with unit_of_work(actor="setup") as s:   # beds enough for the module, and two cases declared ten days ago
        hospitals.add_hospital(s, "H-ADM", name="第四医院", jurisdiction="1401", beds=50, negative_pressure_beds=5)
        free = s.scalars(select(Person.person_id).where(Person.id.not_in(select(Case.person_fk)))
                         .order_by(Person.id).limit(2)).all()
        ago = utcnow() - timedelta(days=10)
        for pid in free:
            case_service.declare_case(s, pid, sampled_at=ago - timedelta(hours=8), now=ago)


_MADE: set[str] = set()


def _as(browser, server, role: str, width: int = 1280):
    return signed_in(browser, server, role, width, _MADE)


def _post(pg, click: str) -> None:
    with pg.expect_response(lambda r: r.request.method == "POST"):
        pg.click(click)


def _local(when) -> str:
    return when.astimezone(get_settings().zone).strftime("%Y-%m-%dT%H:%M")


def test_admit_and_discharge(browser, server, outbreak_with_hospital):
    with unit_of_work() as s:
        admitted = select(HospitalAdmission.case_fk)
        first, second = s.scalars(select(Case).where(Case.status != "ruled_out", Case.id.not_in(admitted))
                                  .order_by(Case.reported_at, Case.id).limit(2)).all()
        first_no, second_no, reported = first.case_no, second.case_no, first.reported_at
    ctx, pg = _as(browser, server, "isolation")
    pg.goto("/entry")
    pg.click("#entry-forms a[href='/isolation/admissions']")
    row = f"#case-{first_no}"
    pg.select_option(f"#admit-{first_no}-hospital_id", "H-ADM")
    pg.fill(f"#admit-{first_no}-at", _local(reported - timedelta(hours=2)))
    _post(pg, f"{row} button.admit")
    assert pg.locator(f"#admit-{first_no}-at-err").inner_text() == f"收治时间早于病例 {first_no} 阳性报告时间"
    pg.fill(f"#admit-{first_no}-at", _local(reported + timedelta(hours=1)))
    _post(pg, f"{row} button.admit")
    pg.wait_for_selector(f"#admit-{first_no}-done")
    with unit_of_work() as s:
        case = s.scalar(select(Case).where(Case.case_no == first_no))
        stay = s.scalar(select(HospitalAdmission).where(HospitalAdmission.case_fk == case.id))
        assert stay.hospital.hospital_id == "H-ADM" and stay.discharged_at is None
        assert s.scalar(select(AuditEntry.actor).where(AuditEntry.action == "hospital.admit",
                                                       AuditEntry.entity_id == first_no)) == "isolation"
        assert s.scalar(select(func.count(Task.id)).where(Task.case_fk == case.id, Task.kind == TaskKind.CASE_TRANSFER,
                                                          Task.status == "open")) == 0
    # another manager admits the second case while the page is open
    with unit_of_work(actor="another") as s:
        case = s.scalar(select(Case).where(Case.case_no == second_no))
        hospitals.admit(s, case, hospitals.get_hospital(s, "H-ADM"), at=case.reported_at + timedelta(hours=1))
    pg.select_option(f"#admit-{second_no}-hospital_id", "H-ADM")
    _post(pg, f"#case-{second_no} button.admit")
    assert "H-ADM" in pg.locator(f"#case-{second_no} .stale").inner_text()
    with unit_of_work() as s:
        case = s.scalar(select(Case).where(Case.case_no == second_no))
        assert s.scalar(select(func.count(HospitalAdmission.id)).where(HospitalAdmission.case_fk == case.id)) == 1
    # the discharge: one sample is not the edition's two
    pg.reload()
    with unit_of_work() as s:
        stay_id = s.scalar(select(HospitalAdmission.id).join(Case).where(Case.case_no == first_no))
        other_id = s.scalar(select(HospitalAdmission.id).join(Case).where(Case.case_no == second_no))
    fid, row = f"#discharge-{stay_id}", f"#stay-{stay_id}"
    day3, day4, day5 = (reported + timedelta(days=n) for n in (3, 4, 5))
    pg.fill(f"{fid}-sample1_at", _local(day3))
    pg.fill(f"{fid}-sample1_ct", "36")
    pg.fill(f"{fid}-at", _local(day5))
    _post(pg, f"{row} button.discharge")
    refusal = pg.locator(f"{row} .refusal").inner_text()
    assert f"病例 {first_no} 未达到第9版出院标准" in refusal and "现有 1 次" in refusal
    with unit_of_work() as s:
        assert s.get(HospitalAdmission, stay_id).discharged_at is None
    pg.fill(f"{fid}-sample1_at", _local(day3))
    pg.fill(f"{fid}-sample1_ct", "36")
    pg.fill(f"{fid}-sample2_at", _local(day4))
    pg.fill(f"{fid}-sample2_ct", "none")
    pg.fill(f"{fid}-at", _local(day5))
    _post(pg, f"{row} button.discharge")
    pg.wait_for_selector(f"{fid}-done")
    with unit_of_work() as s:
        stay = s.get(HospitalAdmission, stay_id)
        assert _local(stay.discharged_at) == _local(day5)
        assert s.scalar(select(func.count(Measure.id)).where(Measure.person_fk == stay.case.person_fk,
                                                             Measure.category == "post_discharge")) == 1
        assert s.scalar(select(AuditEntry.actor).where(AuditEntry.action == "hospital.discharge",
                                                       AuditEntry.entity_id == first_no)) == "isolation"
    SHOTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(SHOTS / "form-admissions-zh.png"), full_page=True)
    # another manager discharges the second case while the page is open
    with unit_of_work(actor="another") as s:
        stay = s.get(HospitalAdmission, other_id)
        at = stay.admitted_at
        hospitals.discharge(s, stay.case, at=at + timedelta(days=4), samples=[
            DischargeSample(at + timedelta(days=2), 37), DischargeSample(at + timedelta(days=3), 38)])
    fid = f"#discharge-{other_id}"
    pg.fill(f"{fid}-sample1_at", _local(at + timedelta(days=2)))
    pg.fill(f"{fid}-sample1_ct", "40")
    pg.fill(f"{fid}-sample2_at", _local(at + timedelta(days=3)))
    pg.fill(f"{fid}-sample2_ct", "40")
    _post(pg, f"#stay-{other_id} button.discharge")
    assert pg.locator(f"#stay-{other_id} .stale").count() == 1
    with unit_of_work() as s:
        assert s.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "hospital.discharge",
                                                                AuditEntry.entity_id == second_no)) == 1
    assert pg.errors == []
    ctx.close()
    ctx, pg = _as(browser, server, "isolation", width=390)
    pg.goto("/isolation/admissions?lang=en")
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe(pg) == []   # no serious or critical accessibility violation (labels, names, contrast)
    pg.goto("/isolation/admissions")
    assert axe(pg) == []
    ctx.close()
    ctx, pg = _as(browser, server, "epidemiologist")
    assert pg.request.get("/isolation/admissions").status == 403
    assert pg.request.post(f"/isolation/admissions/{second_no}/admit", form={"hospital_id": "H-ADM"},
                           headers={"HX-Request": "true"}).status == 403
    ctx.close()
