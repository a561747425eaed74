"""persons.csv from several sources resolves to one record per person; person_phones.csv; bad input."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from builders.city import person, venue, write_city, write_csv
from clihelp import fk
from sqlalchemy import func, select

from fangkong.kit.clikit import unit_of_work
from fangkong.people import phones
from fangkong.people import service as people_service
from fangkong.people.models import MatchReview, Person, PersonPhone, PersonSourceKey

pytestmark = pytest.mark.both_stores

TZ = ZoneInfo("Asia/Shanghai")


def count(model) -> int:
    with unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(model))


def register(tmp_path, n: int = 5):
    write_csv(tmp_path / "reg" / "persons.csv", [person(i) for i in range(1, n + 1)])
    r = fk("import", tmp_path / "reg")
    assert r.exit_code == 0, r.output


def test_same_id_number_links_and_reimport_changes_nothing(env, tmp_path):
    register(tmp_path)
    second = [{**person(1), "person_id": "VC-1", "phone": "13900000001", "address": ""},  # same ID number
              {**person(2), "person_id": "VC-2", "id_number": "", "name": "人 2"},      # score: all fields agree
              {**person(3), "person_id": "VC-3", "id_number": "", "phone": "", "address": "别处"},  # grey band
              {**person(77), "person_id": "VC-77"}]                                    # nobody known
    write_csv(tmp_path / "vc" / "persons.csv", second)
    r = fk("import", tmp_path / "vc", "--source", "venue_codes")
    assert r.exit_code == 0, r.output
    assert "1 new persons, 2 keys linked to known persons (1 by ID number, 1 by match score), 1 for review" in \
        " ".join(r.output.split())
    assert count(Person) == 5 + 1 + 1 and count(PersonSourceKey) == 2 and count(MatchReview) == 1
    with unit_of_work() as s:
        assert people_service.get_person(s, "VC-1").person_id == "P00001"
        assert people_service.get_person(s, "VC-2").person_id == "P00002"
        both = people_service.persons_by_ids(s, ["P00001", "VC-1", "VC-2", "nobody"])
        assert both["P00001"] is both["VC-1"] and "nobody" not in both
        key = s.scalar(select(PersonSourceKey).where(PersonSourceKey.key == "VC-2"))
        assert key.source == "venue_codes" and key.linked_by == "score" and key.evidence["fields"]["name"] == 1.0
        review = s.scalar(select(MatchReview))
        assert review.key == "VC-3" and review.candidate_fk == people_service.get_person(s, "P00003").id
        assert 0.6 <= review.score < 0.85
        # the linked row's own phone is a further contact phone of the person
        assert s.scalar(select(PersonPhone.phone).where(PersonPhone.source == "VC-1")) == "13900000001"
        assert people_service.persons_by_phones(s, ["13900000001"])["13900000001"].person_id == "P00001"
        assert [k for k in people_service.source_keys(s, [both["P00001"]]).values()] == [["P00001", "VC-1"]]
    r = fk("import", tmp_path / "vc", "--source", "venue_codes")
    assert r.exit_code == 0 and count(Person) == 7 and count(PersonSourceKey) == 2 and count(MatchReview) == 1


def test_two_id_numbers_for_one_source_key_is_rejected(env, tmp_path):
    register(tmp_path)
    write_csv(tmp_path / "vc" / "persons.csv", [{**person(1), "person_id": "VC-1"}])
    assert fk("import", tmp_path / "vc").exit_code == 0
    write_csv(tmp_path / "again" / "persons.csv", [{**person(1), "person_id": "VC-1", "id_number": person(9)["id_number"]}])
    r = fk("import", tmp_path / "again")
    assert r.exit_code == 1
    out = " ".join(r.output.split())
    assert "persons.csv:2: person_id 'VC-1' already stored with resident ID number 140***********" in out
    assert "one source key has one ID number (not overwritten)" in out
    with unit_of_work() as s:
        assert s.scalar(select(PersonSourceKey.data).where(PersonSourceKey.key == "VC-1"))["id_number"] == \
            person(1)["id_number"]
    assert count(Person) == 5 and count(PersonSourceKey) == 1


def test_rows_of_one_file_with_one_id_number_are_one_person(env, tmp_path):
    write_csv(tmp_path / "a" / "persons.csv", [person(1), {**person(1), "person_id": "X-1", "name": "人一"}])
    r = fk("import", tmp_path / "a")
    assert r.exit_code == 0, r.output
    assert count(Person) == 1 and count(PersonSourceKey) == 1


def test_visits_under_a_further_key_are_accepted(env, tmp_path):
    register(tmp_path, 2)
    folder = write_city(tmp_path / "vc", [{**person(1), "person_id": "VC-1"}], [venue("V1")],
                        [{"person_id": "VC-1", "venue_id": "V1", "enter_at": "2022-03-10T12:00", "leave_at": ""}])
    r = fk("import", folder)
    assert r.exit_code == 0, r.output


def test_phone_moves_to_a_new_owner_on_a_date(env, tmp_path):
    register(tmp_path, 3)
    write_csv(tmp_path / "ph" / "person_phones.csv", [
        {"person_id": "P00001", "phone": "13800000001", "valid_from": "", "valid_to": "2022-03-05"},
        {"person_id": "P00002", "phone": "13800000001", "valid_from": "2022-03-05", "valid_to": ""}])
    r = fk("import", tmp_path / "ph")
    assert r.exit_code == 0, r.output
    with unit_of_work() as s:
        before = people_service.persons_by_phones(s, ["13800000001"], at=datetime(2022, 3, 4, 23, tzinfo=TZ))
        after = people_service.persons_by_phones(s, ["13800000001"], at=datetime(2022, 3, 5, 0, 1, tzinfo=TZ))
        assert before["13800000001"].person_id == "P00001" and after["13800000001"].person_id == "P00002"
        owners = people_service.phone_owners(s, ["13800000001", "13800000003"])
        assert owners.at("13800000003").person_id == "P00003"  # a contact phone with no ownership record
    assert fk("import", tmp_path / "ph").exit_code == 0 and count(PersonPhone) == 2  # idempotent


@pytest.mark.parametrize("registrations_first", [False, True])
def test_owner_candidates_are_the_same_scanned_or_looked_up(env, tmp_path, monkeypatch, registrations_first):
    """A bad day wants most of the city's phones: the phone index is read in one pass (phones.SCAN_SHARE) and the
    registrations picked in Python; a trace wants a few: each is looked up. Both give the same candidates.
    registrations_first: more registrations than phones wanted, so they are looked up too."""
    register(tmp_path, 4)
    write_csv(tmp_path / "ph" / "person_phones.csv", [
        {"person_id": "P00001", "phone": "13800000001", "valid_from": "", "valid_to": "2022-03-05"},
        {"person_id": "P00002", "phone": "13800000001", "valid_from": "2022-03-05", "valid_to": ""},
        {"person_id": "P00003", "phone": "13900000009", "valid_from": "2022-03-01", "valid_to": ""}])
    assert fk("import", tmp_path / "ph").exit_code == 0
    wanted = ["13800000001", "13800000003", "13900000009", "13700000000"] if not registrations_first else \
        ["13800000001"]
    got = {}
    with unit_of_work() as s:
        for share in (0.0, 1e9):
            monkeypatch.setattr(phones, "SCAN_SHARE", share)
            t = phones.owner_candidates(s, wanted)
            got[share] = sorted(zip(*(t.column(c).to_pylist() for c in t.column_names), strict=True))
    assert got[0.0] == got[1e9]
    assert {r[0] for r in got[0.0]} == ({"13800000001", "13800000003", "13900000009"} if not registrations_first
                                        else {"13800000001"})
    assert sum(r[3] == 0 for r in got[0.0]) == (3 if not registrations_first else 2)  # real-name owners


def test_a_phone_claimed_by_two_people_at_once_is_rejected(env, tmp_path):
    register(tmp_path, 3)
    write_csv(tmp_path / "ph" / "person_phones.csv", [
        {"person_id": "P00001", "phone": "13800000001", "valid_from": "2022-03-01", "valid_to": ""}])
    assert fk("import", tmp_path / "ph").exit_code == 0
    write_csv(tmp_path / "bad" / "person_phones.csv", [
        {"person_id": "P00003", "phone": "13800000003", "valid_from": "", "valid_to": ""},
        {"person_id": "P00002", "phone": "13800000001", "valid_from": "2022-03-04", "valid_to": "2022-03-09"},
        {"person_id": "P00009", "phone": "13800000009", "valid_from": "", "valid_to": ""}])
    r = fk("import", tmp_path / "bad", "--strict")
    assert r.exit_code == 1
    assert "person_phones.csv:3: phone 138****0001 is owned by P00001 from 2022-03-01 to now: a phone has one " \
           "owner at a time" in " ".join(r.output.split())
    assert "person_phones.csv:4: unknown person P00009" in r.output
    assert count(PersonPhone) == 1  # --strict: nothing from the bad file


def test_bad_source_name(env, tmp_path):
    register(tmp_path, 1)
    r = fk("import", tmp_path / "reg", "--source", "a b")
    assert r.exit_code == 1 and "source 'a b'" in r.output


def test_a_key_repeated_in_the_file_is_unchanged_or_an_error_naming_the_first_line(env, tmp_path):
    """Within one file: the first good row of a key is the one imported; a later identical row is unchanged,
    a later different row an error naming the first line; a row rejected by validation is never 'first'."""
    rows = [person(1), person(2),                                     # lines 2, 3
            {**person(3), "id_number": "110101199001011235"},         # line 4: bad check character
            {**person(1)},                                            # line 5: identical to line 2
            {**person(2), "name": "别人"},                            # line 6: other data than line 3
            person(3)]                                                # line 7: the first good P3
    write_csv(tmp_path / "dup" / "persons.csv", rows)
    r = fk("import", tmp_path / "dup")
    out = " ".join(r.output.split())
    assert "persons.csv:6: duplicate person_id 'P00002' with different data (first at line 3)" in out, out
    assert "persons.csv:4: invalid resident ID number" in out, out
    assert "persons.csv:5" not in out, out
    assert "│ persons.csv │ 6 │ 3 │ 1 │ 2 │ yes │" in out, out        # rows, new, unchanged, rejected
    with unit_of_work() as s:
        names = dict(s.execute(select(Person.person_id, Person.name)).all())
    assert set(names) == {person(i)["person_id"] for i in (1, 2, 3)}
    assert names[person(2)["person_id"]] == person(2)["name"]
    r = fk("import", tmp_path / "dup")                                # again: nothing new, nothing lost
    assert count(Person) == 3


def test_a_strict_import_with_a_repeated_key_writes_nothing(env, tmp_path):
    write_csv(tmp_path / "dup" / "persons.csv", [person(1), person(2), {**person(2), "name": "别人"}])
    r = fk("import", tmp_path / "dup", "--strict")
    assert "first at line 3" in " ".join(r.output.split()), r.output
    assert count(Person) == 0


def test_new_persons_read_back_through_the_models_as_imported(env, tmp_path):
    """New persons are written from Arrow columns (db.bulk): every field reads back as the ORM stores it, and the
    same file again is all unchanged."""
    from datetime import date

    rows = [person(1), {**person(2), "birth_date": "", "address": "", "sex": ""}, person(3, phone="")]
    write_csv(tmp_path / "reg" / "persons.csv", rows)
    r = fk("import", tmp_path / "reg", "--source", "hukou")
    assert r.exit_code == 0, r.output
    with unit_of_work() as s:
        got = {p.person_id: p for p in s.scalars(select(Person))}
        one = got["P00001"]
        assert isinstance(one.birth_date, date) and one.birth_date.isoformat() == person(1)["birth_date"]
        assert (one.name, one.id_number, one.phone, one.household_id, one.community, one.address, one.sex,
                one.source) == (*(person(1)[f] for f in ("name", "id_number", "phone", "household_id", "community",
                                                         "address", "sex")), "hukou")
        assert one.created_at is not None and abs((datetime.now(TZ) - one.created_at).total_seconds()) < 600
        # an empty cell is no value; birth date and sex stay as given (read from the ID number only when matching)
        assert (got["P00002"].birth_date, got["P00002"].address, got["P00002"].sex) == (None, None, None)
        assert got["P00003"].phone is None
    r = fk("import", tmp_path / "reg", "--source", "hukou")
    assert r.exit_code == 0 and "│ persons.csv │ 3 │ 0 │ 3 │ 0 │ yes │" in " ".join(r.output.split()), r.output


def test_links_written_slice_by_slice_add_a_phone_once(env, tmp_path, monkeypatch):
    """Rows linked in different slices of the write, each giving the same new phone for one person: the phone
    is added once (each slice compares with what the earlier ones stored)."""
    from fangkong.people import persons_import

    register(tmp_path, n=3)
    monkeypatch.setattr(persons_import, "_SLICE", 2)
    rows = [{**person(1), "person_id": f"HK-{i}", "phone": "13911112222"} for i in range(5)]
    rows += [{**person(2), "person_id": "HK-9", "phone": "13911113333"}]
    write_csv(tmp_path / "hk" / "persons.csv", rows)
    r = fk("import", tmp_path / "hk", "--source", "hukou")
    assert r.exit_code == 0, r.output
    assert "0 new persons, 6 keys linked to known persons (6 by ID number" in " ".join(r.output.split())
    with unit_of_work() as s:
        added = s.execute(select(PersonPhone.phone, PersonPhone.source).order_by(PersonPhone.phone)).all()
    assert added == [("13911112222", "HK-0"), ("13911113333", "HK-9")] and count(PersonSourceKey) == 6
