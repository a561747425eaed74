"""A staff user's contacts (fangkong.protocol.contacts): what is stored, what is refused, never anything else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fangkong.protocol import contacts


@pytest.mark.parametrize("text, stored", [("wang@office.example", "wang@office.example"),
                                          ("  li.lei+cdc@cdc.sx.gov.cn ", "li.lei+cdc@cdc.sx.gov.cn"),
                                          ("", None), (None, None), ("   ", None)])
def test_email_stored(text, stored):
    assert contacts.email(text) == stored


@pytest.mark.parametrize("text", ["wang", "wang@", "@office.example", "a@b", "a b@c.d", "a@b.c, d@e.f",
                                  "x" * 250 + "@a.bc", "a@b.c.", "<a@b.c>"])
def test_email_refused(text):
    with pytest.raises(ValueError, match="not an e-mail address"):
        contacts.email(text)


@pytest.mark.parametrize("text, stored", [("13800000001", "13800000001"), ("138-0000-0001", "13800000001"),
                                          ("+86 138 0000 0001", "+8613800000001"), ("(0351) 1234567", "03511234567"),
                                          ("", None), (None, None)])
def test_phone_stored(text, stored):
    assert contacts.phone(text) == stored


@pytest.mark.parametrize("text", ["1234", "1" * 16, "138000x0001", "++8613800000001", "１３８００００００01", "+"])
def test_phone_refused(text):
    with pytest.raises(ValueError, match="not a phone number"):
        contacts.phone(text)


@pytest.mark.parametrize("text", ["https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx",
                                  "http://127.0.0.1:8080/hook", "https://oapi.dingtalk.com/robot/send?access_token=x"])
def test_webhook_stored(text):
    assert contacts.webhook(text) == text


@pytest.mark.parametrize("text", ["ftp://x.org/a", "https://", "qyapi.weixin.qq.com/send", "javascript:alert(1)",
                                  "https://a.org/" + "x" * 200, "https://a.org/a b", "http://[::1", "file:///etc/passwd"])
def test_webhook_refused(text):
    with pytest.raises(ValueError, match="webhook is an http"):
        contacts.webhook(text)


def test_team():
    assert contacts.team(" T01 ") == "T01" and contacts.team("") is None
    for bad in ("T 01", "x" * 33, "队1"):
        with pytest.raises(ValueError, match="not a tracing team id"):
            contacts.team(bad)


@given(st.text(max_size=300))
def test_any_text_is_stored_as_a_fixed_point_or_refused(text):
    """Whatever is typed: a ValueError, or a value that checks as itself (what is stored is always valid)."""
    for rule in (contacts.email, contacts.phone, contacts.webhook, contacts.team):
        try:
            value = rule(text)
        except ValueError:
            continue
        assert value is None or rule(value) == value
        assert value is None or (value.strip() == value and value)


@given(st.from_regex(r"\+?[0-9]{5,15}", fullmatch=True), st.lists(st.sampled_from([" ", "-"]), max_size=3))
def test_phone_separators_are_dropped(digits, seps):
    spaced = digits[:3] + "".join(seps) + digits[3:]
    assert contacts.phone(spaced) == digits
