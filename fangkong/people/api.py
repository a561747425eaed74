"""HTTP routes of the people domain: a person with keys and phones, phone ownership, match reviews, merges."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy.orm import Session

from fangkong.db.core import utcnow
from fangkong.kit import pii
from fangkong.kit.deps import Page, SessionDep, SettingsDep
from fangkong.people import merge as merge_service
from fangkong.people import review as review_service
from fangkong.people import service
from fangkong.people.models import MatchReview, Person, PersonMerge
from fangkong.people.phones import add_owner, phones_of
from fangkong.people.schemas import (
    KeyRead,
    MergeIn,
    MergeRead,
    PersonRead,
    PhoneOwnerIn,
    PhoneRead,
    ReviewDecision,
    ReviewRead,
    UnmergeIn,
)

router = APIRouter(tags=["people"])
PersonKey = Annotated[str, Path(min_length=1, max_length=64)]


def person_read(session: Session, p: Person | None) -> PersonRead | None:
    if p is None:
        return None
    return PersonRead(person_id=p.person_id, source=p.source, name=pii.name(p.name),
                      id_number=pii.id_number(p.id_number), phone=pii.phone(p.phone), birth_date=p.birth_date,
                      sex=p.sex, community=p.community,
                      keys=[KeyRead(key=k.key, source=k.source, linked_by=k.linked_by, score=k.score)
                            for k in service.keys_of(session, p)],
                      phones=[PhoneRead(phone=pii.phone(ph.phone), owner=ph.owner, valid_from=ph.valid_from,
                                        valid_to=ph.valid_to, source=ph.source) for ph in phones_of(session, p)])


def review_read(session: Session, r: MatchReview) -> ReviewRead:
    get = lambda fk: session.get(Person, fk) if fk else None  # noqa: E731
    return ReviewRead(id=r.id, key=r.key, status=r.status, score=r.score, evidence=r.evidence,
                      person=person_read(session, get(r.person_fk)), candidate=person_read(session, get(r.candidate_fk)),
                      decided_by=r.decided_by, decided_at=r.decided_at)


def merge_read(m: PersonMerge) -> MergeRead:
    return MergeRead(id=m.id, survivor=m.survivor_person_id, merged=m.merged_person_id, reason=m.reason,
                     actor=m.actor, at=m.at, moved={k: len(v) for k, v in m.moved.items() if not k.startswith("_")},
                     set_aside={k: len(v) for k, v in m.set_aside.items()}, undone_at=m.undone_at,
                     undone_by=m.undone_by)


def _aware(t: datetime | None, settings) -> datetime | None:
    return t.replace(tzinfo=settings.zone) if t is not None and t.tzinfo is None else t


@router.get("/api/persons/{person_id}", response_model=PersonRead)
def get_person(session: SessionDep, person_id: PersonKey):
    """A person by any of their source keys, with every key and phone (masked)."""
    return person_read(session, service.get_person(session, person_id))


@router.post("/api/persons/{person_id}/phones", response_model=PhoneRead, status_code=201)
def add_phone(session: SessionDep, settings: SettingsDep, person_id: PersonKey, body: PhoneOwnerIn):
    """The person owned this phone over [valid_from, valid_to): 409 when someone else owned it then."""
    ph = add_owner(session, service.get_person(session, person_id), body.phone,
                   valid_from=_aware(body.valid_from, settings), valid_to=_aware(body.valid_to, settings),
                   source="api", tz=settings.zone)
    return PhoneRead(phone=pii.phone(ph.phone), owner=True, valid_from=ph.valid_from, valid_to=ph.valid_to,
                     source=ph.source)


@router.get("/api/match-reviews", response_model=list[ReviewRead])
def list_reviews(session: SessionDep, page: Page,
                 status: Annotated[str | None, Query(pattern="^(open|merged|distinct)$")] = "open"):
    return [review_read(session, r) for r in review_service.list_reviews(session, status=status, limit=page.limit,
                                                                        offset=page.offset)]


@router.post("/api/match-reviews/{review_id}", response_model=ReviewRead)
def decide_review(session: SessionDep, review_id: Annotated[int, Path(ge=1, le=2**31 - 1)], body: ReviewDecision):
    """An analyst's decision on a grey-band match: merge (same person) or distinct."""
    r = review_service.decide_review(session, review_service.get_review(session, review_id), body.decision,
                                     now=utcnow(), reason=body.reason)
    return review_read(session, r)


@router.post("/api/merges", response_model=MergeRead, status_code=201)
def merge(session: SessionDep, body: MergeIn):
    """Merge `merged` into `survivor` (audited, reversible with /api/merges/{id}/undo)."""
    m = merge_service.merge(session, service.get_person(session, body.survivor), service.get_person(session, body.merged),
                            reason=body.reason, now=utcnow())
    return merge_read(m)


@router.get("/api/merges/{merge_id}", response_model=MergeRead)
def get_merge(session: SessionDep, merge_id: Annotated[int, Path(ge=1, le=2**31 - 1)]):
    return merge_read(merge_service.get_merge(session, merge_id))


@router.post("/api/merges/{merge_id}/undo", response_model=MergeRead)
def undo_merge(session: SessionDep, merge_id: Annotated[int, Path(ge=1, le=2**31 - 1)], body: UnmergeIn):
    m = merge_service.get_merge(session, merge_id)
    merge_service.unmerge(session, m, now=utcnow())
    return merge_read(merge_service.get_merge(session, merge_id))
