"""Code tokens: what a citizen's health code shows (the QR), instead of their enumerable person id.

A token names one person for `TOKEN_TTL` (real health codes refresh every few minutes, so a screenshot goes
stale) and cannot be read or made without FANGKONG_SECRET_KEY: the person id is encrypted (HMAC-SHA256 as a
keystream over a random nonce) and the whole is authenticated (HMAC-SHA256, encrypt-then-MAC), with keys
derived from the secret. A device learns from it only what its answer needs; checking one costs a few
microseconds in process, so the scan hot path reads no record to know who is scanning.

    token = "hc1." + base64url(expires (4 bytes, epoch seconds) | nonce (8) | encrypted person id | tag (16))
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from fangkong.errors import InvalidInput

__all__ = ["TOKEN_TTL", "CodeTokenError", "make_token", "read_token"]

TOKEN_TTL = timedelta(minutes=3)
_PREFIX = "hc1."
_NONCE, _TAG, _MAX_ID = 8, 16, 64


class CodeTokenError(InvalidInput):
    """A code token that is not one of ours, altered, or expired: the person shows a fresh code."""


@lru_cache(maxsize=8)
def _keys(secret: str) -> tuple[bytes, bytes]:
    root = hashlib.sha256(b"fangkong code token\0" + secret.encode()).digest()
    return (hmac.new(root, b"encrypt", hashlib.sha256).digest(), hmac.new(root, b"mac", hashlib.sha256).digest())


def _stream(key: bytes, nonce: bytes, size: int) -> bytes:
    out = b""
    block = 0
    while len(out) < size:
        out += hmac.new(key, nonce + block.to_bytes(4, "big"), hashlib.sha256).digest()
        block += 1
    return out[:size]


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def make_token(person_id: str, *, secret: str, now: datetime, ttl: timedelta = TOKEN_TTL) -> tuple[str, datetime]:
    """A fresh token for the person, and when it expires (whole seconds)."""
    enc, mac = _keys(secret)
    expires = int((now + ttl).timestamp())
    plain = person_id.encode()
    if not 0 < len(plain) <= _MAX_ID:
        raise InvalidInput("a person id is 1-64 bytes")
    nonce = secrets.token_bytes(_NONCE)
    body = expires.to_bytes(4, "big") + nonce + _xor(plain, _stream(enc, nonce, len(plain)))
    tag = hmac.new(mac, body, hashlib.sha256).digest()[:_TAG]
    return _PREFIX + base64.urlsafe_b64encode(body + tag).rstrip(b"=").decode(), datetime.fromtimestamp(expires, UTC)


def read_token(token: str, *, secret: str, now: datetime) -> str:
    """The person id a valid, unexpired token names; CodeTokenError otherwise."""
    enc, mac = _keys(secret)
    if not token.startswith(_PREFIX) or len(token) > 200:
        raise CodeTokenError("not a health-code token")
    data = token[len(_PREFIX):]
    try:
        raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    except (binascii.Error, ValueError):
        raise CodeTokenError("not a health-code token") from None
    if len(raw) < 4 + _NONCE + 1 + _TAG:
        raise CodeTokenError("not a health-code token")
    body, tag = raw[:-_TAG], raw[-_TAG:]
    if not hmac.compare_digest(tag, hmac.new(mac, body, hashlib.sha256).digest()[:_TAG]):
        raise CodeTokenError("this health-code token is not genuine")
    if int.from_bytes(body[:4], "big") < now.timestamp():
        raise CodeTokenError("this health code has expired: show a fresh one")
    nonce, sealed = body[4:4 + _NONCE], body[4 + _NONCE:]
    try:
        return _xor(sealed, _stream(enc, nonce, len(sealed))).decode()
    except UnicodeDecodeError:   # pragma: no cover - the tag vouches for what we encrypted
        raise CodeTokenError("this health-code token is not genuine") from None
