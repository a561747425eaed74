"""Bearer tokens, device tokens and page-session cookies that a forger cannot make look real.

Each credential is random (only its SHA-256 is stored) and carries a signature of itself made with the
deployment's secret: `fk_<random>.<signature>`. The auth middleware checks the signature on the event loop
(one HMAC, microseconds) before it looks anything up, so a forged or guessed credential is refused without
a worker thread, a connection or a read of the records; a flood of them costs the server what a 401 costs.

A credential that passed its signature and was then not found, revoked or expired is remembered for a while
in a per-process negative cache (such a credential never becomes good again: new ones are random), so the
same stolen or replayed value is not looked up again and again. The good ones are never cached here: a logout
or a revocation ends access at once in every process (docs/security.md).

Credentials made before signatures (no `.`) are still looked up in the records, except on the public
listener (`fangkong serve --public-port`), which refuses them at once (docs/operations.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

from fangkong.settings import get_settings

__all__ = ["FORGED", "SIGNED", "UNSIGNED", "forget_bad", "known_bad", "mint", "remember_bad", "signature"]

SIGNED, UNSIGNED, FORGED = "signed", "unsigned", "forged"
_DOMAIN = b"fangkong-credential:"
#: how long a refused credential is remembered, and how many at most (the oldest half goes when full)
BAD_TTL = 600.0
_MAX_BAD = 100_000
_bad: dict[str, float] = {}


def _signature(secret: str, body: str) -> str:
    mac = hmac.new(secret.encode(), _DOMAIN + body.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def mint(prefix: str) -> str:
    """A new credential: `prefix`, 32 random bytes, its signature with the deployment's secret."""
    body = prefix + secrets.token_urlsafe(32)
    return f"{body}.{_signature(get_settings().secret_key, body)}"


def signature(raw: str) -> str:
    """SIGNED (ours: look it up), FORGED (a signature, not ours: refuse it), UNSIGNED (made before signatures,
    or by a guesser)."""
    body, dot, sig = raw.rpartition(".")
    if not dot:
        return UNSIGNED
    if not body or not hmac.compare_digest(sig.encode(), _signature(get_settings().secret_key, body).encode()):
        return FORGED
    return SIGNED


def _key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def known_bad(raw: str) -> bool:
    """This credential was looked up lately and refused (not found, revoked, expired)."""
    at = _bad.get(_key(raw))
    return at is not None and time.monotonic() - at < BAD_TTL


def remember_bad(raw: str) -> None:
    if len(_bad) >= _MAX_BAD:
        for key in list(_bad)[: _MAX_BAD // 2]:   # insertion order: the oldest
            del _bad[key]
    _bad[_key(raw)] = time.monotonic()


def forget_bad() -> None:
    """Empty the negative cache (tests; a restore of the records from a backup)."""
    _bad.clear()
