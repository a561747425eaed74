"""Resident ID numbers (GB 11643-1999): check character and masking."""

from __future__ import annotations

import re
from datetime import date

__all__ = ["check_char", "is_valid", "make", "mask", "mask_phone", "mask_name", "sex_of", "birth_date_of"]

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


def check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character for the first 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("need 17 digits")
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def birth_date_of(number: str) -> date | None:
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def is_valid(number: str | None) -> bool:
    """True for an 18-character resident ID with a real birth date and the right check character."""
    if not number:
        return False
    number = number.strip().upper()
    if not _SHAPE.match(number):
        return False
    return birth_date_of(number) is not None and check_char(number[:17]) == number[17]


def make(region: str, birth: date, sequence: int) -> str:
    """Build a valid ID number: 6-digit region code, birth date, 3-digit sequence (odd = male)."""
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)


def sex_of(number: str) -> str:
    return "M" if int(number[16]) % 2 else "F"


def mask(number: str | None) -> str | None:
    """110***********1234: first 3 and last 4 characters kept (DOMAIN.md §11)."""
    if not number:
        return number
    if len(number) <= 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def mask_phone(phone: str | None) -> str | None:
    """138****5678."""
    if not phone:
        return phone
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_name(name: str | None) -> str | None:
    """张** : the family name is kept, the given name hidden."""
    if not name:
        return name
    return name[0] + "*" * (len(name) - 1)
