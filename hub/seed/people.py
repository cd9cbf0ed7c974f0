"""Residents, households and household members (户籍) spread over the synthetic villages.

Households land in villages in proportion to the modelled population, so each city gets its
census share of residents. Id numbers are GB 11643 numbers of the county, agreeing with the
resident's gender and birth date. Ethnicity is decided per household (Hui ≈ 35.04% overall).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import accumulate

from hub.domain import idnumber
from hub.seed import traits
from hub.seed.context import SeedContext
from hub.seed.divisions import Village
from hub.seed.households import Member, household_shape, is_skip_generation
from hub.seed.names import given_name, pick_surname

RESIDENT_COLUMNS = (
    "id", "id_number", "name", "gender", "birth_date", "ethnicity", "phone", "address",
    "division_code", "household_id", "disability_level", "health_condition", "bank_account",
    "monthly_income", "self_care_level", "special_hardship", "key_special_care",
    "left_behind_child", "left_behind_woman", "left_behind_elder", "deceased_on",
    "created_at", "updated_at",
)  # fmt: skip
HOUSEHOLD_COLUMNS = (
    "id", "division_code", "head_id", "registration_type", "declared_monthly_income",
    "verified_monthly_income", "created_at",
)  # fmt: skip
MEMBER_COLUMNS = ("id", "household_id", "resident_id", "relation")

# Hui share by city (higher in the south and in Wuzhong); weighted by population it is 35.1%.
HUI_SHARE = {"6401": 0.265, "6402": 0.205, "6403": 0.535, "6404": 0.47, "6405": 0.32}
_OTHER_ETHNICITIES = ("满族", "蒙古族", "东乡族", "土族", "撒拉族", "壮族", "藏族", "朝鲜族")
_OTHER_CUM = tuple(accumulate((40, 25, 10, 5, 5, 5, 5, 5)))


@dataclass(slots=True)
class Person:
    """What later phases (cases, payments) need to know about a resident."""

    id: int
    household_id: int
    village: Village
    relation: str
    gender: str
    age: int
    disability: int | None
    self_care: str | None
    special_hardship: bool
    health: str | None
    bank_account: str | None


@dataclass(slots=True)
class HouseholdInfo:
    id: int
    village: Village
    members: list[Person] = field(default_factory=list)
    declared_income: int = 0
    verified_income: int = 0

    @property
    def head(self) -> Person:
        return self.members[0]


@dataclass
class PeoplePlan:
    residents: list[tuple[object, ...]] = field(default_factory=list)
    households: list[tuple[object, ...]] = field(default_factory=list)
    members: list[tuple[object, ...]] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    household_infos: list[HouseholdInfo] = field(default_factory=list)


def build_people(
    rng: random.Random, villages: list[Village], residents: int, ctx: SeedContext
) -> PeoplePlan:
    """Exactly `residents` residents in households, villages drawn by modelled population."""
    builder = _Builder(rng, ctx)
    cum = tuple(accumulate(max(v.population, 1) for v in villages))
    while len(builder.plan.people) < residents:
        village = rng.choices(villages, cum_weights=cum)[0]
        shape = household_shape(rng, village.urban)[: residents - len(builder.plan.people)]
        builder.household(village, shape)
    return builder.plan


class _Builder:
    """Turns household shapes into rows, keeping id-number order codes and the Hui share."""

    def __init__(self, rng: random.Random, ctx: SeedContext) -> None:
        self.rng = rng
        self.ctx = ctx
        self.plan = PeoplePlan()
        self.sequences: dict[tuple[str, int, str], int] = {}
        self.people_by_city: dict[str, int] = {}
        self.hui_by_city: dict[str, int] = {}
        self.recorded_at = ctx.recorded_at

    def _is_hui(self, city: str, size: int) -> bool:
        """Ethnicity per household, nudged toward the city's census share as we go."""
        target = HUI_SHARE[city]
        drift = target * self.people_by_city.get(city, 0) - self.hui_by_city.get(city, 0)
        hui = self.rng.random() < min(max(target + 0.5 * drift / size, 0.02), 0.98)
        self.people_by_city[city] = self.people_by_city.get(city, 0) + size
        self.hui_by_city[city] = self.hui_by_city.get(city, 0) + (size if hui else 0)
        return hui

    def household(self, village: Village, shape: list[Member]) -> None:
        rng, plan = self.rng, self.plan
        hui = self._is_hui(village.city4, len(shape))
        household = HouseholdInfo(len(plan.household_infos) + 1, village)
        plan.household_infos.append(household)
        address = _address(rng, village)
        surnames = {"SELF": pick_surname(rng, hui), "SPOUSE": pick_surname(rng, hui)}
        # Children carry the father's surname: the spouse's when the head is a woman.
        female_head = shape[0][2] == "FEMALE" and len(shape) > 1 and shape[1][0] == "SPOUSE"
        family = surnames["SPOUSE"] if female_head else surnames["SELF"]
        context = _Household(
            household, hui, address, surnames, family, is_skip_generation(shape),
            all(age >= 55 for _, age, _ in shape), len(shape),
        )  # fmt: skip
        verified = sum(self.resident(context, member) for member in shape)
        declared = int(verified * rng.uniform(0.8, 1.0))
        household.declared_income, household.verified_income = declared, verified
        plan.households.append((
            household.id, village.code, household.members[0].id,
            "URBAN" if village.urban else "RURAL", Decimal(declared), Decimal(verified),
            self.recorded_at,
        ))  # fmt: skip

    def resident(self, home: _Household, member: Member) -> int:
        """Add one resident; returns what they bring into the household's verified income."""
        rng, as_of = self.rng, self.ctx.as_of
        relation, age, gender = member
        village, urban = home.info.village, home.info.village.urban
        ordinal = as_of.toordinal() - age * 365 - age // 4 - rng.randint(1, 364)
        birth, sequence = _allocate(rng, self.sequences, village.county6, ordinal, gender)
        age = as_of.year - birth.year - ((as_of.month, as_of.day) < (birth.month, birth.day))
        surname = home.surnames.get(relation)
        if surname is None:
            kin = relation in ("CHILD", "GRANDCHILD") or gender == "MALE"
            surname = home.family_surname if kin else pick_surname(rng, home.hui)
        if home.hui:
            ethnicity = "回族"
        elif rng.random() < 0.012:
            ethnicity = rng.choices(_OTHER_ETHNICITIES, cum_weights=_OTHER_CUM)[0]
        else:
            ethnicity = "汉族"
        disability = traits.disability_level(rng, age)
        health = traits.health_condition(rng, age)
        self_care = traits.self_care_level(rng, age, disability)
        student = relation == "CHILD" and age < 23 and rng.random() < 0.5
        income = traits.monthly_income(rng, age, urban, disability, student)
        brings = int(income or 0) + traits.pension(rng, age, urban)
        # Heads always hold a card: payments to the household go there.
        card_rate = 1.0 if relation == "SELF" else 0.85 if age >= 18 else 0.1 if age >= 16 else 0
        card = traits.bank_account(rng) if rng.random() < card_rate else None
        phone_rate = 0.0 if age < 14 else 0.96 if age < 70 else 0.6
        mobile = traits.phone(rng) if rng.random() < phone_rate else None
        special = _special_hardship(rng, age, disability, home.size, urban)
        key_care = rng.random() < (0.012 if gender == "MALE" and age >= 55 else 0.001)
        rural = not urban
        child_left = rural and age < 16 and (home.skip_generation or rng.random() < 0.03)
        woman_left = rural and gender == "FEMALE" and 20 <= age <= 59 and relation in (
            "SELF", "SPOUSE") and rng.random() < 0.05  # fmt: skip
        elder_left = rural and age >= 60 and home.elders_only and rng.random() < 0.35
        resident_id = len(self.plan.people) + 1
        self.plan.residents.append((
            resident_id, idnumber.generate(village.county6, birth, gender, sequence),
            surname + given_name(rng, gender, birth.year), gender, birth, ethnicity, mobile,
            home.address, village.code, home.info.id, disability, health, card, income,
            self_care, special, key_care, child_left, woman_left, elder_left, None,
            self.recorded_at, self.recorded_at,
        ))  # fmt: skip
        self.plan.members.append((resident_id, home.info.id, resident_id, relation))
        person = Person(resident_id, home.info.id, village, relation, gender, age, disability,
                        self_care, special, health, card)  # fmt: skip
        self.plan.people.append(person)
        home.info.members.append(person)
        return brings


@dataclass(frozen=True, slots=True)
class _Household:
    """What every member of one household shares."""

    info: HouseholdInfo
    hui: bool
    address: str
    surnames: dict[str, str]
    family_surname: str
    skip_generation: bool
    elders_only: bool
    size: int


def _address(rng: random.Random, village: Village) -> str:
    """The household's address: the village's full name plus a house or flat number."""
    if village.urban:
        flat = f"{rng.randint(1, 32)}号楼{rng.randint(1, 6)}单元"
        return village.full_name + flat + f"{rng.randint(1, 18)}{rng.randint(1, 4):02d}室"
    return village.full_name + f"{rng.randint(1, 12)}组{rng.randint(1, 150)}号"


def _allocate(
    rng: random.Random,
    sequences: dict[tuple[str, int, str], int],
    county6: str,
    birth_ordinal: int,
    gender: str,
) -> tuple[date, int]:
    """A free order code for this county, birth date and gender (the next day when full)."""
    while True:
        key = (county6, birth_ordinal, gender)
        if key not in sequences:
            sequences[key] = rng.randrange(40)
        sequence = sequences[key]
        if sequence <= idnumber.MAX_SEQUENCE:
            sequences[key] = sequence + 1
            return date.fromordinal(birth_ordinal), sequence
        birth_ordinal -= 1


def _special_hardship(
    rng: random.Random, age: int, disability: int | None, household_size: int, urban: bool
) -> bool:
    """特困: old people living alone without support, or the severely disabled."""
    if age >= 60 and household_size == 1:
        return rng.random() < (0.05 if urban else 0.1)
    if disability is not None and disability <= 2 and age >= 16:
        return rng.random() < 0.03
    return False
