"""The packaged assistance standards (hub/domain/data/standards.yaml), validated on load."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from hub.domain.amounts import AmountError, Standard, StandardBook
from hub.domain.datafile import DataFileError, parse_yaml, read_packaged
from hub.domain.divisions import is_division_code

SOURCE = "standards.yaml"


def parse_standards(text: str, source: str = SOURCE) -> list[Standard]:
    data, lines = parse_yaml(text, source)
    rows = data.get("standards") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise DataFileError(source, lines.line(()), "standards", "must be a list")
    return [_standard(row, n, source, lines.line(("standards", n))) for n, row in enumerate(rows)]


def _standard(row: Any, n: int, source: str, line: int | None) -> Standard:
    where = f"standards[{n}]"
    if not isinstance(row, dict):
        raise DataFileError(source, line, where, "must be a mapping")
    try:
        division = str(row["division"])
        effective = row["from"]
        amount = Decimal(str(row["amount"]))
        if not is_division_code(division):
            raise AmountError(f"division {division!r} is not a 12-digit code")
        if not isinstance(effective, date):
            raise AmountError("`from` must be a date YYYY-MM-DD")
        return Standard(str(row["item"]), str(row["component"]), division, effective, amount)
    except KeyError as exc:
        raise DataFileError(source, line, where, f"missing key {exc.args[0]!r}") from None
    except (AmountError, InvalidOperation) as exc:
        raise DataFileError(source, line, where, str(exc) or "bad amount") from None


@cache
def packaged_standards() -> tuple[Standard, ...]:
    return tuple(parse_standards(read_packaged(SOURCE)))


def packaged_book() -> StandardBook:
    return StandardBook(packaged_standards())
