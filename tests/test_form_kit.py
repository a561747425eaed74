"""The web forms' kit (fangkong/kit/forms.py): errors by field in the user's language; the forms' part of the
translation table never redefines a key of the main table and has both languages."""

from __future__ import annotations

from pydantic import BaseModel, Field

from fangkong.kit import i18n
from fangkong.kit.forms import parse
from fangkong.kit.i18n_forms import FORMS
from fangkong.protocol.times import Happened


class _Form(BaseModel):
    person_id: str = Field(min_length=1, max_length=8)
    sampled_at: Happened


def test_errors_by_field_with_the_fields_label():
    form, state = parse(_Form, {"person_id": "", "sampled_at": "1999-01-01T08:00"}, "zh")
    assert form is None and state.status == 422
    assert state.errors == {"person_id": "缺少必填项：人员编号",
                            "sampled_at": "采样时间：“1999-01-01T08:00”不在合理的时间范围内（2019-12-01 至今）"}
    _, state = parse(_Form, {"sampled_at": "soon"}, "en")
    assert state.errors["sampled_at"] == "sampled at: 'soon' is not a date and time"
    assert state.values == {"sampled_at": "soon"}


def test_a_valid_form():
    form, state = parse(_Form, {"person_id": " P1 ", "sampled_at": "2022-03-14T08:30"}, "zh")
    assert form.person_id == "P1" and state.ok and state.status == 200


def test_the_forms_table_adds_keys_only():
    assert not set(FORMS) & set(i18n._TABLE)
    assert all(len(pair) == 2 and all(pair) for pair in FORMS.values())
    assert i18n.t("nav_entry", "en") == "Data entry"
