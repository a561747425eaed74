"""Daily health check-ins (Sara Alert style): what a report may say, when it raises an alert, the personal link."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

__all__ = ["SYMPTOMS", "FEVER_FROM", "check_report", "is_alert", "sign", "verify"]

#: symptoms a person can tick (WS 363.6-style list of respiratory-infection signs)
SYMPTOMS = ("fever", "cough", "sore_throat", "fatigue", "loss_of_taste_smell", "runny_nose", "muscle_ache",
            "diarrhea", "shortness_of_breath")
#: a temperature from this value is a fever (°C, axillary)
FEVER_FROM = 37.3


def check_report(temperature: float | None, symptoms: Sequence[str]) -> str | None:
    """None when the report is well formed, else why not."""
    if temperature is not None and not 34.0 <= temperature <= 43.0:
        return f"temperature {temperature} °C is not a body temperature (34–43)"
    unknown = sorted(set(symptoms) - set(SYMPTOMS))
    if unknown:
        return f"unknown symptom {unknown[0]!r}"
    return None


def is_alert(temperature: float | None, symptoms: Sequence[str]) -> bool:
    """Any symptom, or a fever, alerts the team."""
    return bool(symptoms) or (temperature is not None and temperature >= FEVER_FROM)


def _mac(measure_id: int, secret: str) -> str:
    digest = hmac.new(secret.encode(), f"checkin:{measure_id}".encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign(measure_id: int, secret: str) -> str:
    """The personal link's token for one measure: its id and a keyed signature (nothing to guess or enumerate)."""
    return f"{measure_id}.{_mac(measure_id, secret)}"


def verify(token: str, secret: str) -> int | None:
    """The measure id of a genuine token, None for anything else."""
    head, _, mac = token.partition(".")
    if not head.isdigit() or len(head) > 10 or not mac:
        return None
    measure_id = int(head)
    if measure_id >= 2**31:  # record ids are 32-bit
        return None
    return measure_id if hmac.compare_digest(mac, _mac(measure_id, secret)) else None
