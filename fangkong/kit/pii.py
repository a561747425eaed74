"""Personal data as shown to the current caller: masked (110***********1234) unless unmasking was allowed.

Unmasking is per request: a user with `pii:unmask` adds `?unmask=true&reason=...`; the auth middleware checks
the permission and writes the audit entry before the route runs. The CLI (the local operator, no request)
sees data unmasked.
"""

from __future__ import annotations

from fangkong.db.scope import current_principal
from fangkong.protocol import idnumber

__all__ = ["id_number", "name", "phone", "unmasked"]


def unmasked() -> bool:
    principal = current_principal()
    return principal is None or principal.unmask


def id_number(value: str | None) -> str | None:
    return value if unmasked() else idnumber.mask(value)


def phone(value: str | None) -> str | None:
    return value if unmasked() else idnumber.mask_phone(value)


def name(value: str | None) -> str | None:
    return value if unmasked() else idnumber.mask_name(value)
