"""One vocabulary: the enums on the models match the protocol's orders, and the category has one pattern."""

from __future__ import annotations

import re

from fangkong.contacts.models import CATEGORY_PATTERN, CATEGORY_PATTERN_OR_EMPTY, RiskCategory
from fangkong.protocol.classify import rank
from fangkong.protocol.edition import CATEGORIES


def test_the_enum_is_the_protocols_categories_in_order():
    assert tuple(RiskCategory) == CATEGORIES
    assert [rank(c) for c in RiskCategory] == [0, 1, 2, 3]


def test_the_patterns_take_exactly_the_categories():
    for c in RiskCategory:
        assert re.fullmatch(CATEGORY_PATTERN, c) and re.fullmatch(CATEGORY_PATTERN_OR_EMPTY, c)
    assert re.fullmatch(CATEGORY_PATTERN_OR_EMPTY, "") and not re.fullmatch(CATEGORY_PATTERN, "")
    for other in ("Close", "close ", "sealed_resident", "closeX"):
        assert not re.search(CATEGORY_PATTERN, other) and not re.search(CATEGORY_PATTERN_OR_EMPTY, other)


def test_the_code_colours_are_the_protocols():
    from fangkong.codes.models import CodeColour
    from fangkong.protocol.codes import COLOURS

    assert tuple(CodeColour) == COLOURS
