"""Health codes follow every status change, say when they next change, and keep their history."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from builders.zones import traced_case
from clihelp import fk
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from fangkong.codes import service
from fangkong.codes.models import HealthCode, HealthCodeChange
from fangkong.kit.clikit import unit_of_work
from fangkong.measures import service as measure_service
from fangkong.measures.models import TestTask
from fangkong.people.service import get_person
from fangkong.protocol.codes import Reason, code_colour
from fangkong.protocol.edition import load_edition

TZ = ZoneInfo("Asia/Shanghai")
E9 = load_edition("9")


def at(*args):
    return datetime(*args, tzinfo=TZ)


def test_a_test_due_today_is_the_next_change_of_a_green_code():
    code = code_colour(E9, [Reason("overlap", at(2022, 3, 14)), Reason("overdue_test", None, since=at(2022, 3, 12))],
                       at(2022, 3, 11, 21))
    assert code.colour == "green" and code.changes_at == at(2022, 3, 12)
    later = code_colour(E9, [Reason("overdue_test", None, since=at(2022, 3, 12))], at(2022, 3, 12, 1))
    assert later.colour == "yellow" and later.changes_at is None


def test_a_yellow_reason_ahead_does_not_shorten_a_yellow_code_but_a_red_one_does():
    reasons = [Reason("companion", at(2022, 3, 14)), Reason("overdue_test", None, since=at(2022, 3, 12))]
    assert code_colour(E9, reasons, at(2022, 3, 11)).changes_at == at(2022, 3, 14)
    reasons.append(Reason("high_risk_area", None, since=at(2022, 3, 13)))
    assert code_colour(E9, reasons, at(2022, 3, 11)).changes_at == at(2022, 3, 13)


_t = st.datetimes(min_value=datetime(2022, 3, 1), max_value=datetime(2022, 3, 20), timezones=st.just(TZ))
_labels = st.sampled_from(["case", "close", "secondary", "companion", "overlap", "overdue_test", "high_risk_area"])
_reasons = st.lists(st.builds(Reason, _labels, st.none() | _t, st.none() | _t), max_size=6)


@given(_reasons, _t, st.floats(0, 1))
def test_property_the_colour_holds_until_changes_at(reasons, now, frac):
    code = code_colour(E9, reasons, now)
    horizon = code.changes_at or now + timedelta(days=30)
    t = now + (horizon - now) * frac
    if t < horizon:
        assert code_colour(E9, reasons, t).colour == code.colour


def test_codes_follow_tests_with_history(rollback_env, tmp_path):
    traced_case(tmp_path)   # P00004 was at the shop the same morning: a trajectory overlap, tests on 3/11 and 3/12
    with unit_of_work() as s:
        code = service.person_code(s, "P00004", edition=E9, now=at(2022, 3, 11, 22), tz=TZ)
        assert code.colour == "green" and code.changes_at == at(2022, 3, 12)
    with unit_of_work() as s:
        assert service.refresh(s, edition=E9, now=at(2022, 3, 12, 9), tz=TZ)["yellow"] == 1
        fk4 = get_person(s, "P00004").id
        assert s.get(HealthCode, fk4).reasons == [{"label": "overdue_test", "until": None}]
    with unit_of_work() as s:   # the results come in: the commit recolours the code, no explicit call
        for task in s.scalars(select(TestTask).where(TestTask.person_fk == fk4)):
            measure_service.record_test_result(s, task, "negative", at=at(2022, 3, 12, 15))
    with unit_of_work() as s:
        assert s.get(HealthCode, fk4).colour == "green"
        history = [(h.colour, h.at) for h in s.scalars(select(HealthCodeChange).where(HealthCodeChange.person_fk == fk4)
                                                       .order_by(HealthCodeChange.id))]
        assert history == [("yellow", at(2022, 3, 12, 9)), ("green", at(2022, 3, 12, 15))]


def test_cli_refresh(rollback_env):
    r = fk("codes", "refresh")
    assert r.exit_code == 0 and "codes refreshed: 0 changed" in r.stdout
