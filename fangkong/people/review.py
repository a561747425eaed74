"""Match reviews: the grey band of identity resolution, decided by an analyst (merge, or distinct people)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fangkong.db.audit import audit
from fangkong.db.scope import acting
from fangkong.errors import Conflict, InvalidInput, NotFound
from fangkong.people.merge import merge
from fangkong.people.models import REVIEW_STATUSES, MatchReview, Person, ReviewStatus

__all__ = ["list_reviews", "get_review", "decide_review", "review_counts"]


def list_reviews(session: Session, *, status: str | None = "open", limit: int = 50, offset: int = 0) -> list[MatchReview]:
    if status is not None and status not in REVIEW_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(REVIEW_STATUSES)}", key="err_bad_state")
    q = select(MatchReview).order_by(MatchReview.score.desc(), MatchReview.id).limit(limit).offset(offset)
    if status:
        q = q.where(MatchReview.status == status)
    return list(session.scalars(q))


def review_counts(session: Session) -> dict[str, int]:
    out = dict.fromkeys(REVIEW_STATUSES, 0)
    out.update(session.execute(select(MatchReview.status, func.count()).group_by(MatchReview.status)).all())
    return out


def get_review(session: Session, review_id: int) -> MatchReview:
    r = session.get(MatchReview, review_id)
    if r is None:
        raise NotFound(f"unknown match review {review_id}", key="err_unknown_review", params={"id": review_id})
    return r


def decide_review(session: Session, review: MatchReview, decision: str, *, now: datetime,
                  reason: str = "") -> MatchReview:
    """`merge`: the reviewed person is merged into the candidate (undo with unmerge); `distinct`: two people.
    Decided by the session's actor (fangkong.db.scope.acting)."""
    actor = acting(session)
    if decision not in ("merge", "distinct"):
        raise InvalidInput("decision must be merge or distinct", key="err_bad_decision")
    if review.status != ReviewStatus.OPEN:
        raise Conflict(f"match review {review.id} was already decided ({review.status} by {review.decided_by})", key="err_review_decided", params={"id": review.id})
    person = session.get(Person, review.person_fk) if review.person_fk else None
    candidate = session.get(Person, review.candidate_fk) if review.candidate_fk else None
    if person is None or candidate is None or person.id == candidate.id:
        raise Conflict(f"match review {review.id}: its persons were merged or changed since; decide it as distinct", key="err_review_changed", params={"id": review.id})
    review_id = review.id
    if decision == "merge":
        merge(session, candidate, person, reason=reason or f"match review {review_id}: same person (score "
                                                            f"{review.score:.2f})", now=now,
              review_fk=review_id)
        review = get_review(session, review_id)
    review.status = ReviewStatus.MERGED if decision == "merge" else ReviewStatus.DISTINCT
    review.decided_by, review.decided_at = actor, now
    audit(session, actor, "match_review.decide", "match_review", review_id, after={"decision": review.status,
                                                                                  "reason": reason})
    session.flush()
    return review
