"""Division codes: 12 digits, whose level fixes a jurisdiction prefix of 2, 4, 6, 9 or 12 digits."""

from __future__ import annotations

import re

from hub.types import Level

CODE_PATTERN = re.compile(r"^\d{12}$")
PREFIX_LENGTH = {
    Level.REGION: 2,
    Level.CITY: 4,
    Level.COUNTY: 6,
    Level.TOWNSHIP: 9,
    Level.VILLAGE: 12,
}


class InvalidDivisionCode(ValueError):
    """A string that is not a 12-digit division code of a recognisable level."""


def is_division_code(code: str) -> bool:
    return bool(CODE_PATTERN.match(code)) and code[:2] != "00"


def level_of(code: str) -> Level:
    """The level a 12-digit code stands for, read from its trailing zero groups."""
    if not is_division_code(code):
        raise InvalidDivisionCode(f"division code must be 12 digits, got {code!r}")
    if code[9:] != "000":
        return Level.VILLAGE
    if code[6:9] != "000":
        return Level.TOWNSHIP
    if code[4:6] != "00":
        return Level.COUNTY
    if code[2:4] != "00":
        return Level.CITY
    return Level.REGION


def jurisdiction_prefix(code: str) -> str:
    """The prefix every code inside this division's jurisdiction starts with."""
    return code[: PREFIX_LENGTH[level_of(code)]]


def prefix_range(prefix: str) -> tuple[str, str]:
    """The inclusive range of 12-digit codes that start with `prefix` (an index range scan)."""
    return prefix.ljust(12, "0"), prefix.ljust(12, "9")


def parent_code(code: str) -> str | None:
    """The code of the division one level up, or None for the region."""
    level = level_of(code)
    if level == Level.REGION:
        return None
    keep = PREFIX_LENGTH[Level(level - 1)]
    return code[:keep].ljust(12, "0")


def contains(outer_code: str, inner_code: str) -> bool:
    """True when `inner_code` lies inside the jurisdiction of `outer_code` (or is it)."""
    return inner_code.startswith(jurisdiction_prefix(outer_code))


def normalize_prefix_or_code(value: str) -> str:
    """Accept a 12-digit code or a bare prefix (2/4/6/9/12 digits); return the 12-digit code."""
    if re.fullmatch(r"\d{2}|\d{4}|\d{6}|\d{9}|\d{12}", value or "") is None:
        raise InvalidDivisionCode(f"division code must be 12 digits, got {value!r}")
    code = value.ljust(12, "0")
    level_of(code)
    return code


def ancestor_code(code: str, level: Level) -> str:
    """The 12-digit code of the division at `level` that contains `code` (or `code` itself)."""
    own = level_of(code)
    if level > own:
        raise InvalidDivisionCode(f"division {code} is above the {level.name.lower()} level")
    return code[: PREFIX_LENGTH[level]].ljust(12, "0")
