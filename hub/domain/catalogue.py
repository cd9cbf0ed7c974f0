"""The public catalogue of service items (民政服务事项清单), loaded from packaged data.

Every per-item difference in the case workflow lives in catalogue.yaml, never in code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from hub.domain.datafile import DataFileError, LineIndex, parse_yaml, read_packaged
from hub.types import Department, Level

CATALOGUE_FILE = "catalogue.yaml"
CODE_PATTERN = re.compile(r"[A-Z][A-Z0-9_]*")
MAX_NOTICE_DAYS = 30


@dataclass(frozen=True)
class ServiceItemDef:
    """One service item: its public description and the data that drives its workflow."""

    code: str
    name: str
    name_en: str
    legal_basis: tuple[str, ...]
    conditions: tuple[str, ...]
    materials: tuple[str, ...]
    steps: tuple[str, ...]
    time_limit_working_days: int
    handling_level: Level
    certifying_level: Level
    online_capable: bool
    money_item: bool
    one_off: bool
    verify_departments: tuple[Department, ...]
    verify_parallel: bool
    public_notice_days: int
    review_required: bool

    @property
    def linked_departments(self) -> tuple[Department, ...]:
        """The partner departments that take part in deciding a case (联动审批)."""
        return self.verify_departments


class Catalogue:
    """The service items in their published order, looked up by code."""

    def __init__(self, items: Iterable[ServiceItemDef]) -> None:
        self._items: dict[str, ServiceItemDef] = {}
        for item in items:
            if item.code in self._items:
                raise ValueError(f"service item {item.code} is listed twice")
            self._items[item.code] = item

    def get(self, code: str) -> ServiceItemDef:
        """The item with this code; KeyError naming the code when there is none."""
        try:
            return self._items[code]
        except KeyError:
            raise KeyError(f"unknown service item {code!r}") from None

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(self._items)

    def __iter__(self) -> Iterator[ServiceItemDef]:
        return iter(self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, code: object) -> bool:
        return code in self._items


@cache
def load_catalogue() -> Catalogue:
    """The packaged catalogue, validated once per process."""
    return parse_catalogue(read_packaged(CATALOGUE_FILE), CATALOGUE_FILE)


def parse_catalogue(text: str, source: str) -> Catalogue:
    """Validate a catalogue document; an error names the file, line, item code and key."""
    data, lines = parse_yaml(text, source)
    if not isinstance(data, dict) or set(data) != {"version", "items"}:
        raise DataFileError(
            source, lines.line(()), "document", "must be a mapping with exactly version and items"
        )
    if data["version"] != 1:
        raise DataFileError(source, lines.line(("version",)), "version", "must be 1")
    items = data["items"]
    if not isinstance(items, list) or not items:
        raise DataFileError(source, lines.line(("items",)), "items", "must be a non-empty list")
    parsed: list[ServiceItemDef] = []
    for position, raw in enumerate(items):
        item = _ItemParser(raw, position, source, lines).parse()
        if item.code in (seen.code for seen in parsed):
            raise DataFileError(
                source,
                lines.line(("items", position, "code")),
                f"item {item.code}, key code",
                "code is listed twice",
            )
        parsed.append(item)
    return Catalogue(parsed)


class _ItemParser:
    """Checks one raw item mapping key by key and builds its ServiceItemDef."""

    def __init__(self, raw: Any, position: int, source: str, lines: LineIndex) -> None:
        self.raw = raw
        self.path: tuple[str | int, ...] = ("items", position)
        self.source = source
        self.lines = lines
        code = raw.get("code") if isinstance(raw, dict) else None
        self.label = f"item {code}" if isinstance(code, str) else f"item #{position + 1}"

    def fail(self, key: str | None, problem: str) -> DataFileError:
        path = (*self.path, key) if key else self.path
        where = f"{self.label}, key {key}" if key else self.label
        return DataFileError(self.source, self.lines.line(path), where, problem)

    def parse(self) -> ServiceItemDef:
        if not isinstance(self.raw, dict):
            raise self.fail(None, "must be a mapping")
        unknown = sorted(str(key) for key in self.raw if key not in _FIELDS)
        if unknown:
            raise self.fail(unknown[0], "unknown key")
        missing = [key for key in _FIELDS if key not in self.raw]
        if missing:
            raise self.fail(missing[0], "missing key")
        values = {key: check(self, key, self.raw[key]) for key, check in _FIELDS.items()}
        item = ServiceItemDef(**values)
        self._check_consistency(item)
        return item

    def _check_consistency(self, item: ServiceItemDef) -> None:
        if item.one_off and not item.money_item:
            raise self.fail("one_off", "a one-off item must be a money item")
        if item.certifying_level > item.handling_level:
            raise self.fail(
                "certifying_level",
                f"{item.certifying_level.name} is below the handling level "
                f"{item.handling_level.name}",
            )
        if not item.review_required and item.public_notice_days:
            raise self.fail(
                "public_notice_days", "the public notice follows the review: review_required"
            )


def _text(parser: _ItemParser, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise parser.fail(key, "must be a non-empty string")
    return value.strip()


def _code(parser: _ItemParser, key: str, value: Any) -> str:
    text = _text(parser, key, value)
    if CODE_PATTERN.fullmatch(text) is None:
        raise parser.fail(key, f"{text!r} is not an upper-case code like DB_URBAN")
    return text


def _texts(parser: _ItemParser, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise parser.fail(key, "must be a non-empty list of strings")
    return tuple(_text(parser, key, entry) for entry in value)


def _flag(parser: _ItemParser, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise parser.fail(key, "must be true or false")
    return value


def _days(low: int, high: int) -> Callable[[_ItemParser, str, Any], int]:
    def check(parser: _ItemParser, key: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise parser.fail(key, f"must be a whole number from {low} to {high}")
        return value

    return check


def _level(parser: _ItemParser, key: str, value: Any) -> Level:
    if not isinstance(value, str) or value not in Level.__members__:
        names = ", ".join(Level.__members__)
        raise parser.fail(key, f"unknown level {value!r}; one of {names}")
    return Level[value]


def _departments(parser: _ItemParser, key: str, value: Any) -> tuple[Department, ...]:
    if not isinstance(value, list):
        raise parser.fail(key, "must be a list of departments")
    departments: list[Department] = []
    for token in value:
        try:
            department = Department(token)
        except ValueError:
            raise parser.fail(key, f"unknown department {token!r}") from None
        if department in departments:
            raise parser.fail(key, f"department {token!r} is listed twice")
        departments.append(department)
    return tuple(departments)


_FIELDS: dict[str, Callable[[_ItemParser, str, Any], Any]] = {
    "code": _code,
    "name": _text,
    "name_en": _text,
    "legal_basis": _texts,
    "conditions": _texts,
    "materials": _texts,
    "steps": _texts,
    "time_limit_working_days": _days(1, 365),
    "handling_level": _level,
    "certifying_level": _level,
    "online_capable": _flag,
    "money_item": _flag,
    "one_off": _flag,
    "verify_departments": _departments,
    "verify_parallel": _flag,
    "public_notice_days": _days(0, MAX_NOTICE_DAYS),
    "review_required": _flag,
}
