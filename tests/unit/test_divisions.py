"""Division codes: levels, jurisdiction prefixes, parents and containment."""

from __future__ import annotations

import pytest

from hub.domain.divisions import (
    InvalidDivisionCode,
    ancestor_code,
    contains,
    is_division_code,
    jurisdiction_prefix,
    level_of,
    normalize_prefix_or_code,
    parent_code,
    prefix_range,
)
from hub.types import Level

REGION = "640000000000"  # 宁夏回族自治区
CITY = "640100000000"  # 银川市
COUNTY = "640104000000"  # 兴庆区
TOWNSHIP = "640104001000"  # 凤凰北街街道
VILLAGE = "640104001001"
CHAIN = [(REGION, Level.REGION), (CITY, Level.CITY), (COUNTY, Level.COUNTY)]
CHAIN += [(TOWNSHIP, Level.TOWNSHIP), (VILLAGE, Level.VILLAGE)]


@pytest.mark.parametrize(("code", "level"), CHAIN)
def test_level_is_read_from_the_trailing_zero_groups(code: str, level: Level) -> None:
    assert level_of(code) == level


@pytest.mark.parametrize(
    ("code", "prefix"),
    [(REGION, "64"), (CITY, "6401"), (COUNTY, "640104"), (TOWNSHIP, "640104001")]
    + [(VILLAGE, VILLAGE)],
)
def test_jurisdiction_prefix_has_2_4_6_9_or_12_digits(code: str, prefix: str) -> None:
    assert jurisdiction_prefix(code) == prefix


def test_a_village_with_a_zero_township_group_is_still_a_village() -> None:
    assert level_of("640104000001") == Level.VILLAGE


@pytest.mark.parametrize(
    "bad", ["", "64010400100", "6401040010011", "64010400100a", "000000000000", "001234000000"]
)
def test_malformed_codes_are_not_division_codes(bad: str) -> None:
    assert not is_division_code(bad)
    with pytest.raises(InvalidDivisionCode, match="12 digits"):
        level_of(bad)


def test_invalid_division_code_is_a_value_error() -> None:
    assert issubclass(InvalidDivisionCode, ValueError)


def test_well_formed_codes_are_division_codes() -> None:
    assert all(is_division_code(code) for code, _ in CHAIN)


def test_prefix_range_spans_every_code_with_the_prefix() -> None:
    assert prefix_range("640104") == ("640104000000", "640104999999")
    assert prefix_range(VILLAGE) == (VILLAGE, VILLAGE)


def test_parent_code_walks_up_one_level_to_the_region() -> None:
    assert parent_code(VILLAGE) == TOWNSHIP
    assert parent_code(TOWNSHIP) == COUNTY
    assert parent_code(COUNTY) == CITY
    assert parent_code(CITY) == REGION
    assert parent_code(REGION) is None


def test_a_division_contains_itself_and_everything_below_it() -> None:
    assert contains(COUNTY, COUNTY)
    assert contains(COUNTY, VILLAGE)
    assert contains(REGION, VILLAGE)
    assert contains(TOWNSHIP, VILLAGE)


def test_a_division_does_not_contain_its_siblings_or_parents() -> None:
    assert not contains(COUNTY, "640105001001")  # 西夏区
    assert not contains(TOWNSHIP, "640104002001")
    assert not contains(VILLAGE, TOWNSHIP)
    assert not contains(COUNTY, CITY)


def test_containment_is_by_prefix_not_by_string_start_of_the_code() -> None:
    # 6401 (Yinchuan) must not contain 640200... (Shizuishan) even though both start with 640.
    assert not contains(CITY, "640200000000")


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("64", REGION),
        ("6401", CITY),
        ("640104", COUNTY),
        ("640104001", TOWNSHIP),
        (VILLAGE, VILLAGE),
        (COUNTY, COUNTY),
    ],
)
def test_normalize_accepts_a_prefix_or_a_full_code(value: str, code: str) -> None:
    assert normalize_prefix_or_code(value) == code


@pytest.mark.parametrize("bad", ["", "6", "640", "64010", "6401040010", "00", "64ab"])
def test_normalize_refuses_other_lengths_and_non_digits(bad: str) -> None:
    with pytest.raises(InvalidDivisionCode):
        normalize_prefix_or_code(bad)


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        (Level.REGION, REGION),
        (Level.CITY, CITY),
        (Level.COUNTY, COUNTY),
        (Level.TOWNSHIP, TOWNSHIP),
        (Level.VILLAGE, VILLAGE),
    ],
)
def test_ancestor_code_finds_the_containing_division_at_a_level(
    level: Level, expected: str
) -> None:
    assert ancestor_code(VILLAGE, level) == expected


def test_ancestor_code_refuses_a_level_below_the_division() -> None:
    with pytest.raises(InvalidDivisionCode, match="above the township level"):
        ancestor_code(COUNTY, Level.TOWNSHIP)
