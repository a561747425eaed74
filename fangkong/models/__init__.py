"""Every table of every domain, in one sorted registry above the domains (Polar's polar/models/__init__.py).

Imported by the top only: api, cli, the Alembic environment and the tests. Importing it registers every table
in the one metadata, marks the set complete for the data-layer steps that must see them all (a person merge,
fangkong.db.registry) and gives the jurisdiction scope its rules (fangkong.models.scoping).
"""

from fangkong.assist.models import (
    Arrival,
    AssistPerson,
    AssistRequest,
    DrugPurchase,
    FeverReport,
    InboundArrival,
    Vaccination,
)
from fangkong.auth.models import ApiToken, AuthSession, CitizenOtp, Device, User
from fangkong.cases.models import Case
from fangkong.codes.models import HealthCode, HealthCodeChange, StatusVersion
from fangkong.contacts.models import ChainEdge, RiskPerson, RiskPersonPast
from fangkong.contacts.teams.models import Investigation, TracingTeam
from fangkong.db import registry
from fangkong.db.audit import AuditEntry
from fangkong.db.core import Base
from fangkong.db.outbox import OutboxMessage
from fangkong.db.scoping import use as use_scope_rules
from fangkong.jobs.models import InboxFile, JobRun, ScheduledJob
from fangkong.measures.models import (
    CheckIn,
    EscalationStep,
    Hospital,
    HospitalAdmission,
    IsolationSite,
    Measure,
    Room,
    RoomStay,
    SiteStaff,
    TestTask,
)
from fangkong.models.scoping import RULES
from fangkong.people.boundaries.models import Boundary
from fangkong.people.models import (
    CommunityPeople,
    MatchReview,
    Person,
    PersonMerge,
    PersonPhone,
    PersonSourceKey,
    Venue,
)
from fangkong.reports.models import IssuedBulletin
from fangkong.tasks.models import Task
from fangkong.testing.models import (
    EnvironmentalSample,
    Lab,
    LabResult,
    ResultConflict,
    RetestTask,
    RoundPoint,
    RoundTally,
    RoundTurnaround,
    Sample,
    SamplingPoint,
    TestingRound,
    Tube,
)
from fangkong.zones.models import Zone, ZoneAbsence, ZonePlace, ZoneResident, ZoneRound

__all__ = [
    "ApiToken",
    "Arrival",
    "AssistPerson",
    "AssistRequest",
    "AuditEntry",
    "AuthSession",
    "Base",
    "Boundary",
    "Case",
    "ChainEdge",
    "CheckIn",
    "CitizenOtp",
    "CommunityPeople",
    "Device",
    "DrugPurchase",
    "EnvironmentalSample",
    "EscalationStep",
    "FeverReport",
    "HealthCode",
    "HealthCodeChange",
    "Hospital",
    "HospitalAdmission",
    "InboundArrival",
    "InboxFile",
    "Investigation",
    "IsolationSite",
    "IssuedBulletin",
    "JobRun",
    "Lab",
    "LabResult",
    "MatchReview",
    "Measure",
    "OutboxMessage",
    "Person",
    "PersonMerge",
    "PersonPhone",
    "PersonSourceKey",
    "ResultConflict",
    "RetestTask",
    "RiskPerson",
    "RiskPersonPast",
    "Room",
    "RoomStay",
    "RoundPoint",
    "RoundTally",
    "RoundTurnaround",
    "Sample",
    "SamplingPoint",
    "ScheduledJob",
    "SiteStaff",
    "StatusVersion",
    "Task",
    "TestTask",
    "TestingRound",
    "TracingTeam",
    "Tube",
    "User",
    "Vaccination",
    "Venue",
    "Zone",
    "ZoneAbsence",
    "ZonePlace",
    "ZoneResident",
    "ZoneRound",
]

registry.complete()
use_scope_rules(RULES)
