"""The risk-person board shows each risk record once (issue 25, one set of figures): a person under two measures in
force (two obligations) was listed twice, once per measure, so the board's total (1 057 in the demo) was not the
overview's per-case records (917). The row shows the strictest measure; a filter on a measure's kind finds the
person by that strictest one."""

from __future__ import annotations

from builders.risk import TRACED_AT, traced_city
from sqlalchemy import func, select

from fangkong.contacts.models import RiskPerson
from fangkong.kit.clikit import unit_of_work
from fangkong.measures.models import Measure
from fangkong.people.models import Person
from fangkong.reports.board import BoardFilter, board


def _measure_of(s, person_id: str) -> Measure:
    return s.scalar(select(Measure).join(Person, Person.id == Measure.person_fk)
                    .where(Person.person_id == person_id, Measure.status == "active"))


def test_a_person_under_two_measures_is_one_row(rollback_env, tmp_path):
    traced_city(tmp_path / "city")
    with unit_of_work() as s:
        first = _measure_of(s, "P00002")            # a close contact: centralized isolation
        s.add(Measure(person_fk=first.person_fk, case_fk=first.case_fk, risk_person_fk=first.risk_person_fk,
                      category=first.category, kind="health_monitoring", place="home",
                      last_exposure_at=first.last_exposure_at, start_at=TRACED_AT, phase_end_at=first.end_at,
                      end_at=first.end_at, edition=first.edition))
        s.flush()
        records = s.scalar(select(func.count(RiskPerson.id)))
        total, rows = board(s, BoardFilter(), now=TRACED_AT, limit=100)
        assert total == records == len(rows), (total, records, len(rows))
        mine = [r for r in rows if r.person_id == "P00002"]
        assert [r.measure_kind for r in mine] == [first.kind] * len(mine) and first.kind == "centralized_isolation"
        kinds = {k: board(s, BoardFilter(kind=k), now=TRACED_AT, limit=100) for k in
                 ("centralized_isolation", "health_monitoring")}
        assert "P00002" in {r.person_id for r in kinds["centralized_isolation"][1]}
        assert "P00002" not in {r.person_id for r in kinds["health_monitoring"][1]}
