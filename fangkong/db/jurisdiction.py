"""Jurisdiction on writes: a user changes only what lies inside its own jurisdiction, and acts as itself.

Reads are cut by the data layer (fangkong.db.scoping): a record outside the subtree is not found. Places and
teams are also seen from *above* (a district sees the city's sites and hospitals), so a write needs one more
check: the object's own jurisdiction must lie inside the user's. A district user (6 digits) may not create or
change a city object (4 digits) nor another district's; a city-wide object with no code (the hospital plan)
needs a user of the whole deployment. The CLI and jobs run unscoped (the local operator) and pass.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from fangkong.db.scope import scope_of
from fangkong.errors import Forbidden
from fangkong.protocol.roles import normalise_code
from fangkong.settings import get_settings

__all__ = ["covers", "require_city", "require_inside"]


def covers(session: Session, code: str | None) -> bool:
    """Does the session's user's jurisdiction contain `code` (an empty code: the whole deployment)?"""
    prefix = scope_of(session)
    if not prefix:
        return True
    try:
        own = normalise_code(code)
    except ValueError:
        return False
    return bool(own) and own.startswith(prefix)


def require_inside(session: Session, code: str | None, what: str, verb: str = "change") -> None:
    """Forbidden (403) unless the user's jurisdiction contains `code`; `what` names the object in the message."""
    if not covers(session, code):
        where = f"jurisdiction {code}" if code else "the whole deployment"
        raise Forbidden(f"{what} belongs to {where}, outside your jurisdiction ({scope_of(session)}): "
                        f"only a user whose jurisdiction covers it may {verb} it", key="err_outside_jurisdiction", params={"where": code or "", "own": scope_of(session) or ""})


def require_city(session: Session, what: str) -> None:
    """Forbidden unless the user's jurisdiction covers the deployment's own (FANGKONG_JURISDICTION, e.g. 1401;
    unset: the whole deployment): for objects of the whole city (labs, the hospital plan, a city-wide round)."""
    require_inside(session, get_settings().jurisdiction, what)

