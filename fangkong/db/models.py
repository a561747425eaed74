"""Every table of every domain, imported in one place for Alembic and for test set-up."""

from fangkong.cases.models import Case
from fangkong.codes.models import HealthCode, HealthCodeChange
from fangkong.contacts.models import ChainEdge, RiskPerson
from fangkong.db.audit import AuditEntry
from fangkong.db.core import Base
from fangkong.measures.models import (CheckIn, EscalationStep, Hospital, HospitalAdmission, IsolationSite,  # noqa: F401
                                      Measure, Room, RoomStay, SiteStaff, TestTask)
from fangkong.people.models import Person, Venue
from fangkong.testing.models import (EnvironmentalSample, Lab, LabResult, ResultConflict, RetestTask, RoundPoint,
                                     Sample, SamplingPoint, TestingRound, Tube)

__all__ = ["Base", "AuditEntry", "Case", "HealthCode", "HealthCodeChange", "RiskPerson", "ChainEdge", "Measure", "TestTask",
           "Person", "Venue"]
__all__ += ["TestingRound", "SamplingPoint", "RoundPoint", "Lab", "Tube", "Sample", "LabResult",
            "EnvironmentalSample", "RetestTask", "ResultConflict"]
from fangkong.zones.models import Zone, ZonePlace, ZoneResident, ZoneRound  # noqa: E402

__all__ += ["Zone", "ZonePlace", "ZoneResident", "ZoneRound"]
from fangkong.tasks.models import Investigation, Task, TracingTeam  # noqa: E402

__all__ += ["Task", "TracingTeam", "Investigation"]
from fangkong.assist.models import Arrival, AssistPerson, AssistRequest, DrugPurchase, FeverReport, Vaccination  # noqa: E402,E501
from fangkong.codes.models import StatusVersion  # noqa: E402

__all__ += ["AssistRequest", "AssistPerson", "StatusVersion", "Arrival", "DrugPurchase", "FeverReport",
            "Vaccination"]
from fangkong.people.models import MatchReview, PersonMerge, PersonPhone, PersonSourceKey  # noqa: E402

__all__ += ["PersonSourceKey", "PersonPhone", "MatchReview", "PersonMerge"]
from fangkong.auth.models import ApiToken, AuthSession, User  # noqa: E402

__all__ += ["User", "ApiToken", "AuthSession"]
from fangkong.auth.models import CitizenOtp, Device  # noqa: E402
from fangkong.db.outbox import OutboxMessage  # noqa: E402

__all__ += ["CitizenOtp", "Device", "OutboxMessage"]
from fangkong.reports.models import IssuedBulletin  # noqa: E402

__all__ += ["IssuedBulletin"]
