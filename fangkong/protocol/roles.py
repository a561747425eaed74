"""Roles, their permissions, and the jurisdiction subtree rule over 12-digit administrative codes (pure)."""

from __future__ import annotations

__all__ = [
    "DEVICE_KINDS",
    "DEVICE_PERMISSIONS",
    "LEVELS",
    "PERMISSIONS",
    "ROLES",
    "ROLE_PERMISSIONS",
    "SELF_AND_DEVICE",
    "in_subtree",
    "normalise_code",
    "permissions_of",
    "scope_prefix",
]

#: code length of each level: province 2, city 4, district 6, subdistrict 9, community 12
LEVELS = (2, 4, 6, 9, 12)

#: what only a citizen (about themselves) or a device (at its post) does: no staff role holds these
SELF_AND_DEVICE = ("scans:device", "self:code")

#: every permission a route or a service can ask for
PERMISSIONS = (
    "assist:read", "assist:write", "audit:read", "bulletin:publish", "bulletin:read", "cases:read", "cases:write",
    "codes:check", "codes:read", "inputs:write", "jobs:read", "measures:read", "measures:write", "people:read", "people:write",
    "pii:unmask", "risk:read", "risk:write", "scans:device", "self:code", "sites:read", "sites:write", "tasks:read",
    "teams:write", "testing:read", "testing:write", "trace:run", "users:admin", "verify:write", "zones:approve",
    "zones:read", "zones:write",
)

_STAFF_READ = frozenset({"assist:read", "bulletin:read", "cases:read", "measures:read", "people:read", "risk:read",
                         "sites:read", "tasks:read", "testing:read", "zones:read"})
#: whoever reads persons reads their codes with the reasons, and runs a full two-code check (GB/T 38962: the
#: reasons and the trips are for the person and for staff with the right, not for a checkpoint)
_CODES = frozenset({"codes:read", "codes:check"})

#: DOMAIN.md §1: what each role does decides what it may do; the citizen has no staff permission at all
#: the citizen only sees and scans as the one person their account is bound to
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(PERMISSIONS) - set(SELF_AND_DEVICE),
    "commander": _STAFF_READ | _CODES | {"zones:write", "zones:approve", "bulletin:publish", "jobs:read"},
    "epidemiologist": _STAFF_READ | _CODES | {"cases:write", "trace:run", "risk:write", "measures:write",
                                              "teams:write", "assist:write", "inputs:write", "pii:unmask"},
    "analyst": _STAFF_READ | _CODES | {"trace:run", "people:write", "pii:unmask"},
    "verifier": _CODES | {"assist:read", "bulletin:read", "measures:read", "people:read", "risk:read", "tasks:read",
                          "verify:write", "pii:unmask"},
    "lab": _CODES | {"bulletin:read", "people:read", "testing:read", "testing:write"},
    "isolation": _CODES | {"bulletin:read", "cases:read", "measures:read", "measures:write", "people:read",
                           "sites:read", "sites:write", "tasks:read", "pii:unmask"},
    "citizen": frozenset({"self:code"}),
}
ROLES = tuple(ROLE_PERMISSIONS)

#: devices are not users: a venue's scanner records scans at its venue, a checkpoint's reader runs two-code
#: checks; both learn a pass decision and a colour only (their tokens: fangkong/auth/devices/service.py)
DEVICE_PERMISSIONS: dict[str, frozenset[str]] = {
    "venue": frozenset({"scans:device"}),
    "checkpoint": frozenset({"codes:check"}),
}
DEVICE_KINDS = tuple(DEVICE_PERMISSIONS)


def permissions_of(role: str) -> frozenset[str]:
    """The permissions of a role; an unknown role has none."""
    return ROLE_PERMISSIONS.get(role, frozenset())


def normalise_code(code: str | None) -> str:
    """A jurisdiction code as its significant prefix: '140105000000' and '140105' are both '140105'.

    The code is padded to 12 digits, then cut at the shortest level whose remaining digits are all zero.
    """
    code = (code or "").strip()
    if not code:
        return ""
    if not code.isdigit() or len(code) > 12:
        raise ValueError(f"{code!r} is not an administrative code (up to 12 digits)")
    full = code.ljust(12, "0")
    for length in LEVELS:
        if set(full[length:]) <= {"0"}:
            return full[:length]
    return full  # pragma: no cover - the last level always matches


def scope_prefix(role: str, jurisdiction: str | None) -> str | None:
    """What a user's queries are cut to: None = the whole deployment (admin, or no jurisdiction set)."""
    if role == "admin":
        return None
    prefix = normalise_code(jurisdiction)
    return prefix or None


def in_subtree(user_code: str | None, record_code: str | None) -> bool:
    """Is a record of `record_code` (a community, usually) inside the subtree of `user_code`?"""
    prefix = normalise_code(user_code)
    if not prefix:
        return True
    return bool(record_code) and record_code.startswith(prefix)
