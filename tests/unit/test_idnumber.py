"""GB 11643-1999 citizen id numbers: check digit, validation reasons, parsing and generation."""

from __future__ import annotations

from datetime import date

import pytest

from hub.domain.idnumber import (
    FEMALE,
    MALE,
    IdNumberInfo,
    InvalidIdNumber,
    check_digit,
    generate,
    is_valid,
    normalize,
    validate,
)

TODAY = date(2026, 11, 27)
# The standard's own example: weighted sum 167 = 15 * 11 + 2, remainder 2 -> X.
STANDARD_EXAMPLE = "11010519491231002X"
# A Xingqing District (兴庆区) man born 1950-01-01: sum 164, remainder 10 -> check 2.
NINGXIA_MAN = "640104195001010132"


def test_check_digit_x_for_remainder_two() -> None:
    assert check_digit(STANDARD_EXAMPLE[:17]) == "X"


def test_check_digit_of_the_standards_second_example() -> None:
    # 4*7+4*9+0*10+5*5+2*8+4*4+1*2+8*1+8*6+0*3+0*7+1*9+0*10+1*5+0*8+0*4+1*2 = 195,
    # 195 = 17 * 11 + 8, remainder 8 -> 4.
    assert check_digit("44052418800101001") == "4"


@pytest.mark.parametrize(
    ("first17", "weighted_sum", "expected"),
    [
        ("64010419500315236", 242, "1"),
        ("64010419500315127", 232, "0"),
        ("64010419501122998", 310, "X"),
        ("64010419500101998", 278, "9"),
        ("64010419500101512", 202, "8"),
        ("64010419500101024", 170, "7"),
        ("64010419500708024", 259, "6"),
        ("64010419500101236", 194, "5"),
        ("64010419500101127", 184, "4"),
        ("64010419500315024", 218, "3"),
        ("64010419500101013", 164, "2"),
    ],
)
def test_check_digit_maps_every_remainder_of_mod_11_2(
    first17: str, weighted_sum: int, expected: str
) -> None:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    assert sum(int(d) * w for d, w in zip(first17, weights, strict=True)) == weighted_sum
    assert check_digit(first17) == expected


@pytest.mark.parametrize("bad", ["", "6401041950010101", "640104195001010132", "6401041950010101a"])
def test_check_digit_needs_exactly_17_digits(bad: str) -> None:
    with pytest.raises(InvalidIdNumber) as caught:
        check_digit(bad)
    assert caught.value.reason == "characters"


def test_validate_returns_area_birth_date_gender_and_sequence() -> None:
    info = validate(NINGXIA_MAN, today=TODAY)
    assert info == IdNumberInfo(
        id_number=NINGXIA_MAN,
        area_code="640104",
        birth_date=date(1950, 1, 1),
        gender=MALE,
        order_code="013",
        sequence=6,
    )


def test_validate_reads_female_from_an_even_17th_digit() -> None:
    info = validate(STANDARD_EXAMPLE, today=TODAY)
    assert info.gender == FEMALE
    assert info.order_code == "002"
    assert info.birth_date == date(1949, 12, 31)


def test_validate_accepts_lower_case_x_and_normalises_it() -> None:
    assert validate(STANDARD_EXAMPLE.lower(), today=TODAY).id_number == STANDARD_EXAMPLE


def test_validate_accepts_full_width_characters_and_surrounding_spaces() -> None:
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in STANDARD_EXAMPLE)
    assert validate(f"  {full_width}\n", today=TODAY).id_number == STANDARD_EXAMPLE


@pytest.mark.parametrize("bad", ["", "11010519491231002", "11010519491231002X1", "123"])
def test_validate_rejects_wrong_length(bad: str) -> None:
    with pytest.raises(InvalidIdNumber, match="18 characters") as caught:
        validate(bad, today=TODAY)
    assert caught.value.reason == "length"


@pytest.mark.parametrize(
    ("bad", "position"),
    [
        ("1101051949123100XX", 17),
        ("11010519491231O02X", 15),
        ("A1010519491231002X", 1),
        ("11010519491231002Y", 18),
        ("1101051949-231002X", 11),
    ],
)
def test_validate_rejects_characters_other_than_digits_and_final_x(bad: str, position: int) -> None:
    with pytest.raises(InvalidIdNumber, match=f"character {position} ") as caught:
        validate(bad, today=TODAY)
    assert caught.value.reason == "characters"


def test_validate_rejects_non_ascii_digits() -> None:
    arabic_indic_one = "\u0661"
    with pytest.raises(InvalidIdNumber) as caught:
        validate(arabic_indic_one + STANDARD_EXAMPLE[1:], today=TODAY)
    assert caught.value.reason == "characters"


@pytest.mark.parametrize("prefix", ["00", "10", "19", "24", "47", "55", "66", "72", "84", "99"])
def test_validate_rejects_an_unknown_province_prefix(prefix: str) -> None:
    first17 = prefix + NINGXIA_MAN[2:17]
    with pytest.raises(InvalidIdNumber, match="not a province-level code") as caught:
        validate(first17 + check_digit(first17), today=TODAY)
    assert caught.value.reason == "area_code"


@pytest.mark.parametrize("area", ["000000", "640000", "110000"])
def test_validate_rejects_a_zero_or_province_only_area_code(area: str) -> None:
    first17 = area + NINGXIA_MAN[6:17]
    with pytest.raises(InvalidIdNumber) as caught:
        validate(first17 + check_digit(first17), today=TODAY)
    assert caught.value.reason == "area_code"


@pytest.mark.parametrize("area", ["810000", "820000", "830000"])
def test_validate_accepts_residence_permits_of_hong_kong_macao_and_taiwan(area: str) -> None:
    first17 = area + NINGXIA_MAN[6:17]
    assert validate(first17 + check_digit(first17), today=TODAY).area_code == area


@pytest.mark.parametrize("birth", ["19900230", "19901301", "19900001", "19900100", "20230229"])
def test_validate_rejects_an_impossible_birth_date(birth: str) -> None:
    first17 = f"640104{birth}013"
    with pytest.raises(InvalidIdNumber, match="not a calendar date") as caught:
        validate(first17 + check_digit(first17), today=TODAY)
    assert caught.value.reason == "birth_date"


def test_validate_accepts_the_leap_day_of_a_leap_year() -> None:
    first17 = "64010420000229013"
    assert validate(first17 + check_digit(first17), today=TODAY).birth_date == date(2000, 2, 29)


def test_validate_rejects_a_birth_date_before_1900() -> None:
    with pytest.raises(InvalidIdNumber, match="before 1900") as caught:
        validate("440524188001010014", today=TODAY)
    assert caught.value.reason == "birth_date"


def test_validate_accepts_the_first_day_of_1900() -> None:
    first17 = "64010419000101013"
    assert validate(first17 + check_digit(first17), today=TODAY).birth_date == date(1900, 1, 1)


def test_validate_rejects_a_birth_date_after_today() -> None:
    first17 = "64010420261128013"
    with pytest.raises(InvalidIdNumber, match="in the future") as caught:
        validate(first17 + check_digit(first17), today=TODAY)
    assert caught.value.reason == "birth_date"


def test_validate_accepts_a_child_born_today() -> None:
    first17 = "64010420261127013"
    assert validate(first17 + check_digit(first17), today=TODAY).birth_date == TODAY


def test_validate_without_today_uses_the_system_clock() -> None:
    first17 = "64010429991231013"
    with pytest.raises(InvalidIdNumber, match="in the future"):
        validate(first17 + check_digit(first17))


def test_validate_rejects_a_wrong_check_digit_naming_the_expected_one() -> None:
    with pytest.raises(InvalidIdNumber, match="require '2'") as caught:
        validate(NINGXIA_MAN[:17] + "3", today=TODAY)
    assert caught.value.reason == "check_digit"


def test_validate_rejects_a_swapped_digit_through_the_check_digit() -> None:
    swapped = NINGXIA_MAN[:8] + NINGXIA_MAN[9] + NINGXIA_MAN[8] + NINGXIA_MAN[10:]
    with pytest.raises(InvalidIdNumber) as caught:
        validate(swapped, today=TODAY)
    assert caught.value.reason in {"check_digit", "birth_date"}


def test_invalid_id_number_is_a_value_error() -> None:
    assert issubclass(InvalidIdNumber, ValueError)


def test_is_valid_is_true_for_valid_and_false_for_invalid_numbers() -> None:
    assert is_valid(NINGXIA_MAN, today=TODAY)
    assert is_valid(STANDARD_EXAMPLE.lower(), today=TODAY)
    assert not is_valid(NINGXIA_MAN[:17] + "X", today=TODAY)
    assert not is_valid("not an id", today=TODAY)


def test_normalize_folds_width_trims_and_upper_cases() -> None:
    assert normalize(" １１０１０５１９４９１２３１００２ｘ ") == STANDARD_EXAMPLE
    assert normalize("abc") == "ABC"


def test_generate_builds_the_number_with_its_check_digit() -> None:
    assert generate("640104", date(1950, 1, 1), MALE, 6) == NINGXIA_MAN


def test_generate_gives_odd_order_codes_to_men_and_even_to_women() -> None:
    assert generate("640104", date(1990, 5, 17), MALE, 0)[14:17] == "001"
    assert generate("640104", date(1990, 5, 17), FEMALE, 0)[14:17] == "000"
    assert generate("640104", date(1990, 5, 17), MALE, 499)[14:17] == "999"
    assert generate("640104", date(1990, 5, 17), FEMALE, 499)[14:17] == "998"


@pytest.mark.parametrize("gender", [MALE, FEMALE])
@pytest.mark.parametrize("sequence", [0, 1, 17, 250, 499])
def test_generate_round_trips_through_validate(gender: str, sequence: int) -> None:
    born = date(1987, 12, 31)
    number = generate("640302", born, gender, sequence)
    info = validate(number, today=TODAY)
    assert (info.area_code, info.birth_date, info.gender, info.sequence) == (
        "640302",
        born,
        gender,
        sequence,
    )


def test_generate_is_deterministic() -> None:
    assert generate("640521", date(2001, 7, 1), FEMALE, 42) == generate(
        "640521", date(2001, 7, 1), FEMALE, 42
    )


@pytest.mark.parametrize("sequence", [-1, 500, 1000])
def test_generate_refuses_a_sequence_outside_0_to_499(sequence: int) -> None:
    with pytest.raises(ValueError, match="sequence"):
        generate("640104", date(1990, 1, 1), MALE, sequence)


def test_generate_refuses_an_unknown_gender() -> None:
    with pytest.raises(ValueError, match="gender"):
        generate("640104", date(1990, 1, 1), "male", 1)


@pytest.mark.parametrize("area", ["64010", "6401044", "64010a", "990104", "640000"])
def test_generate_refuses_a_bad_area_code(area: str) -> None:
    with pytest.raises(InvalidIdNumber) as caught:
        generate(area, date(1990, 1, 1), MALE, 1)
    assert caught.value.reason == "area_code"


def test_generate_refuses_a_birth_date_before_1900() -> None:
    with pytest.raises(InvalidIdNumber) as caught:
        generate("640104", date(1899, 12, 31), MALE, 1)
    assert caught.value.reason == "birth_date"
