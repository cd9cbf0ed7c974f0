"""Each mask's Python form gives the design's examples and agrees with its SQL form."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from hub.policy.masks import (
    MASKS,
    mask_address,
    mask_bank_account,
    mask_id_number,
    mask_name,
    mask_phone,
)

TOWNSHIP_FULL_NAME = "宁夏回族自治区银川市兴庆区凤凰北街街道"

SAMPLES: dict[str, list[Any]] = {
    "id_number": [
        "64010419900101123X",
        "640104900101123",
        "1234567890",
        "12345678901",
        "",
        None,
    ],
    "phone": ["13812341234", "0951-1234567", "1234567", "12345678", "", None],
    "name": ["张三", "张三丰", "欧阳娜娜", "张", "", None],
    "bank_account": ["6222021234567891234", "6222 0212 3456 7891 234", "12345", "1234", "", None],
    "redacted": ["高血压", "", None],
    "withheld": ["1234.50", None],
}
ADDRESS_SAMPLES = [
    ("凤凰北街8号3单元201", TOWNSHIP_FULL_NAME),
    ("", TOWNSHIP_FULL_NAME),
    ("凤凰北街8号", None),
    (None, TOWNSHIP_FULL_NAME),
    (None, None),
]


def test_id_number_keeps_first_six_and_last_four() -> None:
    assert mask_id_number("64010419900101123X") == "640104********123X"
    assert len(mask_id_number("64010419900101123X") or "") == 18


def test_phone_keeps_three_and_four() -> None:
    assert mask_phone("13812341234") == "138****1234"


def test_name_keeps_first_character_and_stars_each_further_one() -> None:
    assert mask_name("张三") == "张*"
    assert mask_name("张三丰") == "张**"


def test_one_character_name_is_fully_starred() -> None:
    assert mask_name("张") == "*"


def test_bank_account_shows_only_the_last_four() -> None:
    assert mask_bank_account("6222021234567891234") == "**** **** **** 1234"
    assert mask_bank_account("1234") == "**** **** **** ****"


def test_address_keeps_division_names_down_to_township() -> None:
    assert mask_address("凤凰北街8号3单元201", TOWNSHIP_FULL_NAME) == TOWNSHIP_FULL_NAME + "****"


def test_too_short_values_reveal_nothing() -> None:
    assert mask_id_number("1234567890") == "**********"
    assert mask_phone("1234567") == "*******"


@pytest.mark.parametrize("name", sorted(MASKS))
def test_none_stays_none(name: str) -> None:
    mask = MASKS[name]
    assert mask.python(None, *([TOWNSHIP_FULL_NAME] * len(mask.context))) is None


def test_registry_names_match_and_address_needs_the_township_name() -> None:
    assert all(name == mask.name for name, mask in MASKS.items())
    assert MASKS["address"].context == ("township_full_name",)
    assert {"id_number", "phone", "name", "bank_account", "address"} <= set(MASKS)


def _engines() -> Iterator[Any]:
    yield pytest.param("sqlite://", id="sqlite")
    url = os.environ.get("HUB_TEST_POSTGRES_URL")
    if url:
        yield pytest.param(
            make_url(url).set(drivername="postgresql+psycopg2"),
            id="postgresql",
            marks=pytest.mark.postgres,
        )
    else:
        yield pytest.param(
            None,
            id="postgresql",
            marks=[pytest.mark.postgres, pytest.mark.skip("HUB_TEST_POSTGRES_URL is not set")],
        )


@pytest.fixture(params=list(_engines()))
def engine(request: pytest.FixtureRequest) -> Iterator[sa.Engine]:
    eng = sa.create_engine(request.param)
    yield eng
    eng.dispose()


def _run_sql(engine: sa.Engine, mask_name: str, *args: Any) -> Any:
    columns = [sa.literal(arg, sa.String).label(f"a{i}") for i, arg in enumerate(args)]
    source = sa.select(*columns).subquery()
    expr = MASKS[mask_name].sql(*(source.c[f"a{i}"] for i in range(len(args))))
    with engine.connect() as conn:
        return conn.execute(sa.select(expr.label("masked"))).scalar_one()


@pytest.mark.parametrize(
    ("mask_name", "value"),
    [(name, value) for name, values in SAMPLES.items() for value in values],
)
def test_sql_form_agrees_with_python_form(engine: sa.Engine, mask_name: str, value: Any) -> None:
    assert _run_sql(engine, mask_name, value) == MASKS[mask_name].python(value)


@pytest.mark.parametrize(("address", "township"), ADDRESS_SAMPLES)
def test_address_sql_form_agrees_with_python_form(
    engine: sa.Engine, address: str | None, township: str | None
) -> None:
    expected = MASKS["address"].python(address, township)
    assert _run_sql(engine, "address", address, township) == expected


def test_sql_form_masks_a_table_column_on_sqlite() -> None:
    engine = sa.create_engine("sqlite://")
    residents = sa.Table(
        "resident",
        sa.MetaData(),
        sa.Column("id_number", sa.String(18)),
        sa.Column("name", sa.String(50)),
    )
    residents.create(engine)
    with engine.begin() as conn:
        conn.execute(residents.insert(), [{"id_number": "64010419900101123X", "name": "张三丰"}])
        row = conn.execute(
            sa.select(
                MASKS["id_number"].sql(residents.c.id_number), MASKS["name"].sql(residents.c.name)
            )
        ).one()
    assert tuple(row) == ("640104********123X", "张**")
