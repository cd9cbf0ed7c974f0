"""What the compiled path covers: for each object type, how each field reads from its row.

A field missing here is not compiled: a query selecting it is served by the resolvers. The
resolvers in `hub/schema/` remain the definition of each field; the differential test
(`tests/differential/`) holds the two to the same answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hub.db.models import (
    ApprovalTask,
    Case,
    Entitlement,
    Household,
    HouseholdMember,
    Payment,
    Resident,
)


@dataclass(frozen=True, slots=True)
class Column:
    """A scalar read from the row: `kind` says how PostgreSQL renders it as GraphQL JSON."""

    column: str
    kind: str  # text | int | bool | date | datetime | decimal | upper (an enum stored lower case)


@dataclass(frozen=True, slots=True)
class Guarded:
    """A policy-guarded scalar: FULL, MASKED (the policy's mask in SQL) or DENIED."""

    column: str
    kind: str


@dataclass(frozen=True, slots=True)
class Embedded:
    """An object built from the same row (`flags`, `certificate`); null when `present` is
    null."""

    type_name: str
    fields: dict[str, Column]
    present: str | None = None


@dataclass(frozen=True, slots=True)
class Relation:
    """Rows of another table: `child_key` on the child equals `parent_key` on the parent.
    `single` takes the row with the lowest id; `last_argument` takes the newest N by id."""

    type_name: str
    child_key: str
    parent_key: str = "id"
    single: bool = False
    last_argument: str | None = None


@dataclass(frozen=True, slots=True)
class Count:
    """The number of rows of `table` whose `key` is this row's id (`Household.size`)."""

    table: str
    key: str


@dataclass(frozen=True, slots=True)
class Shape:
    type_name: str
    model: type
    table: str
    fields: dict[str, Column | Guarded | Embedded | Relation | Count | str]
    # Where need to know looks for the resident and household a row belongs to: columns of
    # this row (None: the row has no resident), or of the parent row (payments take their
    # entitlement's).
    need_to_know: tuple[str | None, str] | None = None
    need_to_know_from_parent: bool = False
    # Whether the resolvers list every row of this type in the audit event (`X.of` does), or
    # only rows whose guarded fields were read (the gate's touch).
    always_audited: bool = True
    extra: dict[str, str] = field(default_factory=dict)
    # Rows outside the caller's area are hidden (`visible`); False for rows that have no
    # division of their own and that the resolvers list as they are (household members).
    scoped: bool = True
    # An index on (division_code, id): a village's page is then read on it (see
    # `Planner._narrow_page`), and a township's unless there is the next one.
    division_id_index: bool = False
    # An index on (substr(division_code, 1, 9), id) (PostgreSQL): a township's page in id order.
    township_index: bool = False


ID = "id"
TYPENAME = "__typename"

RESIDENT = Shape(
    "Resident",
    Resident,
    "residents",
    {
        "id": ID,
        "name": Guarded("name", "text"),
        "idNumber": Guarded("id_number", "text"),
        "phone": Guarded("phone", "text"),
        "address": Guarded("address", "text"),
        "bankAccount": Guarded("bank_account", "text"),
        "monthlyIncome": Guarded("monthly_income", "decimal"),
        "healthCondition": Guarded("health_condition", "text"),
        "disabilityLevel": Guarded("disability_level", "int"),
        "gender": Column("gender", "text"),
        "birthDate": Column("birth_date", "date"),
        "ethnicity": Column("ethnicity", "text"),
        "flags": Embedded(
            "ResidentFlags",
            {
                "specialHardship": Column("special_hardship", "bool"),
                "keySpecialCare": Column("key_special_care", "bool"),
                "leftBehindChild": Column("left_behind_child", "bool"),
                "leftBehindWoman": Column("left_behind_woman", "bool"),
                "leftBehindElder": Column("left_behind_elder", "bool"),
            },
        ),
        "cases": Relation("Case", "applicant_id"),
        "entitlements": Relation("Entitlement", "resident_id"),
        "household": Relation("Household", "id", parent_key="household_id", single=True),
    },
    need_to_know=("id", "household_id"),
    division_id_index=True,
    township_index=True,
)

HOUSEHOLD = Shape(
    "Household",
    Household,
    "households",
    {
        "id": ID,
        "registrationType": Column("registration_type", "text"),
        "declaredMonthlyIncome": Guarded("declared_monthly_income", "decimal"),
        "verifiedMonthlyIncome": Guarded("verified_monthly_income", "decimal"),
        "members": Relation("HouseholdMember", "household_id"),
        "size": Count("household_members", "household_id"),
        "head": Relation("Resident", "id", parent_key="head_id", single=True),
    },
    need_to_know=(None, "id"),
    always_audited=False,
)

HOUSEHOLD_MEMBER = Shape(
    "HouseholdMember",
    HouseholdMember,
    "household_members",
    {
        "relation": Column("relation", "text"),
        "resident": Relation("Resident", "id", parent_key="resident_id", single=True),
    },
    always_audited=False,
    scoped=False,
)

CASE = Shape(
    "Case",
    Case,
    "cases",
    {
        "id": ID,
        "caseNumber": Column("case_number", "text"),
        "channel": Column("channel", "text"),
        "proxyAgent": Column("proxy_agent", "text"),
        "status": Column("status", "text"),
        "submittedAt": Column("submitted_at", "datetime"),
        "acceptedAt": Column("accepted_at", "datetime"),
        "dueDate": Column("due_date", "date"),
        "decidedAt": Column("decided_at", "datetime"),
        "noticeEndsAt": Column("notice_ends_at", "datetime"),
        "inPersonVisitRequired": Column("in_person_visit_required", "bool"),
        "version": Column("version", "int"),
        "certificate": Embedded(
            "Certificate",
            {
                "number": Column("certificate_number", "text"),
                "issuedAt": Column("decided_at", "datetime"),
            },
            present="certificate_number",
        ),
        "entitlement": Relation("Entitlement", "case_id", single=True),
        "approvalTasks": Relation("ApprovalTask", "case_id"),
    },
)

APPROVAL_TASK = Shape(
    "ApprovalTask",
    ApprovalTask,
    "approval_tasks",
    {
        "id": ID,
        "department": Column("department", "upper"),
        "kind": Column("kind", "text"),
        "status": Column("status", "text"),
        "decidedBy": Column("decided_by", "text"),
        "decidedAt": Column("decided_at", "datetime"),
        "opinion": Column("opinion", "text"),
        "findings": Column("findings", "text"),
        "dueDate": Column("due_date", "date"),
        "version": Column("version", "int"),
        "case": Relation("Case", "id", parent_key="case_id", single=True),
    },
    always_audited=False,
)

ENTITLEMENT = Shape(
    "Entitlement",
    Entitlement,
    "entitlements",
    {
        "id": ID,
        "monthlyAmount": Guarded("monthly_amount", "decimal"),
        "startPeriod": Column("start_period", "text"),
        "endPeriod": Column("end_period", "text"),
        "status": Column("status", "text"),
        "statusReason": Column("status_reason", "text"),
        "version": Column("version", "int"),
        "payments": Relation("Payment", "entitlement_id", last_argument="last"),
    },
    need_to_know=("resident_id", "household_id"),
    always_audited=False,
)

PAYMENT = Shape(
    "Payment",
    Payment,
    "payments",
    {
        "id": ID,
        "amount": Guarded("amount", "decimal"),
        "bankAccount": Guarded("bank_account", "text"),
        "period": Column("period", "text"),
        "status": Column("status", "text"),
        "batch": Column("batch", "text"),
        "paidAt": Column("paid_at", "datetime"),
        "failureReason": Column("failure_reason", "text"),
        "attempt": Column("attempt", "int"),
    },
    need_to_know=("resident_id", "household_id"),
    need_to_know_from_parent=True,
)

SHAPES: dict[str, Shape] = {
    s.type_name: s
    for s in (RESIDENT, CASE, ENTITLEMENT, PAYMENT, HOUSEHOLD, HOUSEHOLD_MEMBER, APPROVAL_TASK)
}

CONNECTIONS = {"residents": "Resident", "approvalTasks": "ApprovalTask", "payments": "Payment"}
"""Root connection fields the compiled path serves, and their node type."""

OBJECTS = {
    "resident": ("Resident", "id"),
    "case": ("Case", "id"),
    "caseByNumber": ("Case", "case_number"),
}
"""Root fields that read one object, its type and the column the argument matches."""
