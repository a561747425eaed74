"""`fangkong codes show` read plainly (issue 27): on both stores, the DB-API read of codes/plain.py answers what
codes.service.person_code answers over the ORM for a case, a hospital stay and its discharge, a contact's measure
with its pending tests, a zone's resident, a person known by a further source key; and it leaves to the ORM path a
store that is not at head and an obligation past its nominal end that waits on its results."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from clihelp import fk
from sqlalchemy import select, text

from fangkong.cases import service as case_service
from fangkong.codes import plain
from fangkong.codes import service as code_service
from fangkong.db import plain as plain_store
from fangkong.kit.clikit import unit_of_work
from fangkong.measures import service as measure_service
from fangkong.measures.hospitals import service as hospitals
from fangkong.measures.models import Measure
from fangkong.people.models import Person, PersonSourceKey
from fangkong.protocol.edition import load_edition
from fangkong.protocol.hospitals import DischargeSample
from fangkong.protocol.obligations import reasons_json

TZ = ZoneInfo("Asia/Shanghai")
E9 = load_edition("9")
T0 = datetime(2022, 3, 11, 8, tzinfo=TZ)
PERSONS = ("person_id,name,id_number,phone,household_id,community,address,birth_date,sex\n"
           + "".join(f"P{i},人{i},,1380000000{i},H{i},140105001001,{i} Road,1990-01-01,M\n" for i in range(1, 5)))


def _same(url: str, pid: str, at: datetime) -> bool:
    """The plain read agrees with the ORM's at `at`; False when it leaves it to the ORM path."""
    store = plain_store.connect(url)
    try:
        mine = plain._derive(store, pid, "9", TZ, at)
    finally:
        store.close()
    with unit_of_work() as s:
        view = code_service.person_code(s, pid, edition=E9, now=at, tz=TZ)
    if mine is None:
        return False
    assert (mine.person_id, mine.code.colour, reasons_json(mine.code.reasons, TZ), mine.code.changes_at) == \
        (view.person_id, view.colour, view.reasons, view.changes_at), (pid, at)
    return True


@pytest.mark.both_stores
def test_the_plain_read_answers_as_the_orm(env, tmp_path):
    (tmp_path / "city").mkdir()
    (tmp_path / "city" / "persons.csv").write_text(PERSONS, encoding="utf-8")
    assert fk("import", str(tmp_path / "city")).exit_code == 0
    url = env.database_url
    with unit_of_work(actor="test") as s:
        case = case_service.declare_case(s, "P1", sampled_at=T0, isolated_at=T0 + timedelta(hours=2),
                                         now=T0 + timedelta(hours=3))
        hospitals.add_hospital(s, "H1", name="定点医院", jurisdiction="1401", beds=10)
        hospitals.admit(s, case, hospitals.get_hospital(s, "H1"), at=T0 + timedelta(hours=4))
        p2 = s.scalar(select(Person).where(Person.person_id == "P2"))
        measure_service.assign_for_persons(s, [p2.id], "close", last_exposure_at=T0, edition=E9, tz=TZ,
                                           now=T0 + timedelta(hours=5), source=("case", case.case_no))
        s.add(PersonSourceKey(person_fk=p2.id, key="OTHER-KEY", source="test", data={}, linked_by="merge"))
    for at in (T0 + timedelta(hours=6), T0 + timedelta(days=2, hours=1), T0 + timedelta(days=5)):
        for pid in ("P1", "P2", "P3", "OTHER-KEY"):
            assert _same(url, pid, at)
    with unit_of_work(actor="test") as s:
        case = s.merge(case)
        hospitals.discharge(s, case, at=T0 + timedelta(days=12), samples=[
            DischargeSample(T0 + timedelta(days=10), 36), DischargeSample(T0 + timedelta(days=11), None)])
    for at in (T0 + timedelta(days=12, hours=1), T0 + timedelta(days=30)):
        assert _same(url, "P1", at)
    # P2's isolation past its nominal end, its tests pending: the end condition reads results, the ORM way
    end = max(s_ for (s_,) in _rows(url, "SELECT end_at FROM measure"))
    assert not _same(url, "P2", plain_store.instant(end) + timedelta(hours=1))
    with unit_of_work() as s:
        assert s.scalar(select(Measure.needs_results).where(Measure.person_fk == p2.id))


def _rows(url, sql):
    store = plain_store.connect(url)
    try:
        return [tuple(vars(r).values()) for r in store.rows(sql)]
    finally:
        store.close()


def test_a_store_not_at_head_is_not_read_plainly(sqlite_env):
    url = sqlite_env.database_url
    plain_store.connect(url).close()
    with unit_of_work() as s:
        s.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    with pytest.raises(plain_store.NotPlain):
        plain_store.connect(url)
    with pytest.raises(plain_store.NotPlain):
        plain_store.connect("sqlite:///" + str(sqlite_env.lake) + "/none.db")
