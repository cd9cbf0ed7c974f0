"""Citizen id numbers (居民身份证号码) of GB 11643-1999: validation, parsing and generation.

Layout: 6-digit area code, 8-digit birth date, 3-digit order code (odd for men), check digit.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

from hub.domain.clock import SystemClock

Gender = Literal["MALE", "FEMALE"]
MALE: Final = "MALE"
FEMALE: Final = "FEMALE"

WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# ISO 7064 MOD 11-2: the check character for each remainder of the weighted sum.
CHECK_CHARACTERS: Final = "10X98765432"
EARLIEST_BIRTH_DATE: Final = date(1900, 1, 1)
MAX_SEQUENCE: Final = 499

# Province-level prefixes of GB/T 2260; 81/82/83 are the residence permits of Hong Kong, Macao
# and Taiwan residents (港澳台居民居住证), which use the same 18-character format.
PROVINCE_PREFIXES: Final = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82 83".split()
)
_PERMIT_PREFIXES: Final = frozenset({"81", "82", "83"})
_SHAPE = re.compile(r"\d{17}[\dX]")
_AREA = re.compile(r"\d{6}")

Reason = Literal["length", "characters", "area_code", "birth_date", "check_digit"]


class InvalidIdNumber(ValueError):
    """An id number that breaks a rule of GB 11643; `reason` names which rule."""

    def __init__(self, message: str, reason: Reason) -> None:
        super().__init__(message)
        self.reason: Reason = reason


@dataclass(frozen=True)
class IdNumberInfo:
    """What a valid id number says about its holder.

    `order_code` is the 3-digit 顺序码; `sequence` is its index among the codes of the holder's
    gender (order_code // 2), so `generate(area_code, birth_date, gender, sequence)` gives the
    number back.
    """

    id_number: str
    area_code: str
    birth_date: date
    gender: Gender
    order_code: str
    sequence: int


def normalize(s: str) -> str:
    """Canonical text form: full-width characters folded (NFKC), trimmed, 'x' upper-cased."""
    return unicodedata.normalize("NFKC", s).strip().upper()


def check_digit(first17: str) -> str:
    """The MOD 11-2 check character ('0'-'9' or 'X') for the first 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise InvalidIdNumber(
            f"the check digit needs exactly 17 digits, got {first17!r}", "characters"
        )
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def validate(id_number: str, *, today: date | None = None) -> IdNumberInfo:
    """Parse a GB 11643 id number or raise `InvalidIdNumber` saying which rule it breaks.

    `today` (a China date) bounds the birth date; it defaults to the system clock's today.
    """
    value = normalize(id_number)
    if len(value) != 18:
        raise InvalidIdNumber(f"id number must be 18 characters, got {len(value)}", "length")
    if not value.isascii() or _SHAPE.fullmatch(value) is None:
        position = _first_bad_position(value)
        raise InvalidIdNumber(
            "id number must be 17 digits and a final digit or X; "
            f"character {position + 1} is {value[position]!r}",
            "characters",
        )
    area_code = value[:6]
    _check_area_code(area_code)
    birth_date = _parse_birth_date(value[6:14])
    limit = today if today is not None else SystemClock().today()
    if birth_date > limit:
        raise InvalidIdNumber(f"birth date {birth_date.isoformat()} is in the future", "birth_date")
    expected = check_digit(value[:17])
    if value[17] != expected:
        raise InvalidIdNumber(
            f"check digit is {value[17]!r} but the first 17 digits require {expected!r}",
            "check_digit",
        )
    order_code = value[14:17]
    return IdNumberInfo(
        id_number=value,
        area_code=area_code,
        birth_date=birth_date,
        gender=MALE if int(order_code) % 2 == 1 else FEMALE,
        order_code=order_code,
        sequence=int(order_code) // 2,
    )


def is_valid(s: str, *, today: date | None = None) -> bool:
    """True when `s` is a valid id number (see `validate`)."""
    try:
        validate(s, today=today)
    except InvalidIdNumber:
        return False
    return True


def generate(area_code6: str, birth_date: date, gender: str, sequence: int) -> str:
    """The id number for these facts, deterministically (for seeding and tests).

    `sequence` 0..499 picks the order code of the right parity: 2*sequence+1 for men,
    2*sequence for women. The birth date is not checked against today.
    """
    _check_area_code(area_code6)
    if birth_date < EARLIEST_BIRTH_DATE:
        raise InvalidIdNumber(
            f"birth date {birth_date.isoformat()} is before {EARLIEST_BIRTH_DATE.year}",
            "birth_date",
        )
    if gender not in (MALE, FEMALE):
        raise ValueError(f"gender must be MALE or FEMALE, got {gender!r}")
    if not 0 <= sequence <= MAX_SEQUENCE:
        raise ValueError(f"sequence must be 0..{MAX_SEQUENCE}, got {sequence}")
    order = 2 * sequence + (1 if gender == MALE else 0)
    first17 = f"{area_code6}{birth_date:%Y%m%d}{order:03d}"
    return first17 + check_digit(first17)


def _first_bad_position(value: str) -> int:
    for position, character in enumerate(value):
        allowed = "0123456789X" if position == 17 else "0123456789"
        if character not in allowed:
            return position
    raise AssertionError("unreachable: the shape check failed on a well-formed value")


def _check_area_code(area_code: str) -> None:
    if _AREA.fullmatch(area_code) is None or not area_code.isascii():
        raise InvalidIdNumber(f"area code must be 6 digits, got {area_code!r}", "area_code")
    if area_code[:2] not in PROVINCE_PREFIXES:
        raise InvalidIdNumber(
            f"area code {area_code} starts with {area_code[:2]}, not a province-level code",
            "area_code",
        )
    if area_code[2:] == "0000" and area_code[:2] not in _PERMIT_PREFIXES:
        raise InvalidIdNumber(
            f"area code {area_code} names a whole province, not a county-level area",
            "area_code",
        )


def _parse_birth_date(digits: str) -> date:
    try:
        birth_date = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise InvalidIdNumber(f"birth date {digits} is not a calendar date", "birth_date") from None
    if birth_date < EARLIEST_BIRTH_DATE:
        raise InvalidIdNumber(
            f"birth date {birth_date.isoformat()} is before {EARLIEST_BIRTH_DATE.year}",
            "birth_date",
        )
    return birth_date
