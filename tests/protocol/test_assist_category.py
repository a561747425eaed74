"""The risk category an inbound assistance request (协查) states, read from its reason (protocol.assist)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fangkong.protocol.assist import CATEGORY_WORDS, stated_category
from fangkong.protocol.edition import CATEGORIES


@pytest.mark.parametrize("reason, category", [
    ("密接", "close"), ("密切接触者", "close"), ("确诊病例C3的密接", "close"),
    ("次密接", "secondary"), ("密接的密接", "secondary"), ("密切接触者的密切接触者", "secondary"),
    ("时空伴随", "companion"), ("时空伴随者协查", "companion"), ("轨迹重合", "overlap"), ("一般接触者", "overlap"),
    ("密接及次密接", "close"), ("次密接、时空伴随", "secondary"), ("close", "close"), ("Secondary", "secondary"),
    ("核实行程", None), ("", None), ("次", None),
])
def test_reasons(reason, category):
    assert stated_category(reason) == category


WORDS = [(c, w) for c, ws in CATEGORY_WORDS for w in ws]
#: filler that can form none of the words (no 密, 次, 时, 轨, 一)
FILLER = st.text(alphabet="协查函病例患者行程核实上海北京与及在于日号", max_size=6)


@given(st.lists(st.tuples(st.sampled_from(WORDS), FILLER), max_size=5), FILLER)
def test_the_highest_category_named_is_read(parts, tail):
    """Words separated by 、 (as a 协查函 lists them), with filler around: the highest category named, or None."""
    text = "、".join(f"{filler}{word}" for (_, word), filler in parts) + tail
    named = {c for (c, _), _ in parts}
    expected = next((c for c in CATEGORIES if c in named), None)
    assert stated_category(text) == expected
