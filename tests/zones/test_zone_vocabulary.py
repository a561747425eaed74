"""One vocabulary for zones: the enums on the zone models match the protocol's levels and every edition's
[zones] table, the old tuples and query patterns come from the enums, and each value has its words."""

from __future__ import annotations

import re

import pytest

from fangkong.kit.i18n import t
from fangkong.protocol.edition import available_editions, load_edition
from fangkong.protocol.zones import LEVELS, RISK_OF, drawing, zone_label, zone_levels
from fangkong.zones.models import (
    LEVEL_PATTERN,
    LEVEL_PATTERN_OR_EMPTY,
    PLACE_KINDS,
    PLACE_REASONS,
    STATUS_PATTERN,
    STATUS_PATTERN_OR_EMPTY,
    ZONE_LEVELS,
    ZONE_STATUSES,
    PlaceKind,
    PlaceReason,
    Zone,
    ZoneLevel,
    ZoneStatus,
)


def test_the_levels_are_the_protocols_in_order():
    assert tuple(ZoneLevel) == LEVELS == ZONE_LEVELS
    assert set(RISK_OF) == set(ZoneLevel)


@pytest.mark.parametrize("name", available_editions())
def test_every_editions_zones_speak_the_enum(name):
    edition = load_edition(name)
    # the edition's own list, not the filtered one: a misspelt level would be dropped silently by drawing()
    assert set(edition.zones.get("levels", LEVELS)) <= set(ZoneLevel)
    assert set(edition.zones.get("labels", {})) <= set(ZoneLevel)
    assert zone_levels(edition) and all(isinstance(lv, str) and lv in ZONE_LEVELS for lv in zone_levels(edition))
    assert ZoneLevel.SEALED in zone_levels(edition)
    for level in zone_levels(edition):
        assert zone_label(edition, ZoneLevel(level)) == zone_label(edition, level)
    d = drawing(edition)
    # a drawn home is a place of one kind; a district low area is a district place
    assert d.home_by in ("compound", PlaceKind.BUILDING, "unit")
    assert d.low_area in (PlaceKind.DISTRICT, "rings")


def test_the_tuples_are_derived_and_the_values_unchanged():
    # the stored strings: changing one would need a data migration
    assert ZONE_STATUSES == ("proposed", "approved", "lifted", "rejected")
    assert PLACE_KINDS == ("venue", "grid", "building", "district")
    assert PLACE_REASONS == ("home", "long_stay", "visit", "surroundings", "district", "manual")
    assert Zone.__table__.c.status.default.arg == ZoneStatus.PROPOSED == "proposed"


def test_the_patterns_take_exactly_the_values():
    for pattern, pattern_or_empty, enum in ((STATUS_PATTERN, STATUS_PATTERN_OR_EMPTY, ZoneStatus),
                                            (LEVEL_PATTERN, LEVEL_PATTERN_OR_EMPTY, ZoneLevel)):
        for v in enum:
            assert re.fullmatch(pattern, v) and re.fullmatch(pattern_or_empty, v)
        assert re.fullmatch(pattern_or_empty, "") and not re.fullmatch(pattern, "")
        for other in ("Sealed", "sealed ", "approvedX", "high", "venue"):
            assert not re.search(pattern, other) and not re.search(pattern_or_empty, other)


def test_every_level_and_status_has_its_words():
    for level in ZoneLevel:
        assert t(level) != level and t(level, "en") != level
    for status in ZoneStatus:
        assert t(f"zone_{status}") != f"zone_{status}"


def test_a_stored_string_compares_equal_to_its_member():
    assert {"sealed": 1}.get(ZoneLevel.SEALED) == 1 and "approved" == ZoneStatus.APPROVED
    assert f"{PlaceKind.GRID}:{PlaceReason.MANUAL}" == "grid:manual"


def test_the_absence_reasons_are_the_protocols_and_worded():
    from fangkong.protocol.zones import ABSENCE_REASONS as PROTOCOL_REASONS
    from fangkong.zones.models import ABSENCE_REASONS, AbsenceReason

    assert tuple(AbsenceReason) == PROTOCOL_REASONS == ABSENCE_REASONS
    for reason in AbsenceReason:
        assert t(f"absence_{reason}") != f"absence_{reason}"
