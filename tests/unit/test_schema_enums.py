"""The GraphQL enums that mirror the domain's vocabulary (hub/types.py) name the same members
with the same values: the schema room keeps its own enums, and they must not drift apart."""

from __future__ import annotations

from hub.schema.enums import AdministrativeLevel, Department
from hub.types import Department as DomainDepartment
from hub.types import Level


def test_every_department_is_in_the_schema_with_its_token_value() -> None:
    assert {(d.name, d.value) for d in Department} == {(d.name, d.value) for d in DomainDepartment}
    for department in DomainDepartment:
        assert Department.of(department).value == department.value


def test_every_administrative_level_is_in_the_schema_with_its_number() -> None:
    assert {(level.name, level.value) for level in AdministrativeLevel} == {
        (level.name, level.value) for level in Level
    }
