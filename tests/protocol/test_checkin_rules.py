"""Check-in rules: well-formed reports, when a report alerts, the signed personal link."""

from hypothesis import given
from hypothesis import strategies as st

from fangkong.protocol.checkins import FEVER_FROM, SYMPTOMS, check_report, is_alert, sign, verify


def test_reports():
    assert check_report(36.6, []) is None and check_report(None, ["cough"]) is None
    assert "34–43" in check_report(45.0, [])
    assert "unknown symptom 'hiccups'" in check_report(36.5, ["hiccups"])
    assert not is_alert(37.2, []) and is_alert(FEVER_FROM, []) and is_alert(None, ["cough"])


@given(st.one_of(st.none(), st.floats(34, 43)), st.lists(st.sampled_from(SYMPTOMS), max_size=3))
def test_alert_exactly_on_fever_or_any_symptom(temperature, symptoms):
    assert is_alert(temperature, symptoms) == (bool(symptoms) or (temperature is not None and temperature >= 37.3))


@given(st.integers(1, 2**31 - 1), st.text(min_size=8, max_size=40))
def test_a_link_verifies_only_with_its_own_secret_and_untouched(measure_id, secret):
    token = sign(measure_id, secret)
    assert verify(token, secret) == measure_id
    assert verify(token, secret + "x") is None
    assert verify(f"{measure_id + 1}.{token.split('.')[1]}", secret) is None
    assert verify(token[:-1], secret) is None or token[-1] == token[-2]


def test_garbage_links_are_refused():
    for token in ("", ".", "abc", "1", "1.", "x.y", "9" * 20 + ".abc"):
        assert verify(token, "secret-key") is None
