"""Household shapes (户 composition): who lives together, their relation to the head, age and
gender. The weights give the census figures: 2.65 people per household, about 14% aged 60+.
"""

from __future__ import annotations

import random
from collections.abc import Callable

# relation to the head (household_members.relation), age in whole years, MALE/FEMALE
Member = tuple[str, int, str]

MALE = "MALE"
FEMALE = "FEMALE"


def _other(gender: str) -> str:
    return FEMALE if gender == MALE else MALE


def _elder_age(rng: random.Random, low: int = 60) -> int:
    return min(low + int(rng.expovariate(1 / 9)), 100)


def _couple(rng: random.Random, head_age: int, male_head: float = 0.85) -> list[Member]:
    head_gender = MALE if rng.random() < male_head else FEMALE
    gap = rng.randint(0, 4)
    spouse_age = head_age - gap if head_gender == MALE else head_age + gap
    return [("SELF", head_age, head_gender), ("SPOUSE", max(spouse_age, 18), _other(head_gender))]


def _children(rng: random.Random, parent_age: int, count: int, relation: str) -> list[Member]:
    kids: list[Member] = []
    age = parent_age - rng.randint(23, 32)
    for _ in range(count):
        if age < 0:
            break
        kids.append((relation, age, MALE if rng.random() < 0.52 else FEMALE))
        age -= rng.randint(2, 6)
    return kids


def _kid_count(rng: random.Random) -> int:
    roll = rng.random()
    return 1 if roll < 0.5 else 2 if roll < 0.87 else 3


def _single(rng: random.Random) -> list[Member]:
    age = rng.randint(20, 40) if rng.random() < 0.7 else rng.randint(41, 59)
    return [("SELF", age, MALE if rng.random() < 0.55 else FEMALE)]


def _single_elder(rng: random.Random) -> list[Member]:
    return [("SELF", _elder_age(rng, 62), MALE if rng.random() < 0.4 else FEMALE)]


def _young_couple(rng: random.Random) -> list[Member]:
    age = rng.randint(22, 34) if rng.random() < 0.6 else rng.randint(45, 59)
    return _couple(rng, age)


def _elder_couple(rng: random.Random) -> list[Member]:
    return _couple(rng, _elder_age(rng, 61), male_head=0.95)


def _nuclear(rng: random.Random) -> list[Member]:
    members = _couple(rng, rng.randint(27, 52))
    return members + _children(rng, members[0][1], _kid_count(rng), "CHILD")


def _three_generations(rng: random.Random) -> list[Member]:
    members = _couple(rng, rng.randint(28, 48), male_head=0.95)
    members += _children(rng, members[0][1], 1 if rng.random() < 0.6 else 2, "CHILD")
    father = min(members[0][1] + rng.randint(24, 32), 100)
    if rng.random() < 0.55:
        members.append(("PARENT", father, MALE))
    members.append(("PARENT", min(father - rng.randint(0, 4), 100), FEMALE))
    return members


def _single_parent(rng: random.Random) -> list[Member]:
    gender = FEMALE if rng.random() < 0.7 else MALE
    head: Member = ("SELF", rng.randint(30, 50), gender)
    return [head, *_children(rng, head[1], 1 if rng.random() < 0.7 else 2, "CHILD")]


def _skip_generation(rng: random.Random) -> list[Member]:
    """Grandparents raising grandchildren whose parents work away (留守儿童)."""
    age = rng.randint(56, 74)
    members = _couple(rng, age, male_head=0.7) if rng.random() < 0.6 else [("SELF", age, FEMALE)]
    grandkids = rng.randint(1, 2)
    for _ in range(grandkids):
        members.append(("GRANDCHILD", rng.randint(1, 15), MALE if rng.random() < 0.52 else FEMALE))
    return members


def _with_adult_child(rng: random.Random) -> list[Member]:
    members = _couple(rng, rng.randint(48, 66))
    members.append(("CHILD", rng.randint(18, 30), MALE if rng.random() < 0.6 else FEMALE))
    if rng.random() < 0.2:
        members.append(("GRANDCHILD", rng.randint(0, 5), MALE if rng.random() < 0.52 else FEMALE))
    return members


_SHAPES: tuple[Callable[[random.Random], list[Member]], ...] = (
    _single,
    _single_elder,
    _young_couple,
    _elder_couple,
    _nuclear,
    _three_generations,
    _single_parent,
    _skip_generation,
    _with_adult_child,
)
# Towns and villages keep more three-generation and skip-generation households than cities.
_URBAN_WEIGHTS = (17, 6, 14, 7, 33, 5, 6, 1, 11)
_RURAL_WEIGHTS = (14, 5, 12, 6, 32, 9, 4, 6, 10)
_URBAN_CUM = tuple(sum(_URBAN_WEIGHTS[: i + 1]) for i in range(len(_URBAN_WEIGHTS)))
_RURAL_CUM = tuple(sum(_RURAL_WEIGHTS[: i + 1]) for i in range(len(_RURAL_WEIGHTS)))


def household_shape(rng: random.Random, urban: bool) -> list[Member]:
    """The members of one new household, head first."""
    cum = _URBAN_CUM if urban else _RURAL_CUM
    shape = rng.choices(_SHAPES, cum_weights=cum)[0]
    return shape(rng)


def is_skip_generation(members: list[Member]) -> bool:
    return any(m[0] == "GRANDCHILD" for m in members) and not any(m[0] == "CHILD" for m in members)
