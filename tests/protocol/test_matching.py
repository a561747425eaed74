"""Person matching rules: similarities, the score, the decision (unit cases and properties)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fangkong.protocol import matching as m
from fangkong.protocol.idnumber import make

names = st.text(alphabet="张王李赵刘陈杨黄三四五丰峰明华 ab·", max_size=8)
phones = st.from_regex(r"1[3-9]\d{9}", fullmatch=True)
dates = st.dates(date(1930, 1, 1), date(2022, 12, 31))
addresses = st.text(alphabet="太原市迎泽区街路号12345 ", max_size=20)


def rec(**kw) -> m.Record:
    return m.prepare(**kw)


def test_normalisation():
    assert m.normalise_name(" 阿卜杜·热合曼 ") == m.normalise_name("阿卜杜热合曼")
    assert m.normalise_name("ＺＨＡＮＧ San") == "zhangsan"
    assert m.normalise_address("山西省太原市迎泽区迎泽街12号") == m.normalise_address("迎泽街１２号") == "迎泽街12号"
    assert m.normalise_name("   ") is None and m.normalise_address(None) is None


def test_field_similarities():
    assert m.name_similarity("张三丰", "张三峰") == pytest.approx(2 / 3)
    assert m.name_similarity("张三", None) is None
    assert m.phone_similarity("13800000001", "13800000001") == 1.0
    assert m.phone_similarity("13800000001", "13800000002") == 0.5
    assert m.phone_similarity("13800000001", "13900000002") == 0.0
    assert m.birth_similarity(date(1980, 3, 4), date(1980, 4, 3)) == 0.5  # month and day swapped
    assert m.birth_similarity(date(1980, 3, 4), date(1981, 3, 4)) == 0.5
    assert m.birth_similarity(date(1980, 3, 4), date(1981, 3, 5)) == 0.0
    assert m.address_similarity("迎泽街12号", "迎泽街13号") == pytest.approx(4 / 6)


def test_an_id_number_supplies_birth_date_and_sex():
    r = rec(id_number=make("140105", date(1980, 1, 2), 101))
    assert r.birth_date == date(1980, 1, 2) and r.sex == "M"


def test_scores_and_decisions():
    th = m.Thresholds()
    a = rec(name="张三丰", phones=["13800000001"], birth_date=date(1980, 1, 2), address="迎泽街12号")
    assert m.compare(a, a).score == pytest.approx(1.0) and m.decide(1.0, th) == "link"
    # name + phone + birth date, another address: still the same person
    b = rec(name="张三丰", phones=["13800000001"], birth_date=date(1980, 1, 2), address="并州路1号")
    assert m.decide(m.compare(a, b).score, th) == "link"
    # name + birth date only: an analyst decides
    c = rec(name="张三丰", birth_date=date(1980, 1, 2))
    assert m.decide(m.compare(a, c).score, th) == "review"
    # a shared household phone and nothing else: a new person
    d = rec(name="李四", phones=["13800000001"], birth_date=date(2010, 5, 5))
    assert m.decide(m.compare(a, d).score, th) == "new"
    # different ID numbers or sexes are never the same person, whatever else agrees
    e1 = rec(name="张三丰", id_number=make("140105", date(1980, 1, 2), 101))
    e2 = rec(name="张三丰", id_number=make("140105", date(1980, 1, 2), 103))
    assert m.compare(e1, e2).score == 0.0 and m.compare(e1, e2).veto == "different resident ID numbers"
    assert m.compare(rec(name="王五", sex="M"), rec(name="王五", sex="F")).veto == "different sex"


def test_thresholds_must_be_ordered():
    with pytest.raises(ValueError):
        m.Thresholds(link=0.5, review=0.7)


@given(names, names)
def test_name_similarity_is_a_symmetric_ratio(a, b):
    a, b = m.normalise_name(a), m.normalise_name(b)
    s = m.name_similarity(a, b)
    assert s == m.name_similarity(b, a)
    assert s is None or 0.0 <= s <= 1.0
    assert s is None or (s == 1.0) == (a == b)


@given(st.lists(phones, max_size=2), names, dates, addresses, st.lists(phones, max_size=2), names, dates, addresses)
def test_score_is_symmetric_and_bounded(p1, n1, d1, a1, p2, n2, d2, a2):
    r1 = rec(name=n1, phones=p1, birth_date=d1, address=a1)
    r2 = rec(name=n2, phones=p2, birth_date=d2, address=a2)
    s = m.compare(r1, r2).score
    assert 0.0 <= s <= 1.0 + 1e-12
    assert s == pytest.approx(m.compare(r2, r1).score)


@given(st.floats(0, 1), st.floats(0.01, 1), st.floats(0.01, 1))
def test_decision_is_monotone_in_the_score(score, x, y):
    th = m.Thresholds(link=max(x, y), review=min(x, y))
    order = {"new": 0, "review": 1, "link": 2}
    assert order[m.decide(score, th)] <= order[m.decide(min(1.0, score + 0.1), th)]
