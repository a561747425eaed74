"""The pages' masking filters (fangkong/kit/webkit.py): a person without a name, phone or ID number shows the
neutral mark, never "None" (issue 25), masked or unmasked; a value present is masked as DOMAIN.md §11 says. Every
filter of the templates whose name starts with mask_ is checked, so one added later is too."""

from __future__ import annotations

import pytest

from fangkong.db.scope import Principal, reset_principal, set_principal
from fangkong.kit.webkit import MASKING_FILTERS, MISSING, templates

STAFF = Principal(username="v", role="verifier", prefix=None)
FILTERS = sorted(name for name in templates.env.filters if name.startswith("mask"))
VALUES = {"mask_name": ("张三丰", "张**"), "mask_phone": ("13812345678", "138****5678"),
          "mask_id": ("110101199003070012", "110***********0012")}


@pytest.fixture(params=["masked", "unmasked"])
def principal(request):
    who = STAFF if request.param == "masked" else STAFF.__class__(**{**STAFF.__dict__, "unmask": True})
    token = set_principal(who)
    yield request.param
    reset_principal(token)


def test_the_filters_are_the_masking_filters():
    assert FILTERS == sorted(MASKING_FILTERS) and set(VALUES) == set(FILTERS)


@pytest.mark.parametrize("name", FILTERS)
@pytest.mark.parametrize("missing", [None, ""])
def test_a_missing_value_renders_the_neutral_mark(principal, name, missing):
    assert templates.env.filters[name](missing) == MISSING
    out = templates.env.from_string("<td>{{ v | " + name + " }}</td>").render(v=missing)
    assert out == f"<td>{MISSING}</td>" and "None" not in out


@pytest.mark.parametrize("name", FILTERS)
def test_a_value_is_masked_unless_unmasked(principal, name):
    raw, masked = VALUES[name]
    assert templates.env.filters[name](raw) == (masked if principal == "masked" else raw)
