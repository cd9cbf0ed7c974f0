"""GraphQL enums of the contract."""

from __future__ import annotations

import enum

import strawberry

from hub.policy.grants import Grant
from hub.types import Department as DepartmentValue


@strawberry.enum(description="Departments sharing the hub; tokens carry the lower-case form.")
class Department(enum.Enum):
    CIVIL_AFFAIRS = "civil_affairs"
    PUBLIC_SECURITY = "public_security"
    HUMAN_RESOURCES = "human_resources"
    HOUSING = "housing"
    MEDICAL_SECURITY = "medical_security"
    FINANCE = "finance"
    DISABLED_FEDERATION = "disabled_federation"
    HEALTH = "health"
    MARKET_REGULATION = "market_regulation"
    TAXATION = "taxation"
    EDUCATION = "education"
    AUDIT = "audit"

    @classmethod
    def of(cls, value: str | DepartmentValue) -> Department:
        return cls(str(value))


@strawberry.enum(description="Administrative level: region > city > county > township > village.")
class AdministrativeLevel(enum.Enum):
    REGION = 1
    CITY = 2
    COUNTY = 3
    TOWNSHIP = 4
    VILLAGE = 5


@strawberry.enum
class Gender(enum.Enum):
    MALE = "MALE"
    FEMALE = "FEMALE"


@strawberry.enum(description="Where an application was handed in (一窗受理 / 一网通办 / 代办).")
class Channel(enum.Enum):
    WINDOW = "WINDOW"
    ONLINE = "ONLINE"
    PROXY = "PROXY"


@strawberry.enum
class CaseStatus(enum.Enum):
    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    VERIFYING = "VERIFYING"
    REVIEWED = "REVIEWED"
    IN_PUBLIC_NOTICE = "IN_PUBLIC_NOTICE"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    RETURNED = "RETURNED"
    WITHDRAWN = "WITHDRAWN"


@strawberry.enum
class CaseEventKind(enum.Enum):
    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    TASK_DECIDED = "TASK_DECIDED"
    REVIEWED = "REVIEWED"
    NOTICE_STARTED = "NOTICE_STARTED"
    CERTIFIED = "CERTIFIED"
    REJECTED = "REJECTED"
    RETURNED = "RETURNED"
    WITHDRAWN = "WITHDRAWN"


@strawberry.enum
class TaskKind(enum.Enum):
    VERIFY = "VERIFY"
    REVIEW = "REVIEW"
    CERTIFY = "CERTIFY"


@strawberry.enum
class TaskStatus(enum.Enum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    RETURNED = "RETURNED"
    CANCELLED = "CANCELLED"


@strawberry.enum
class EntitlementStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    TERMINATED = "TERMINATED"


@strawberry.enum
class PaymentStatus(enum.Enum):
    SCHEDULED = "SCHEDULED"
    PAID = "PAID"
    FAILED = "FAILED"
    RETURNED = "RETURNED"
    CANCELLED = "CANCELLED"  # stopped by the entitlement's termination; never sent


@strawberry.enum(description="What the field policy gives a caller on a field.")
class FieldGrant(enum.Enum):
    FULL = "FULL"
    MASKED = "MASKED"
    DENIED = "DENIED"

    @classmethod
    def of(cls, grant: Grant) -> FieldGrant:
        return cls(grant.value)


@strawberry.enum(description="A decision on a case step: approve, reject, or return (补正).")
class Decision(enum.Enum):
    APPROVE = "APPROVE"
    REJECT = "REJECT"
    RETURN = "RETURN"
