"""Who a risk person is (risk_person.who): a registered person, "p:<person_id>", or a phone with no registered
holder, "t:<phone>" (a carrier record names only a phone). One person found by several cases, steps or source
keys is one risk person per case: the key is that of the person, resolved (people.service)."""

from __future__ import annotations

from typing import NewType

__all__ = ["PERSON", "PHONE", "Who", "of_person", "of_phone", "person_id"]

Who = NewType("Who", str)

#: the prefixes, also written by the set-based assembly's SQL (contacts.assemble)
PERSON, PHONE = "p:", "t:"


def of_person(person_id: str) -> Who:
    return Who(PERSON + person_id)


def of_phone(phone: str) -> Who:
    return Who(PHONE + phone)


def person_id(who: Who) -> str | None:
    """The person_id of a person's key; None for a phone's."""
    return who[len(PERSON):] if who.startswith(PERSON) else None
