"""Who plausibly applies for each service item (eligibility pools), with broader fallbacks so a
small seed still has an applicant for every item.
"""

from __future__ import annotations

from collections.abc import Iterable

from hub.seed.people import HouseholdInfo, PeoplePlan, Person


def _first_nonempty(*candidates: Iterable[Person]) -> list[Person]:
    for candidate in candidates:
        found = list(candidate)
        if found:
            return found
    return []


def _poorest(households: list[HouseholdInfo], share: float) -> list[HouseholdInfo]:
    """The `share` of households with the lowest verified income per head."""
    ranked = sorted(households, key=lambda h: (h.verified_income / len(h.members), h.id))
    return ranked[: max(1, int(len(ranked) * share))] if ranked else []


def _heads(households: list[HouseholdInfo]) -> list[Person]:
    return [h.head for h in households]


def applicant_pools(people: PeoplePlan) -> dict[str, list[Person]]:
    everyone = people.people
    households = people.household_infos
    urban = [h for h in households if h.village.urban]
    rural = [h for h in households if not h.village.urban]
    old = [p for p in everyone if p.age >= 60]
    disabled = [p for p in everyone if p.disability is not None and p.age >= 16]
    children = [p for p in everyone if p.age < 18]
    pools = {
        "DB_URBAN": _first_nonempty(_heads(_poorest(urban, 0.3)), _heads(urban)),
        "DB_RURAL": _first_nonempty(_heads(_poorest(rural, 0.3)), _heads(rural)),
        "LOW_INCOME": _heads(_poorest(households, 0.4)),
        "TEMPORARY": _heads(_poorest(households, 0.5)),
        "MEDICAL": _first_nonempty(
            p for p in everyone if p.health is not None or p.disability is not None
        ),
        "TEKUN": _first_nonempty(
            (p for p in everyone if p.special_hardship),
            (p for p in old if p.relation == "SELF"),
            old,
        ),
        "DISABLED_LIVING": disabled,
        "DISABLED_CARE": _first_nonempty(
            (p for p in disabled if (p.disability or 9) <= 2), disabled
        ),
        "ORPHAN": _first_nonempty(
            (p for p in children if p.relation == "GRANDCHILD" and p.age < 18), children
        ),
        "SENIOR_CARD": old,
        "ELDERLY_ALLOWANCE": _first_nonempty((p for p in old if p.age >= 80), old),
    }
    # Anyone at all, when a tiny seed has nobody of the right kind.
    return {code: pool or everyone for code, pool in pools.items()}
