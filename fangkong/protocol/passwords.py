"""The password policy: long enough, not a common password, not the username (NIST SP 800-63B §5.1.1.2).

The common-password list is `common-passwords.txt.gz` beside this module: 19 640 passwords most often
found in breaches, lower-cased (Royce Williams' list as shipped by Django, BSD licence), read once,
offline. No composition rules (a digit, a symbol): NIST and OWASP advise against them, length and a
block list do more.
"""

from __future__ import annotations

import gzip
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

__all__ = ["MIN_LENGTH", "PasswordProblem", "password_problem"]

#: ten characters: NIST's floor is 8, but with a rate-limited login and argon2 an office account that
#: guards a city's health data deserves more; ten still fits a passphrase of two words and a digit
MIN_LENGTH = 10
#: a username shorter than this is not looked for inside the password ("li" is in "reliable")
_MIN_NAME_INSIDE = 3
_LIST = Path(__file__).with_name("common-passwords.txt.gz")


class PasswordProblem(StrEnum):
    """Why a password is refused; each is a key of fangkong.kit.i18n (zh, en)."""

    too_short = "password_too_short"
    common = "password_common"
    username = "password_username"


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    with gzip.open(_LIST, "rt", encoding="utf-8") as f:
        return frozenset(line.strip().casefold() for line in f if line.strip())


def password_problem(password: str, username: str) -> PasswordProblem | None:
    """None when the password may be used by this user, else why not."""
    if len(password) < MIN_LENGTH:
        return PasswordProblem.too_short
    folded, name = password.casefold(), username.strip().casefold()
    if name and (folded == name or len(name) >= _MIN_NAME_INSIDE and name in folded):
        return PasswordProblem.username
    # "password2024!" is "password" with a suffix, and a password of digits and symbols only is a number
    core = folded.strip("0123456789!@#$%^&*.-_ ")
    if folded in _common() or not core or core in _common():
        return PasswordProblem.common
    return None
