"""One vocabulary for assistance requests and door verification: the enums keep the stored strings, and every
outcome maps to a task status (and a verification outcome to what goes back to an issuer)."""

from __future__ import annotations

import re

from fangkong.assist import service as assist_service
from fangkong.assist import web as assist_web
from fangkong.assist.models import (
    DIRECTION_PATTERN,
    DIRECTIONS,
    DRUG_CLASSES,
    OUTCOMES,
    RISK_LEVELS,
    AssistDirection,
    AssistOutcome,
)
from fangkong.kit.i18n import t
from fangkong.measures.models import VerificationOutcome
from fangkong.measures.verification import service as verification
from fangkong.tasks.models import TaskStatus


def test_the_stored_strings_are_unchanged():
    assert DIRECTIONS == ("inbound", "outbound")
    assert OUTCOMES == ("found_placed", "found_negative", "not_found", "moved_away", "wrong_person")
    assert DRUG_CLASSES == ("antipyretic", "cough", "antiviral", "antibiotic")
    assert RISK_LEVELS == ("high", "medium", "low")
    assert tuple(VerificationOutcome) == ("found_placed", "moved", "not_found", "wrong_person")


def test_every_outcome_closes_its_task_with_a_task_status():
    assert set(assist_service.TASK_STATUS) == set(AssistOutcome)
    assert set(verification.OUTCOMES) == set(VerificationOutcome)
    for status in (*assist_service.TASK_STATUS.values(), *verification.OUTCOMES.values()):
        assert isinstance(status, TaskStatus) and status != TaskStatus.OPEN
    assert set(assist_service.FOUND) < set(AssistOutcome)


def test_every_verification_outcome_goes_back_to_the_issuer_and_has_its_words():
    assert set(assist_web.ASSIST_OUTCOME) == set(VerificationOutcome)
    assert set(assist_web.ASSIST_OUTCOME.values()) <= set(AssistOutcome)
    for outcome in VerificationOutcome:
        assert re.fullmatch(assist_web._OUTCOME_PATTERN, outcome)
        assert t(f"outcome_{outcome}") != f"outcome_{outcome}"
    assert not re.fullmatch(assist_web._OUTCOME_PATTERN, "moved_away")


def test_the_direction_pattern_takes_exactly_the_directions():
    for d in AssistDirection:
        assert re.fullmatch(DIRECTION_PATTERN, d)
    for other in ("", "Inbound", "inbound ", "both"):
        assert not re.fullmatch(DIRECTION_PATTERN, other)
