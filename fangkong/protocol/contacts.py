"""A staff user's contacts for notifications (issue 27), checked and normalised before they are stored: an e-mail
address, a phone for SMS (digits, an optional leading +), a webhook (an http(s) URL). Empty text clears one."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = ["EMAIL_MAX", "WEBHOOK_MAX", "email", "phone", "team", "webhook"]

EMAIL_MAX = 254
WEBHOOK_MAX = 200
_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\".]+$")
_PHONE_SEPARATORS = re.compile(r"[\s\-().]")
_TEAM = re.compile(r"^[A-Za-z0-9_.\-]{1,32}$")


def email(text: str | None) -> str | None:
    """An e-mail address as stored, None for empty; ValueError when it is not one."""
    value = (text or "").strip()
    if not value:
        return None
    if len(value) > EMAIL_MAX or not _EMAIL.match(value):
        raise ValueError(f"{value[:60]!r} is not an e-mail address (name@example.org)")
    return value


def phone(text: str | None) -> str | None:
    """A phone for SMS as digits (an international one keeps its +): spaces, dashes, dots and brackets go."""
    value = _PHONE_SEPARATORS.sub("", (text or "").strip())
    if not value:
        return None
    digits = value[1:] if value.startswith("+") else value
    if not digits.isascii() or not digits.isdigit() or not 5 <= len(digits) <= 15:
        raise ValueError(f"{(text or '')[:30]!r} is not a phone number (5-15 digits, e.g. 13800000000 or "
                         "+8613800000000)")
    return value


def webhook(text: str | None) -> str | None:
    """An http(s) URL with a host, at most WEBHOOK_MAX characters, no spaces."""
    value = (text or "").strip()
    if not value:
        return None
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        host = None
        parts = None
    if len(value) > WEBHOOK_MAX or parts is None or parts.scheme not in ("http", "https") or not host \
            or any(c.isspace() for c in value) or not value.isprintable():
        raise ValueError(f"a webhook is an http(s) URL of at most {WEBHOOK_MAX} characters, e.g. "
                         "https://chat.example.org/robot/send?key=…")
    return value


def team(text: str | None) -> str | None:
    """A tracing team's id (letters, digits, '.', '_', '-'; at most 32)."""
    value = (text or "").strip()
    if not value:
        return None
    if not _TEAM.match(value):
        raise ValueError(f"{value[:40]!r} is not a tracing team id (letters, digits, '.', '_', '-'; at most 32)")
    return value
