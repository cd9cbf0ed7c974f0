"""The schema's input types build their values as strawberry's own conversion does."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from strawberry.types.arguments import convert_argument

from hub.policy.evaluator import PolicyEvaluator
from hub.policy.loader import load_policy
from hub.schema.build import build_schema
from hub.schema.enums import CaseStatus, Decision
from hub.schema.inputs import CaseFilter, ResidentFilter
from hub.schema.mutations import DecideApprovalTaskInput, SubmitCaseInput
from hub.schema.supervision_mutations import RecordTrainingInput

SCHEMA = build_schema(PolicyEvaluator(load_policy()))

# Input values as graphql-core hands them over: keyed by GraphQL names, scalars coerced.
CASES: list[tuple[type, dict[str, Any]]] = [
    (ResidentFilter, {}),
    (ResidentFilter, {"divisionCode": "640104001000", "nameContains": None}),
    (
        ResidentFilter,
        {
            "divisionCode": "6401",
            "idNumber": "64010419900101123X",
            "nameContains": "张",
            "itemCode": "DB_URBAN",
            "hasActiveEntitlement": True,
        },
    ),
    (CaseFilter, {"status": CaseStatus.SUBMITTED, "itemCode": "DB_URBAN"}),
    (
        SubmitCaseInput,
        {
            "itemCode": "DB_URBAN",
            "applicantId": "UmVzaWRlbnQ6MQ",
            "channel": "WINDOW",
            "consent": True,
            "declaredMonthlyIncome": Decimal("812.50"),
        },
    ),
    (
        DecideApprovalTaskInput,
        {"taskId": "QXBwcm92YWxUYXNrOjE", "decision": Decision.APPROVE, "expectedVersion": 3},
    ),
    (
        RecordTrainingInput,
        {
            "divisionCode": "640104001000",
            "personKind": "ASSISTANT",
            "attendees": ["a", "b"],
            "heldOn": date(2026, 3, 1),
            "kind": "ONBOARDING",
        },
    ),
]


def _convert(cls: type, value: dict[str, Any]) -> Any:
    return convert_argument(value, cls, SCHEMA.schema_converter.scalar_registry, SCHEMA.config)


@pytest.mark.parametrize(("cls", "value"), CASES)
def test_the_fast_conversion_builds_what_strawberry_builds(cls: type, value: dict[str, Any]):
    definition = cls.__strawberry_definition__  # type: ignore[attr-defined]
    assert definition.from_input is not None  # installed by build_schema
    fast = _convert(cls, value)
    hook, definition.from_input = definition.from_input, None
    try:
        plain = _convert(cls, value)
    finally:
        definition.from_input = hook
    assert type(fast) is cls
    assert vars(fast) == vars(plain)
