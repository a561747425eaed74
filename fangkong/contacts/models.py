"""The risk_person table: one row per (case, person or phone), highest category, all its evidence; and the chain
edges: a case met by another case's trace (never a risk person)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fangkong.db.core import Base, JSONType, UTCDateTime, utcnow

__all__ = ["CATEGORY_PATTERN", "CATEGORY_PATTERN_OR_EMPTY", "ChainEdge", "RiskCategory", "RiskPerson", "RiskPersonPast"]


class RiskCategory(StrEnum):
    """A risk person's category, strictest first (protocol.edition.CATEGORIES' order: rank 0 = close)."""

    CLOSE = "close"
    SECONDARY = "secondary"
    COMPANION = "companion"
    OVERLAP = "overlap"


#: a category as a query or form field, validated by FastAPI; the _OR_EMPTY one for a filter left blank
CATEGORY_PATTERN = f"^({'|'.join(RiskCategory)})$"
CATEGORY_PATTERN_OR_EMPTY = f"^({'|'.join(RiskCategory)})?$"


class RiskPerson(Base):
    __tablename__ = "risk_person"
    __table_args__ = (UniqueConstraint("case_fk", "who", name="uq_risk_person_case_who"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: looked up through the unique (case_fk, who) index, whose leading column it is
    case_fk: Mapped[int] = mapped_column(ForeignKey("case.id"))
    #: "p:<person_id>" for a registered person, "t:<phone>" for a phone with no registered owner
    who: Mapped[str] = mapped_column(String(80))
    #: null when only a phone is known (a carrier record with no registered owner)
    person_fk: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(11))
    category: Mapped[str] = mapped_column(String(20), index=True)
    found_category: Mapped[str] = mapped_column(String(20))
    override_reason: Mapped[str | None] = mapped_column(String(500))
    evidence: Mapped[list] = mapped_column(JSONType)
    first_exposure_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_exposure_at: Mapped[datetime] = mapped_column(UTCDateTime)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    placed_deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: optimistic locking: every ORM update bumps it and checks it, so two overrides made from the same read
    #: cannot both land (one's category with the other's reason); bulk-stored rows get the server default
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    person = relationship("Person", lazy="joined")
    case = relationship("Case", lazy="joined")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class ChainEdge(Base):
    """A declared case met by another case's trace: a transmission-chain edge (a likely source), not a contact.

    A case is never a risk person (DOMAIN.md §5): no measure, no room, no door check, not counted as 密接. The
    meeting's category and evidence are kept here, so chains.py still links the two cases."""

    __tablename__ = "chain_edge"
    __table_args__ = (UniqueConstraint("case_fk", "target_case_fk", name="uq_chain_edge_case_target"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the traced case (its leading column serves look-ups by case and the re-trace's delete)
    case_fk: Mapped[int] = mapped_column(ForeignKey("case.id"))
    #: the case it met
    target_case_fk: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    person_fk: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    category: Mapped[str] = mapped_column(String(20))
    evidence: Mapped[list] = mapped_column(JSONType)
    last_exposure_at: Mapped[datetime] = mapped_column(UTCDateTime)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RiskPersonPast(Base):
    """A version of a risk person that a re-trace (or an override) ended: dropped, or given another category.

    A re-trace replaces the case's rows; what an earlier day counted is kept here, so that the bulletin of that
    day, counted again, counts what was known then (issue 23: a past day's figures do not change). The version
    was the (case, who)'s from `valid_from` until `until_at`; the current row of the same (case, who), if any,
    holds from the latest `until_at` on."""

    __tablename__ = "risk_person_past"
    __table_args__ = (Index("ix_risk_person_past_case_who", "case_fk", "who"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_fk: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    who: Mapped[str] = mapped_column(String(80))
    person_fk: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    category: Mapped[str] = mapped_column(String(20))
    #: when the (case, who) was first found (the bulletin's "new that day")
    found_at: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    until_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: dropped (not found again) | recategorized (found again, another category) | override (an epidemiologist)
    reason: Mapped[str] = mapped_column(String(20))
