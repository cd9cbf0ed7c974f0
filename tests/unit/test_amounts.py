"""The amount rules (hub.domain.amounts), table-driven, over the packaged standards and a
small hand-made book; the period helpers and payment status rules alongside."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from hub.domain import payment_rules as rules
from hub.domain.amounts import AmountError, AmountFacts, Standard, StandardBook, monthly_amount
from hub.domain.datafile import DataFileError
from hub.domain.periods import InvalidPeriod, parse_period, shift
from hub.domain.standards import packaged_book, parse_standards

XINGQING = "640104001002"  # 兴庆区 (银川)
YUANZHOU = "640402001001"  # 原州区 (固原)
NOV26, JUN25 = date(2026, 11, 20), date(2025, 6, 1)

CASES = [
    # item, division, members, household income, self-care, day, expected yuan per month
    ("DB_URBAN", XINGQING, 1, "600", None, NOV26, "240.00"),  # (840 - 600) x 1
    ("DB_URBAN", XINGQING, 3, "1200", None, NOV26, "1320.00"),  # (840 - 400) x 3
    ("DB_URBAN", XINGQING, 2, "1650", None, NOV26, "100.00"),  # gap 15 < floor 50: 50 x 2
    ("DB_URBAN", XINGQING, 1, None, None, NOV26, "840.00"),  # no income: the standard
    ("DB_URBAN", XINGQING, 1, "600", None, JUN25, "220.00"),  # 2025 standard 820
    ("DB_URBAN", YUANZHOU, 1, "600", None, NOV26, "210.00"),  # regional 810
    ("DB_URBAN", XINGQING, 0, "100", None, NOV26, "740.00"),  # size 0 counts as 1
    ("DB_RURAL", XINGQING, 2, "300", None, NOV26, "830.00"),  # (565 - 150) x 2
    ("DB_RURAL", YUANZHOU, 1, "0", None, NOV26, "510.00"),  # 固原 rural 510
    ("DB_RURAL", YUANZHOU, 1, "505", None, NOV26, "40.00"),  # floor 40
    ("TEKUN", XINGQING, 1, None, "FULL", NOV26, "1172.00"),  # 1092 + 80
    ("TEKUN", XINGQING, 1, None, "PARTIAL", NOV26, "1392.00"),
    ("TEKUN", XINGQING, 1, None, "NONE", NOV26, "1892.00"),
    ("TEKUN", YUANZHOU, 1, None, None, NOV26, "1133.00"),  # unknown ability: FULL
    ("TEKUN", YUANZHOU, 1, None, "NONE", JUN25, "1814.00"),  # 1014 + 800
    ("DISABLED_LIVING", XINGQING, 1, None, None, NOV26, "90.00"),
    ("DISABLED_LIVING", XINGQING, 1, None, None, JUN25, "80.00"),
    ("DISABLED_CARE", YUANZHOU, 1, None, None, NOV26, "90.00"),
    ("ORPHAN", XINGQING, 1, None, None, NOV26, "1600.00"),
    ("ORPHAN", YUANZHOU, 1, None, None, NOV26, "1500.00"),
    ("ELDERLY_ALLOWANCE", XINGQING, 1, None, None, NOV26, "120.00"),
    ("ELDERLY_ALLOWANCE", YUANZHOU, 1, None, None, NOV26, "100.00"),
    ("TEMPORARY", XINGQING, 4, "0", None, NOV26, "1000.00"),
    ("MEDICAL", XINGQING, 1, None, None, NOV26, "2000.00"),
    ("LOW_INCOME", XINGQING, 1, "900", None, NOV26, "0.00"),
    ("SENIOR_CARD", XINGQING, 1, None, None, NOV26, "0.00"),
]


@pytest.mark.parametrize(("item", "division", "size", "income", "care", "day", "expected"), CASES)
def test_monthly_amount_follows_the_standards_in_force(
    item: str, division: str, size: int, income: str | None, care: str | None, day: date,
    expected: str,
) -> None:  # fmt: skip
    facts = AmountFacts(division, size, Decimal(income) if income else None, care)
    assert monthly_amount(item, facts, packaged_book(), day) == Decimal(expected)


def test_the_most_specific_division_wins_then_the_latest_date() -> None:
    book = StandardBook([
        Standard("ORPHAN", "monthly", "640000000000", date(2026, 6, 1), Decimal(1700)),
        Standard("ORPHAN", "monthly", "640104000000", date(2025, 1, 1), Decimal(1550)),
        Standard("ORPHAN", "monthly", "640104000000", date(2026, 1, 1), Decimal(1650)),
    ])  # fmt: skip
    facts = AmountFacts(XINGQING)
    assert monthly_amount("ORPHAN", facts, book, NOV26) == Decimal("1650.00")
    assert monthly_amount("ORPHAN", AmountFacts(YUANZHOU), book, NOV26) == Decimal("1700.00")
    with pytest.raises(AmountError, match="no ORPHAN monthly standard"):
        monthly_amount("ORPHAN", AmountFacts(YUANZHOU), book, JUN25)


@pytest.mark.parametrize(
    ("item", "facts", "message"),
    [
        ("DB_URBAN", AmountFacts(XINGQING, 1, Decimal(-1)), "negative"),
        ("TEKUN", AmountFacts(XINGQING, 1, None, "SOMETIMES"), "self-care"),
        ("UNKNOWN", AmountFacts(XINGQING), "no amount rule"),
    ],
)
def test_bad_facts_are_refused(item: str, facts: AmountFacts, message: str) -> None:
    with pytest.raises(AmountError, match=message):
        monthly_amount(item, facts, packaged_book(), NOV26)


@pytest.mark.parametrize(
    ("item", "component", "amount"),
    [("DB_URBAN", "monthly", 1), ("ORPHAN", "monthly", -1), ("SENIOR_CARD", "monthly", 1)],
)
def test_a_standard_must_fit_its_item_and_not_be_negative(
    item: str, component: str, amount: int
) -> None:
    with pytest.raises(AmountError):
        Standard(item, component, "640000000000", NOV26, Decimal(amount))


def test_the_standards_file_names_the_bad_line() -> None:
    text = (
        "standards:\n  - {item: ORPHAN, component: monthly, division: '640000000000', "
        "from: 2026-01-01, amount: 1}\n  - {item: ORPHAN, component: monthly}\n"
    )
    with pytest.raises(DataFileError, match=r"standards\.yaml:3: standards\[1\]: missing"):
        parse_standards(text)


@pytest.mark.parametrize("bad", ["2026-13", "2026-00", "2026-1", "26-11", "", "2026/11"])
def test_malformed_periods_are_refused(bad: str) -> None:
    with pytest.raises(InvalidPeriod):
        parse_period(bad)


@pytest.mark.parametrize(
    ("period", "months", "expected"),
    [("2026-11", 1, "2026-12"), ("2026-12", 1, "2027-01"), ("2026-01", -1, "2025-12")],
)
def test_shift_moves_across_years(period: str, months: int, expected: str) -> None:
    assert shift(period, months) == expected


@pytest.mark.parametrize(
    ("current", "result", "reason", "changes"),
    [
        ("SCHEDULED", "PAID", None, True),
        ("SCHEDULED", "FAILED", "账户冻结", True),
        ("SCHEDULED", "RETURNED", "退回", True),
        ("PAID", "RETURNED", "退回", True),
        ("PAID", "PAID", None, False),
        ("FAILED", "FAILED", "again", False),
    ],
)
def test_payment_results(current: str, result: str, reason: str | None, changes: bool) -> None:
    assert rules.result_changes(current, result, reason) is changes


@pytest.mark.parametrize(
    ("current", "result"),
    [("FAILED", "PAID"), ("RETURNED", "PAID"), ("CANCELLED", "PAID"), ("PAID", "FAILED")],
)
def test_illegal_payment_results(current: str, result: str) -> None:
    with pytest.raises(rules.RuleViolation):
        rules.result_changes(current, result, "reason")


@pytest.mark.parametrize(
    ("current", "action", "after"),
    [("ACTIVE", "suspend", "SUSPENDED"), ("SUSPENDED", "resume", "ACTIVE"),
     ("ACTIVE", "terminate", "TERMINATED"), ("SUSPENDED", "terminate", "TERMINATED")],
)  # fmt: skip
def test_entitlement_changes(current: str, action: str, after: str) -> None:
    assert rules.entitlement_change(current, action) == after


@pytest.mark.parametrize(
    ("current", "action"),
    [("TERMINATED", "resume"), ("TERMINATED", "suspend"), ("ACTIVE", "resume"),
     ("SUSPENDED", "suspend"), ("TERMINATED", "terminate")],
)  # fmt: skip
def test_illegal_entitlement_changes(current: str, action: str) -> None:
    with pytest.raises(rules.RuleViolation):
        rules.entitlement_change(current, action)
