"""The five kinds of supervision records as data: columns, how each is parsed from text and
checked, and the division level it must name. Pure: mutations and the CSV importer share it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from hub.db.models import (
    CivilAffairsAssistant,
    FundingAllocation,
    ProxyPoint,
    StaffPost,
    TrainingRecord,
)
from hub.domain.divisions import InvalidDivisionCode, level_of
from hub.types import Level

STAFF_POST_KINDS = ("ESTABLISHED", "PUBLIC_WELFARE")
PERSON_KINDS = ("STAFF", "ASSISTANT")
TRAINING_KINDS = ("ONBOARDING", "ROTATION", "MEETING", "VISIT")
FIRST_DATE, LAST_DATE = date(1990, 1, 1), date(2100, 12, 31)
MAX_AMOUNT = Decimal("999999999999.99")


@dataclass(frozen=True, slots=True)
class Problem:
    column: str
    message: str


class Invalid(ValueError):
    """A value that cannot be stored; the message says what would be accepted."""


def text(limit: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        value = str(value).strip()
        if not value:
            raise Invalid("must not be empty")
        if len(value) > limit:
            raise Invalid(f"must be at most {limit} characters")
        return value

    return check


def division_code(value: Any) -> str:
    value = str(value).strip()
    try:
        level_of(value)
    except InvalidDivisionCode:
        raise Invalid("must be a 12-digit division code") from None
    return value


def day(value: Any) -> date:
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value).strip())
        except ValueError:
            raise Invalid("must be a date written YYYY-MM-DD") from None
    if not FIRST_DATE <= value <= LAST_DATE:
        raise Invalid(f"must lie between {FIRST_DATE} and {LAST_DATE}")
    return value


def whole(low: int, high: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        try:
            number = int(str(value).strip())
        except ValueError:
            raise Invalid("must be a whole number") from None
        if not low <= number <= high:
            raise Invalid(f"must be between {low:,} and {high:,}")
        return number

    return check


def amount(value: Any) -> Decimal:
    try:
        money = Decimal(str(value).strip())
    except InvalidOperation:
        raise Invalid("must be an amount in yuan, e.g. 70000 or 70000.50") from None
    if not money.is_finite() or money < 0 or money > MAX_AMOUNT:
        raise Invalid(f"must be between 0 and {MAX_AMOUNT}")
    if money != money.quantize(Decimal("0.01")):
        raise Invalid("must have at most two decimals (fen)")
    return money.quantize(Decimal("0.01"))


def one_of(*choices: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        value = str(value).strip().upper()
        if value not in choices:
            raise Invalid(f"must be one of {', '.join(choices)}")
        return value

    return check


@dataclass(frozen=True, slots=True)
class Column:
    name: str  # the model attribute and the CSV header
    parse: Callable[[Any], Any]
    required: bool = True

    @property
    def argument(self) -> str:
        """The GraphQL input field (camelCase)."""
        head, *rest = self.name.split("_")
        return head + "".join(word.title() for word in rest)


@dataclass(frozen=True, slots=True)
class RecordKind:
    name: str  # as on the command line
    model: type[Any]
    columns: tuple[Column, ...]
    division_column: str
    level: Callable[[Mapping[str, Any]], Level]
    # (earlier column, later column): the later date must not come before the earlier.
    order: tuple[str, str] | None = None
    unique: tuple[str, ...] = ()

    def argument(self, column: str) -> str:
        """The GraphQL input field of `column`."""
        return next((c.argument for c in self.columns if c.name == column), column)

    def parse(self, raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
        """Parse and check one record; returns its values and every problem found."""
        values: dict[str, Any] = {}
        problems: list[Problem] = []
        for column in self.columns:
            given = raw.get(column.name)
            if given is None or (isinstance(given, str) and not given.strip()):
                if column.required:
                    problems.append(Problem(column.name, "is required"))
                values[column.name] = None
                continue
            try:
                values[column.name] = column.parse(given)
            except Invalid as exc:
                problems.append(Problem(column.name, f"{exc} (got {str(given)[:40]!r})"))
        if self.order and not problems:
            first, later = self.order
            if values[later] is not None and values[later] < values[first]:
                problems.append(Problem(later, f"must not be before {first}"))
        if not problems:
            code = values[self.division_column]
            want = self.level(values)
            if level_of(code) != want:
                problems.append(
                    Problem(self.division_column, f"must be a {want.name.lower()} code")
                )
        return values, problems


def _fixed(level: Level) -> Callable[[Mapping[str, Any]], Level]:
    return lambda values: level


def _trainee_level(values: Mapping[str, Any]) -> Level:
    return Level.TOWNSHIP if values.get("person_kind") == "STAFF" else Level.VILLAGE


KINDS: dict[str, RecordKind] = {
    kind.name: kind
    for kind in (
        RecordKind("proxy-points", ProxyPoint, (
            Column("village_code", division_code), Column("agent_name", text(64)),
            Column("active_from", day), Column("active_to", day, required=False),
        ), "village_code", _fixed(Level.VILLAGE), order=("active_from", "active_to")),
        RecordKind("assistants", CivilAffairsAssistant, (
            Column("village_code", division_code), Column("name", text(64)),
            Column("appointed_on", day), Column("left_on", day, required=False),
        ), "village_code", _fixed(Level.VILLAGE), order=("appointed_on", "left_on")),
        RecordKind("staff-posts", StaffPost, (
            Column("township_code", division_code), Column("title", text(64)),
            Column("holder_name", text(64), required=False),
            Column("kind", one_of(*STAFF_POST_KINDS)),
        ), "township_code", _fixed(Level.TOWNSHIP)),
        RecordKind("training", TrainingRecord, (
            Column("division_code", division_code), Column("person_kind", one_of(*PERSON_KINDS)),
            Column("person_name", text(64)), Column("held_on", day),
            Column("kind", one_of(*TRAINING_KINDS)),
        ), "division_code", _trainee_level),
        RecordKind("funding", FundingAllocation, (
            Column("township_code", division_code), Column("year", whole(2000, 2100)),
            Column("population", whole(1, 10_000_000)), Column("amount", amount),
            Column("source", text(32)),
        ), "township_code", _fixed(Level.TOWNSHIP), unique=("township_code", "year", "source")),
    )
}  # fmt: skip
