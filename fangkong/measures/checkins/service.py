"""Daily health check-in services: personal links, reports, symptom alerts to the team, non-reporters."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from fangkong.contacts.teams.models import Investigation
from fangkong.db.audit import audit
from fangkong.errors import Conflict, InvalidInput, NotFound
from fangkong.measures import service as measure_service
from fangkong.measures.models import CheckIn, Measure, MeasureStatus
from fangkong.people.models import Person
from fangkong.protocol.checkins import SYMPTOMS, check_report, is_alert, sign, verify
from fangkong.tasks import service as task_service
from fangkong.tasks.models import OwnerKind, TaskKind

__all__ = ["link_for", "measure_for_link", "record", "today_report", "non_reporters", "alerts", "links"]


def link_for(m: Measure, secret: str) -> str:
    """The path of the person's own check-in page (sent by SMS; no login needed, nothing to guess)."""
    return f"/checkin/{sign(m.id, secret)}"


def measure_for_link(session: Session, token: str, secret: str) -> Measure:
    """The measure behind a personal link; an unknown or altered link is not found."""
    measure_id = verify(token, secret)
    m = session.get(Measure, measure_id) if measure_id is not None else None
    if m is None:
        raise NotFound("unknown or invalid check-in link")
    return m


def today_report(session: Session, m: Measure, day: date) -> CheckIn | None:
    return session.scalar(select(CheckIn).where(CheckIn.measure_fk == m.id, CheckIn.day == day))


def _owner(session: Session, m: Measure) -> task_service.Owner:
    """A symptom alert goes to the tracing team of the case the person was found through, else to their
    community."""
    team = None
    if m.case_fk is not None:
        inv = session.scalar(select(Investigation).where(Investigation.case_fk == m.case_fk))
        team = inv.team if inv is not None else None
    if team is not None:
        return task_service.Owner(OwnerKind.TEAM, team.team_id, team.name)
    community = m.person.community or "unknown"
    return task_service.Owner(OwnerKind.COMMUNITY, community, community)


def record(session: Session, m: Measure, *, temperature: float | None, symptoms: list[str], at: datetime,
           tz: ZoneInfo) -> CheckIn:
    """Today's report of a person under an active measure (one a day); symptoms or a fever open an alert
    task for the team, due by the clock's `symptom_followed_up`."""
    if m.status != MeasureStatus.ACTIVE or m.kind == measure_service.TEMPORARY_CONTROL:
        raise Conflict("this measure has ended; no check-in is needed", key="checkin_ended")
    problem = check_report(temperature, symptoms)
    if problem:
        unknown = sorted(set(symptoms) - set(SYMPTOMS))
        raise InvalidInput(problem, key="checkin_bad_symptom" if unknown else "checkin_bad_temperature",
                           params={"s": unknown[0]} if unknown else {"t": temperature})
    day = at.astimezone(tz).date()
    done = today_report(session, m, day)
    if done is not None:
        at_ = f"{done.at.astimezone(tz):%H:%M}"
        raise Conflict(f"already reported today at {at_}", key="checkin_already", params={"at": at_})
    alert = is_alert(temperature, symptoms)
    report = CheckIn(measure_fk=m.id, person_fk=m.person_fk, day=day, at=at, temperature=temperature,
                     symptoms=sorted(set(symptoms)), alert=alert)
    session.add(report)
    session.flush()
    if alert:
        task_service.open_task(session, TaskKind.SYMPTOM_ALERT, "symptom_followed_up", owner=_owner(session, m),
                               start=at,
                               jurisdiction=m.person.community, case_fk=m.case_fk, person_fk=m.person_fk,
                               measure_fk=m.id, note=", ".join(report.symptoms) or f"{temperature} °C")
    audit(session, f"person:{m.person.person_id}", "checkin", "measure", m.id,
          after={"day": day.isoformat(), "temperature": temperature, "symptoms": report.symptoms, "alert": alert})
    return report


def _checked(day: date):
    return exists().where(CheckIn.measure_fk == Measure.id, CheckIn.day == day)


def non_reporters(session: Session, *, day: date, by_hour: int, tz: ZoneInfo, jurisdiction: str | None = None,
                  limit: int = 100, offset: int = 0) -> list[Measure]:
    """People under a measure since before the day's cut-off hour who have not reported that day (one query)."""
    cutoff = datetime.combine(day, time(by_hour), tzinfo=tz)
    q = (select(Measure).where(Measure.status == MeasureStatus.ACTIVE,
                               Measure.kind != measure_service.TEMPORARY_CONTROL,
                               Measure.start_at <= cutoff, Measure.end_at > cutoff, ~_checked(day))
         .order_by(Measure.id).limit(limit).offset(offset))
    if jurisdiction:
        q = q.join(Person, Person.id == Measure.person_fk).where(Person.community.startswith(jurisdiction,
                                                                                             autoescape=True))
    return list(session.scalars(q))


def alerts(session: Session, *, day: date, limit: int = 100, offset: int = 0) -> list[CheckIn]:
    q = (select(CheckIn).where(CheckIn.day == day, CheckIn.alert).order_by(CheckIn.at)
         .limit(limit).offset(offset))
    return list(session.scalars(q))


def links(session: Session, *, secret: str, limit: int = 100, offset: int = 0) -> list[tuple[Measure, str]]:
    """Active measures with the personal link to send to each person."""
    q = (select(Measure).where(Measure.status == MeasureStatus.ACTIVE,
                               Measure.kind != measure_service.TEMPORARY_CONTROL)
         .order_by(Measure.id).limit(limit).offset(offset))
    return [(m, link_for(m, secret)) for m in session.scalars(q)]

