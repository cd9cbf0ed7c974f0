"""Amount rules of the money items (救助金额): pure formulas over assistance standards.

低保 tops the household up to the local standard: (standard − per-capita income) × members, at
least the floor per member; 特困 pays the basic standard plus care by self-care ability; the
allowances pay a fixed monthly amount; 临时救助 and 医疗救助 a one-off sum.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from hub.domain.divisions import jurisdiction_prefix

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MINIMUM_LIVING = frozenset({"DB_URBAN", "DB_RURAL"})
FIXED_MONTHLY = frozenset({"DISABLED_LIVING", "DISABLED_CARE", "ORPHAN", "ELDERLY_ALLOWANCE"})
ONE_OFF = frozenset({"TEMPORARY", "MEDICAL"})
NO_MONEY = frozenset({"LOW_INCOME", "SENIOR_CARD"})
SELF_CARE_LEVELS = ("FULL", "PARTIAL", "NONE")
# Which components each item needs; a standard for anything else is refused.
COMPONENTS: dict[str, frozenset[str]] = {
    **{code: frozenset({"standard", "floor"}) for code in MINIMUM_LIVING},
    "TEKUN": frozenset({"basic", *(f"care_{level}" for level in SELF_CARE_LEVELS)}),
    **{code: frozenset({"monthly"}) for code in FIXED_MONTHLY},
    **{code: frozenset({"one_off"}) for code in ONE_OFF},
}


class AmountError(ValueError):
    """The facts or the standards cannot give an amount (a missing standard, bad input)."""


@dataclass(frozen=True)
class Standard:
    """One figure in yuan, for an item's component in a division, in force from a date."""

    item_code: str
    component: str
    division_code: str
    effective_from: date
    amount: Decimal

    def __post_init__(self) -> None:
        if self.component not in COMPONENTS.get(self.item_code, frozenset()):
            raise AmountError(f"{self.item_code} has no component {self.component!r}")
        if self.amount < 0:
            raise AmountError(f"a standard cannot be negative ({self.amount})")


@dataclass(frozen=True)
class AmountFacts:
    """What the amount depends on, as known when the case is certified."""

    division_code: str
    household_size: int = 1
    household_monthly_income: Decimal | None = None
    self_care_level: str | None = None


class StandardBook:
    """Every standard known (packaged baseline plus later ones), looked up by place and day."""

    def __init__(self, standards: Iterable[Standard]) -> None:
        self._standards = tuple(standards)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._standards)

    def figure(self, item_code: str, component: str, division_code: str, on: date) -> Decimal:
        """The most specific division with a standard in force on `on`; its latest one."""
        best: Standard | None = None
        for s in self._standards:
            if s.item_code != item_code or s.component != component or s.effective_from > on:
                continue
            if not division_code.startswith(jurisdiction_prefix(s.division_code)):
                continue
            if best is None or _rank(s) > _rank(best):
                best = s
        if best is None:
            raise AmountError(f"no {item_code} {component} standard for {division_code} on {on}")
        return best.amount


def _rank(s: Standard) -> tuple[int, date]:
    return len(jurisdiction_prefix(s.division_code)), s.effective_from


def monthly_amount(item_code: str, facts: AmountFacts, book: StandardBook, on: date) -> Decimal:
    """Yuan per month (the whole sum for a one-off item), rounded to the fen."""
    if item_code in NO_MONEY:
        return ZERO
    where = facts.division_code

    def figure(component: str) -> Decimal:
        return book.figure(item_code, component, where, on)

    if item_code in MINIMUM_LIVING:
        return _top_up(figure("standard"), figure("floor"), facts)
    if item_code == "TEKUN":
        level = facts.self_care_level or "FULL"
        if level not in SELF_CARE_LEVELS:
            raise AmountError(f"unknown self-care level {level!r}")
        return _money(figure("basic") + figure(f"care_{level}"))
    if item_code in FIXED_MONTHLY:
        return _money(figure("monthly"))
    if item_code in ONE_OFF:
        return _money(figure("one_off"))
    raise AmountError(f"no amount rule for item {item_code}")


def _top_up(standard: Decimal, floor: Decimal, facts: AmountFacts) -> Decimal:
    """低保差额: (standard − per-capita income) × members, never below floor × members."""
    members = max(1, facts.household_size)
    income = facts.household_monthly_income or ZERO
    if income < 0:
        raise AmountError("household income cannot be negative")
    per_capita = income / members
    per_member = max(standard - per_capita, floor)
    return _money(per_member * members)


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)
