"""The hook that recolours codes at commit, without the codes service: api and cli install it when they start,
and the service (its recompute, and through it obligations, zones, people) is imported only by a unit of work
that changed someone's status (a `fangkong --help` or `codes show` never pays for it, issue 27)."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from fangkong.db.changes import take_changed, take_reported, take_ruled_out, take_swabs_moved

__all__ = ["install_recolour"]


def _recompute_changed(session: Session) -> None:
    """Every status change (measure, test, case, zone) marked in this unit of work recolours those codes,
    at the time of the change, before the commit (db/changes.py says why it is done this way). First the persons
    reported positive in it: the secondary contacts found through them are upgraded, dated at the report (a case
    declared directly has no test result to do it; measures.lifecycle.upgrade_secondaries_of)."""
    swabs, communities = take_swabs_moved(session)
    if swabs:  # a merge or its undo moved swabs between persons: the round figures they touch are counted again
        from fangkong.testing.tally import recount_persons

        recount_persons(session, swabs, communities)
    ruled_out = take_ruled_out(session)
    if ruled_out:  # a declared case ruled out: what followed from it ends (measures/ruleout.py)
        from fangkong.measures.ruleout import unwind
        from fangkong.settings import get_settings

        unwind(session, ruled_out, tz=get_settings().zone)
    reported = take_reported(session)
    if reported:
        from fangkong.measures.lifecycle import upgrade_secondaries_of
        from fangkong.protocol.edition import load_edition
        from fangkong.settings import get_settings

        s = get_settings()
        upgrade_secondaries_of(session, reported, edition=load_edition(s.edition), tz=s.zone)
    fks, at = take_changed(session)
    if fks:
        from fangkong.codes.service import recompute
        from fangkong.protocol.edition import load_edition
        from fangkong.settings import get_settings

        s = get_settings()
        recompute(session, sorted(fks), edition=load_edition(s.edition), now=at, tz=s.zone)


def _forget_changed(session: Session) -> None:
    take_changed(session)
    take_reported(session)
    take_ruled_out(session)
    take_swabs_moved(session)


def install_recolour(target: type[Session] | sessionmaker = Session) -> None:
    """Recolour, before each commit, the codes whose persons' statuses the unit of work changed (db/changes.py
    says why it is done this way). api, cli and the test set-up install it on every session (the Session
    class) when they start; nothing does it by being imported. Installing it twice changes nothing."""
    if not event.contains(target, "before_commit", _recompute_changed):
        event.listen(target, "before_commit", _recompute_changed)
        event.listen(target, "after_rollback", _forget_changed)
