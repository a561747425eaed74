"""Resident ID numbers (GB 11643-1999): check character and masking."""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["check_char", "is_valid", "valid_mask", "make", "mask", "mask_phone", "mask_name", "sex_of", "birth_date_of"]

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


_ASCII_SHAPE = r"^[0-9]{17}[0-9X]$"
_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def valid_mask(numbers: pa.Array) -> np.ndarray:
    """is_valid for a column of ID numbers at once (a register's millions): True where the number, as given
    (already stripped and upper-cased), is an 18-character ASCII resident ID with a real birth date and the
    right check character; False elsewhere and for nulls. Equal to is_valid on every ASCII value."""
    numbers = numbers.combine_chunks() if isinstance(numbers, pa.ChunkedArray) else numbers
    ok = pc.fill_null(pc.match_substring_regex(numbers, _ASCII_SHAPE), False).to_numpy(zero_copy_only=False)
    out = np.zeros(len(numbers), bool)
    at = np.flatnonzero(ok)
    if at.size == 0:
        return out
    shaped = pc.take(numbers, pa.array(at)).cast(pa.string())  # each value is 18 ASCII bytes, back to back
    first = np.frombuffer(shaped.buffers()[1], np.int32, count=1, offset=4 * shaped.offset)[0]
    raw = np.frombuffer(shaped.buffers()[2], np.uint8, count=18 * at.size, offset=int(first)).reshape(at.size, 18)
    d = raw[:, :17].astype(np.int32) - ord("0")
    check = np.frombuffer(_CHECK.encode(), np.uint8)[(d @ np.array(_WEIGHTS, np.int32)) % 11]
    year = d[:, 6] * 1000 + d[:, 7] * 100 + d[:, 8] * 10 + d[:, 9]
    month = d[:, 10] * 10 + d[:, 11]
    day = d[:, 12] * 10 + d[:, 13]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12)
    last = _DAYS[np.where(month_ok, month, 0)] + ((month == 2) & leap)
    real = (year >= 1) & month_ok & (day >= 1) & (day <= last)
    out[at] = real & (check == raw[:, 17])
    return out


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
