"""Field masks, each defined once with a Python form and an SQL form that give the same result.

The SQL forms are SQLAlchemy Core expressions using only `substr`, `length`, `||`, `coalesce`
and `CASE`, so they render alike on SQLite and PostgreSQL for the compiled read path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

# One star source for both forms: SQL has no portable repeat(), so both take a prefix of this.
STARS = "*" * 64
BANK_ACCOUNT_PREFIX = "**** **** **** "
REDACTED = "****"


def _stars(count: int) -> str:
    return STARS[: max(count, 0)]


def _text(value: str) -> ColumnElement[str]:
    # An explicit cast keeps asyncpg from guessing the type of a bare string parameter.
    return sa.cast(sa.literal(value, sa.Text), sa.Text)


def _substr(value: Any, start: Any, length: Any) -> ColumnElement[str]:
    return sa.func.substr(value, start, length, type_=sa.Text)


def _keep_ends(value: str | None, head: int, tail: int) -> str | None:
    """Keep `head` leading and `tail` trailing characters; a shorter value is all stars."""
    if value is None:
        return None
    n = len(value)
    if n <= head + tail:
        return _stars(n)
    return value[:head] + _stars(n - head - tail) + (value[n - tail :] if tail else "")


def _keep_ends_sql(value: ColumnElement[Any], head: int, tail: int) -> ColumnElement[str]:
    n = sa.func.length(value)
    kept = _substr(value, 1, head).concat(_substr(_text(STARS), 1, n - head - tail))
    if tail:
        kept = kept.concat(_substr(value, n - tail + 1, tail))
    return sa.case(
        (value.is_(None), sa.null()),
        (n <= head + tail, _substr(_text(STARS), 1, n)),
        else_=kept,
    )


def mask_id_number(value: str | None) -> str | None:
    """`640104199001011234` -> `640104********1234`: the county of issue and the last four."""
    return _keep_ends(value, 6, 4)


def mask_phone(value: str | None) -> str | None:
    """`13812341234` -> `138****1234`."""
    return _keep_ends(value, 3, 4)


def mask_name(value: str | None) -> str | None:
    """`张三` -> `张*`, `张三丰` -> `张**`; a one-character name is fully starred."""
    return _keep_ends(value, 1, 0)


def mask_bank_account(value: str | None) -> str | None:
    """Any account number -> `**** **** **** 1234`; four characters or fewer reveal nothing."""
    if value is None:
        return None
    return BANK_ACCOUNT_PREFIX + (value[-4:] if len(value) > 4 else "****")


def mask_bank_account_sql(value: ColumnElement[Any]) -> ColumnElement[str]:
    n = sa.func.length(value)
    return sa.case(
        (value.is_(None), sa.null()),
        (n <= 4, _text(BANK_ACCOUNT_PREFIX + "****")),
        else_=_text(BANK_ACCOUNT_PREFIX).concat(_substr(value, n - 3, 4)),
    )


def mask_address(value: str | None, township_full_name: str | None) -> str | None:
    """Keep the division names down to the township (乡镇/街道): `...凤凰北街街道****`."""
    if value is None:
        return None
    return (township_full_name or "") + REDACTED


def mask_address_sql(
    value: ColumnElement[Any], township_full_name: ColumnElement[Any]
) -> ColumnElement[str]:
    return sa.case(
        (value.is_(None), sa.null()),
        else_=sa.func.coalesce(township_full_name, _text("")).concat(_text(REDACTED)),
    )


def mask_redacted(value: str | None) -> str | None:
    """Free text (e.g. a health condition): only whether a value exists is shown."""
    return None if value is None else REDACTED


def mask_redacted_sql(value: ColumnElement[Any]) -> ColumnElement[str]:
    return sa.case((value.is_(None), sa.null()), else_=_text(REDACTED))


def mask_withheld(value: Any) -> None:
    """Numbers (incomes) have no safe partial form, so a masked number is withheld as null."""
    return None


def mask_withheld_sql(value: ColumnElement[Any]) -> ColumnElement[Any]:
    return sa.null()


@dataclass(frozen=True, slots=True)
class Mask:
    """A mask's two forms. `context` names the extra inputs both forms take after the value."""

    name: str
    python: Callable[..., Any]
    sql: Callable[..., ColumnElement[Any]]
    context: tuple[str, ...] = ()


MASKS: dict[str, Mask] = {
    m.name: m
    for m in (
        Mask("id_number", mask_id_number, lambda v: _keep_ends_sql(v, 6, 4)),
        Mask("phone", mask_phone, lambda v: _keep_ends_sql(v, 3, 4)),
        Mask("name", mask_name, lambda v: _keep_ends_sql(v, 1, 0)),
        Mask("bank_account", mask_bank_account, mask_bank_account_sql),
        Mask("address", mask_address, mask_address_sql, context=("township_full_name",)),
        Mask("redacted", mask_redacted, mask_redacted_sql),
        Mask("withheld", mask_withheld, mask_withheld_sql),
    )
}
