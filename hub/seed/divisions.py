"""The division tree for seeding: the packaged 2023 codes (region, 5 cities, 22 counties, 259
townships) plus 8-15 synthetic villages (村) or communities (社区) under every township.

`population` is a modelled census-scale figure (the 2020 city totals split down the tree), not
the number of seeded residents: the supervision funding floors are set per 30,000 people.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from importlib import resources

from hub.seed.names import place_names

DIVISION_COLUMNS = ("code", "name", "full_name", "level", "kind", "parent_code", "population")

# 7th census (2020), from shared/ningxia/README.md; the five sum to the region's 7,202,654.
CITY_POPULATION = {
    "6401": 2_859_074,
    "6402": 751_389,
    "6403": 1_382_713,
    "6404": 1_142_142,
    "6405": 1_067_336,
}
# Streets are dense, farms and parks sparse: relative weight of a township by its kind.
_KIND_WEIGHT = {"street": 1.5, "town": 1.2, "township": 0.8, "special": 0.2}
_URBAN_SPECIAL_MARKERS = ("园区", "开发区", "管理")


@dataclass(frozen=True, slots=True)
class Township:
    code: str
    name: str
    kind: str
    full_name: str
    population: int


@dataclass(frozen=True, slots=True)
class Village:
    """A village (村, rural registration) or community (社区, urban registration)."""

    code: str
    name: str
    full_name: str
    urban: bool
    township_code: str
    population: int

    @property
    def county6(self) -> str:
        return self.code[:6]

    @property
    def city4(self) -> str:
        return self.code[:4]


@dataclass
class DivisionPlan:
    rows: list[tuple[object, ...]]
    townships: list[Township]
    villages: list[Village]


@dataclass(frozen=True, slots=True)
class _CsvRow:
    code: str
    name: str
    level: int
    kind: str
    parent: str | None


def read_packaged_divisions() -> list[_CsvRow]:
    """The rows of hub/data/divisions_2023.csv, in file order (parents before children)."""
    text = resources.files("hub").joinpath("data", "divisions_2023.csv").read_text("utf-8")
    return [
        _CsvRow(r["code12"], r["name"], int(r["level"]), r["kind"], r["parent_code12"] or None)
        for r in csv.DictReader(io.StringIO(text))
    ]


def _split(total: int, weights: list[float]) -> list[int]:
    """`total` split in proportion to `weights`, in whole people, summing exactly to `total`."""
    scale = total / sum(weights)
    parts = [int(w * scale) for w in weights]
    parts[-1] += total - sum(parts)
    return parts


def build_divisions(rng: random.Random) -> DivisionPlan:
    source = read_packaged_divisions()
    children: dict[str | None, list[_CsvRow]] = {}
    for row in source:
        children.setdefault(row.parent, []).append(row)
    full_name: dict[str, str] = {}
    population: dict[str, int] = {}
    for row in source:
        full_name[row.code] = full_name.get(row.parent or "", "") + row.name
        if row.level == 1:
            population[row.code] = sum(CITY_POPULATION.values())
        elif row.level == 2:
            population[row.code] = CITY_POPULATION[row.code[:4]]
        kids = children.get(row.code, [])
        if kids and row.level > 1:
            weights = [_KIND_WEIGHT.get(k.kind, 1.0) * rng.uniform(0.5, 1.6) for k in kids]
            for kid, share in zip(kids, _split(population[row.code], weights), strict=True):
                population[kid.code] = share

    rows: list[tuple[object, ...]] = [
        (r.code, r.name, full_name[r.code], r.level, r.kind, r.parent, population[r.code])
        for r in source
    ]
    townships: list[Township] = []
    villages: list[Village] = []
    for r in source:
        if r.level != 4:
            continue
        township = Township(r.code, r.name, r.kind, full_name[r.code], population[r.code])
        townships.append(township)
        villages.extend(_villages_of(rng, township))
    rows.extend(
        (
            v.code,
            v.name,
            v.full_name,
            5,
            "community" if v.urban else "village",
            v.township_code,
            v.population,
        )
        for v in villages
    )
    return DivisionPlan(rows, townships, villages)


def _villages_of(rng: random.Random, township: Township) -> list[Village]:
    urban = township.kind == "street" or (
        township.kind == "special" and any(m in township.name for m in _URBAN_SPECIAL_MARKERS)
    )
    count = rng.randint(8, 15)
    names = place_names(rng, count, community=urban)
    shares = _split(township.population, [rng.uniform(0.6, 1.4) for _ in range(count)])
    return [
        Village(
            code=f"{township.code[:9]}{index:03d}",
            name=name,
            full_name=township.full_name + name,
            urban=urban,
            township_code=township.code,
            population=share,
        )
        for index, (name, share) in enumerate(zip(names, shares, strict=True), start=1)
    ]
