"""The catalogue of the 11 service items: packaged content and validation of the data file."""

from __future__ import annotations

import dataclasses

import pytest

from hub.domain.catalogue import Catalogue, ServiceItemDef, load_catalogue, parse_catalogue
from hub.domain.datafile import DataFileError, read_packaged
from hub.types import Department, Level

CODES_AND_NAMES = [
    ("DB_URBAN", "城市低保"),
    ("DB_RURAL", "农村低保"),
    ("TEKUN", "特困供养"),
    ("TEMPORARY", "临时救助"),
    ("MEDICAL", "医疗救助"),
    ("LOW_INCOME", "低收入家庭认定"),
    ("DISABLED_LIVING", "困难残疾人生活补贴"),
    ("DISABLED_CARE", "重度残疾人护理补贴"),
    ("ORPHAN", "孤儿/事实无人抚养儿童生活费"),
    ("SENIOR_CARD", "老年证"),
    ("ELDERLY_ALLOWANCE", "高龄津贴"),
]
HOUSEHOLD_FINANCE_CHECK = (
    Department.PUBLIC_SECURITY,
    Department.HUMAN_RESOURCES,
    Department.HOUSING,
    Department.MEDICAL_SECURITY,
)
CATALOGUE = load_catalogue()


def test_the_catalogue_lists_the_11_items_in_the_plans_order() -> None:
    assert [(item.code, item.name) for item in CATALOGUE] == CODES_AND_NAMES
    assert len(CATALOGUE) == 11
    assert CATALOGUE.codes == tuple(code for code, _ in CODES_AND_NAMES)


def test_get_returns_the_item_by_code() -> None:
    assert CATALOGUE.get("TEKUN").name == "特困供养"
    assert "TEKUN" in CATALOGUE
    assert "NOPE" not in CATALOGUE


def test_get_raises_key_error_naming_an_unknown_code() -> None:
    with pytest.raises(KeyError, match="NOPE"):
        CATALOGUE.get("NOPE")


def test_the_packaged_catalogue_is_loaded_once() -> None:
    assert load_catalogue() is load_catalogue()


def test_items_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        CATALOGUE.get("DB_URBAN").name = "x"  # type: ignore[misc]


def test_every_item_is_handled_by_the_township() -> None:
    assert {item.handling_level for item in CATALOGUE} == {Level.TOWNSHIP}


def test_the_county_certifies_every_item_but_the_senior_card() -> None:
    # 县证乡制: the county certifies, the township hands out; the township issues senior cards.
    township = [item.code for item in CATALOGUE if item.certifying_level == Level.TOWNSHIP]
    assert township == ["SENIOR_CARD"]
    assert all(
        item.certifying_level == Level.COUNTY for item in CATALOGUE if item.code != "SENIOR_CARD"
    )


def test_public_notice_is_seven_days_for_dibao_tekun_and_low_income_only() -> None:
    noticed = {item.code: item.public_notice_days for item in CATALOGUE if item.public_notice_days}
    assert noticed == {"DB_URBAN": 7, "DB_RURAL": 7, "TEKUN": 7, "LOW_INCOME": 7}


@pytest.mark.parametrize(
    ("code", "departments"),
    [
        ("DB_URBAN", HOUSEHOLD_FINANCE_CHECK),
        ("DB_RURAL", HOUSEHOLD_FINANCE_CHECK),
        ("LOW_INCOME", HOUSEHOLD_FINANCE_CHECK),
        ("TEKUN", HOUSEHOLD_FINANCE_CHECK[:3]),
        ("TEMPORARY", (Department.PUBLIC_SECURITY, Department.HUMAN_RESOURCES)),
        ("MEDICAL", (Department.MEDICAL_SECURITY, Department.PUBLIC_SECURITY)),
        ("DISABLED_LIVING", (Department.DISABLED_FEDERATION,)),
        ("DISABLED_CARE", (Department.DISABLED_FEDERATION,)),
        ("ORPHAN", (Department.PUBLIC_SECURITY,)),
        ("SENIOR_CARD", ()),
        ("ELDERLY_ALLOWANCE", (Department.PUBLIC_SECURITY,)),
    ],
)
def test_each_item_names_the_departments_that_verify_it(
    code: str, departments: tuple[Department, ...]
) -> None:
    item = CATALOGUE.get(code)
    assert item.verify_departments == departments
    assert item.linked_departments == departments


@pytest.mark.parametrize(
    ("code", "days"),
    [
        ("DB_URBAN", 30),
        ("DB_RURAL", 30),
        ("TEKUN", 30),
        ("TEMPORARY", 10),
        ("MEDICAL", 15),
        ("LOW_INCOME", 30),
        ("DISABLED_LIVING", 20),
        ("DISABLED_CARE", 20),
        ("ORPHAN", 30),
        ("SENIOR_CARD", 5),
        ("ELDERLY_ALLOWANCE", 10),
    ],
)
def test_each_item_has_its_time_limit_in_working_days(code: str, days: int) -> None:
    assert CATALOGUE.get(code).time_limit_working_days == days


def test_money_items_pay_and_one_off_items_pay_once() -> None:
    money = {item.code for item in CATALOGUE if item.money_item}
    assert money == {c for c, _ in CODES_AND_NAMES} - {"LOW_INCOME", "SENIOR_CARD"}
    assert {item.code for item in CATALOGUE if item.one_off} == {"TEMPORARY", "MEDICAL"}


def test_orphan_support_is_not_offered_online() -> None:
    offline = [item.code for item in CATALOGUE if not item.online_capable]
    assert offline == ["ORPHAN"]


def test_every_item_has_a_legal_basis_conditions_materials_and_steps() -> None:
    for item in CATALOGUE:
        assert all(basis.startswith("《") for basis in item.legal_basis), item.code
        assert item.conditions and item.materials and item.steps, item.code
        assert item.name_en, item.code


def test_every_item_is_reviewed_and_verifies_in_parallel() -> None:
    assert all(item.review_required and item.verify_parallel for item in CATALOGUE)


def test_dibao_rests_on_the_national_and_ningxia_rules() -> None:
    basis = CATALOGUE.get("DB_URBAN").legal_basis
    assert "《社会救助暂行办法》（国务院令第649号）" in basis
    assert "《宁夏回族自治区最低生活保障办法》" in basis
    assert any("《特困人员认定办法》" in b for b in CATALOGUE.get("TEKUN").legal_basis)


def test_a_catalogue_refuses_a_duplicate_code() -> None:
    item = CATALOGUE.get("DB_URBAN")
    with pytest.raises(ValueError, match="DB_URBAN"):
        Catalogue([item, item])


# --- the data file ---------------------------------------------------------------------------

ITEM = """\
version: 1
items:
  - code: NEW_ITEM
    name: 新事项
    name_en: A new item
    legal_basis: [《社会救助暂行办法》]
    conditions: [条件]
    materials: [材料]
    steps: [步骤]
    time_limit_working_days: 10
    handling_level: TOWNSHIP
    certifying_level: COUNTY
    online_capable: true
    money_item: true
    one_off: false
    verify_departments: [public_security]
    verify_parallel: true
    public_notice_days: 0
    review_required: true
"""


def _parse(text: str) -> Catalogue:
    return parse_catalogue(text, "catalogue.yaml")


def test_a_twelfth_item_is_a_data_change_only() -> None:
    packaged = read_packaged("catalogue.yaml")
    extended = _parse(packaged + ITEM.split("items:\n", 1)[1])
    assert len(extended) == 12
    assert extended.codes[-1] == "NEW_ITEM"
    assert extended.get("NEW_ITEM") == ServiceItemDef(
        code="NEW_ITEM",
        name="新事项",
        name_en="A new item",
        legal_basis=("《社会救助暂行办法》",),
        conditions=("条件",),
        materials=("材料",),
        steps=("步骤",),
        time_limit_working_days=10,
        handling_level=Level.TOWNSHIP,
        certifying_level=Level.COUNTY,
        online_capable=True,
        money_item=True,
        one_off=False,
        verify_departments=(Department.PUBLIC_SECURITY,),
        verify_parallel=True,
        public_notice_days=0,
        review_required=True,
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "    name_en: A new item\n",
            "",
            r"catalogue\.yaml:3: item NEW_ITEM, key name_en: missing",
        ),
        (
            "    review_required: true\n",
            "    review_required: true\n    colour: red\n",
            r":20: item NEW_ITEM, key colour: unknown key",
        ),
        ("[public_security]", "[police]", r":16: item NEW_ITEM, key verify_departments: unknown"),
        (
            "[public_security]",
            "[housing, housing]",
            "key verify_departments: department 'housing' is listed twice",
        ),
        ("[public_security]", "public_security", "verify_departments: must be a list"),
        ("certifying_level: COUNTY", "certifying_level: county", r":12: .*unknown level 'county'"),
        ("handling_level: TOWNSHIP", "handling_level: STREET", "key handling_level: unknown level"),
        ("code: NEW_ITEM", "code: new-item", "key code: 'new-item' is not an upper-case code"),
        ("name: 新事项", "name: ''", "item NEW_ITEM, key name: must be a non-empty string"),
        ("conditions: [条件]", "conditions: []", "key conditions: must be a non-empty list"),
        ("materials: [材料]", "materials: [1]", "key materials: must be a non-empty string"),
        ("online_capable: true", "online_capable: yes please", "must be true or false"),
        ("time_limit_working_days: 10", "time_limit_working_days: 0", "from 1 to 365"),
        ("time_limit_working_days: 10", "time_limit_working_days: ten", "from 1 to 365"),
        ("time_limit_working_days: 10", "time_limit_working_days: true", "from 1 to 365"),
        ("public_notice_days: 0", "public_notice_days: -1", "key public_notice_days: must be"),
        ("public_notice_days: 0", "public_notice_days: 31", "from 0 to 30"),
    ],
)
def test_item_errors_name_the_file_line_item_and_key(old: str, new: str, message: str) -> None:
    assert old in ITEM
    with pytest.raises(DataFileError, match=message):
        _parse(ITEM.replace(old, new))


def test_a_one_off_item_must_pay_money() -> None:
    text = ITEM.replace("money_item: true", "money_item: false").replace(
        "one_off: false", "one_off: true"
    )
    with pytest.raises(DataFileError, match="key one_off: a one-off item must be a money item"):
        _parse(text)


def test_the_certifying_level_cannot_be_below_the_handling_level() -> None:
    text = ITEM.replace("handling_level: TOWNSHIP", "handling_level: COUNTY").replace(
        "certifying_level: COUNTY", "certifying_level: TOWNSHIP"
    )
    with pytest.raises(DataFileError, match="key certifying_level: TOWNSHIP is below"):
        _parse(text)


def test_a_public_notice_needs_a_review_step() -> None:
    text = ITEM.replace("public_notice_days: 0", "public_notice_days: 7").replace(
        "review_required: true", "review_required: false"
    )
    with pytest.raises(DataFileError, match="key public_notice_days: the public notice follows"):
        _parse(text)


def test_a_duplicate_code_names_its_line() -> None:
    items = ITEM.split("items:\n", 1)[1]
    with pytest.raises(DataFileError, match=r":20: item NEW_ITEM, key code: code is listed twice"):
        _parse(ITEM + items)


def test_an_item_that_is_not_a_mapping_is_named_by_position() -> None:
    with pytest.raises(DataFileError, match=r":3: item #1: must be a mapping"):
        _parse("version: 1\nitems:\n  - just text\n")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("items: []\n", "must be a mapping with exactly version and items"),
        ("version: 2\nitems: []\n", r":1: version: must be 1"),
        ("version: 1\nitems: []\n", r":2: items: must be a non-empty list"),
        ("version: 1\nitems: {}\n", "items: must be a non-empty list"),
        ("", "must be a mapping"),
        ("version: 1\nitems: [\n", "not valid YAML"),
    ],
)
def test_document_errors_name_the_file(text: str, message: str) -> None:
    with pytest.raises(DataFileError, match=message) as caught:
        _parse(text)
    assert str(caught.value).startswith("catalogue.yaml")
