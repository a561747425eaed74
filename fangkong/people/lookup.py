"""A person by any of their keys, without the import machinery of people.service (numpy, pyarrow): a health code
shown or a page opened looks a person up and needs nothing more (issue 27, start-up)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fangkong.errors import NotFound
from fangkong.people.models import Person, PersonSourceKey

__all__ = ["get_person"]


def get_person(session: Session, person_id: str) -> Person:
    """The person known under this key (their own person_id or any further source key)."""
    person = session.scalar(select(Person).where(Person.person_id == person_id))
    if person is None:
        person = session.scalar(select(Person).join(PersonSourceKey, PersonSourceKey.person_fk == Person.id)
                                .where(PersonSourceKey.key == person_id))
    if person is None:
        raise NotFound(f"unknown person {person_id!r}", key="err_unknown_person", params={"person": person_id})
    return person
