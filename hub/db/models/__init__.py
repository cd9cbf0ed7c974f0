"""ORM models, one module per area; importing this package registers them all on Base."""

from hub.db.models.audit import AuditCheckpoint, AuditEvent
from hub.db.models.auth import OAuthClient, RevokedToken
from hub.db.models.cases import ApprovalTask, Case, CaseEvent, IdempotencyRecord, ServiceItem
from hub.db.models.geography import Division
from hub.db.models.hardening import TrustedDocument
from hub.db.models.payments import Entitlement, Payment
from hub.db.models.people import Household, HouseholdMember, Resident
from hub.db.models.subsidies import AssistanceStandard
from hub.db.models.supervision import (
    CivilAffairsAssistant,
    FundingAllocation,
    ProxyPoint,
    StaffPost,
    TrainingRecord,
)

__all__ = [
    "ApprovalTask",
    "AssistanceStandard",
    "AuditCheckpoint",
    "AuditEvent",
    "Case",
    "CaseEvent",
    "CivilAffairsAssistant",
    "Division",
    "Entitlement",
    "FundingAllocation",
    "Household",
    "HouseholdMember",
    "IdempotencyRecord",
    "OAuthClient",
    "Payment",
    "ProxyPoint",
    "Resident",
    "RevokedToken",
    "ServiceItem",
    "StaffPost",
    "TrainingRecord",
    "TrustedDocument",
]
