"""`supervision(divisionCode, year)` over HTTP on hand-made data (tests/integration/
supervision_data.py works out every expected figure), on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import Hub
from tests.helpers import GraphQL, codes
from tests.integration import supervision_data as w

FIG = "{ value target met numerator denominator }"
RATES = ("noVisitRate proxyPointCoverage assistantCoverage postCoverage trainingCompliance "
         "trainingComplianceStaff trainingComplianceAssistants fundingCompliance").split()  # fmt: skip
REPORT = f"""query($code: String!, $year: Int) {{ supervision(divisionCode: $code, year: $year) {{
  division {{ code name level }} year hasData overdueCases casesSubmitted
  {" ".join(f"{r} {FIG}" for r in RATES)}
  townshipFunding {{ division {{ code }} population floor amount shortfall met }}
  fundingShortfalls {{ division {{ code }} shortfall }}
  averageHandlingDays {{ itemCode decidedCases averageDays timeLimitWorkingDays }}
  misses {{ division {{ code }} indicator label value target }}
  children {{ division {{ code name level }} hasData overdueCases
              {" ".join(f"{r} {FIG}" for r in RATES)} children {{ division {{ code }} }} }}
}} }}"""


@pytest.fixture
async def seeded(hub: Hub) -> Hub:
    async with hub.services.sessions() as session:
        await w.build_supervision_world(session)
    return hub


def supervisor(hub: Hub, division: str = w.REGION, department: str = "civil_affairs") -> str:
    return hub.token(department, division, ("supervisor",), ("supervision:read",))


async def report(gql: GraphQL, token: str, code: str, year: int | None = 2026) -> dict[str, Any]:
    result = await gql(REPORT, token, code=code, year=year)
    assert "errors" not in result, result
    return dict(result["data"]["supervision"])


def fractions(r: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return {name: (r[name]["numerator"], r[name]["denominator"]) for name in RATES}


async def test_region_report_counts_each_indicator(seeded: Hub, gql: GraphQL) -> None:
    r = await report(gql, supervisor(seeded), w.REGION)
    assert r["division"] == {"code": w.REGION, "name": "宁夏回族自治区", "level": "REGION"}
    assert r["hasData"] is True and r["year"] == 2026
    assert fractions(r) == {
        "noVisitRate": (4, 8),
        "proxyPointCoverage": (3, 5),
        "assistantCoverage": (3, 5),
        "postCoverage": (2, 4),
        "trainingCompliance": (2, 9),
        "trainingComplianceStaff": (1, 4),
        "trainingComplianceAssistants": (1, 5),
        "fundingCompliance": (2, 4),
    }
    assert r["noVisitRate"] == {"value": 0.5, "target": 0.8, "met": False,
                                "numerator": 4, "denominator": 8}  # fmt: skip
    assert all(r[name]["target"] == 1.0 for name in RATES if name != "noVisitRate")
    assert r["overdueCases"] == 1 and r["casesSubmitted"] == 8


async def test_children_drill_down_from_region_to_township(seeded: Hub, gql: GraphQL) -> None:
    token = supervisor(seeded)
    region = await report(gql, token, w.REGION)
    cities = {c["division"]["code"]: c for c in region["children"]}
    assert list(cities) == [w.YINCHUAN, w.SHIZUISHAN]
    assert fractions(cities[w.YINCHUAN])["proxyPointCoverage"] == (2, 4)
    # 石嘴山 has no case, training or allocation in 2026: no data, zeros, like its own report.
    assert cities[w.SHIZUISHAN]["hasData"] is False
    assert set(fractions(cities[w.SHIZUISHAN]).values()) == {(0, 0)}
    # A child's own children are there too (computed when asked for).
    assert [c["division"]["code"] for c in cities[w.YINCHUAN]["children"]] == [w.XINGQING, w.XIXIA]

    county = await report(gql, token, w.XINGQING)
    assert fractions(county)["noVisitRate"] == (4, 7) and county["noVisitRate"]["met"] is False
    assert fractions(county)["proxyPointCoverage"] == (1, 3)
    assert county["overdueCases"] == 1
    townships = {c["division"]["code"]: fractions(c) for c in county["children"]}
    assert townships[w.T1]["postCoverage"] == (1, 1)
    assert townships[w.T2]["postCoverage"] == (0, 1)
    assert townships[w.T2]["fundingCompliance"] == (0, 1)

    township = await report(gql, token, w.T1)
    assert township["division"]["level"] == "TOWNSHIP" and township["children"] == []
    assert fractions(township)["assistantCoverage"] == (2, 2)
    # A township lists its own misses: the closed proxy point in V12, 王协理's one training.
    assert {(m["division"]["code"], m["indicator"]) for m in township["misses"]} == {
        (w.T1, "NO_VISIT_RATE"),
        (w.T1, "PROXY_POINT_COVERAGE"),
        (w.T1, "TRAINING_COMPLIANCE_ASSISTANTS"),
    }


async def test_misses_name_the_children_below_target(seeded: Hub, gql: GraphQL) -> None:
    county = await report(gql, supervisor(seeded), w.XINGQING)
    misses = {(m["division"]["code"], m["indicator"]): m for m in county["misses"]}
    assert misses[(w.T2, "FUNDING_COMPLIANCE")]["label"] == "经费保障达标率"
    assert (w.T1, "FUNDING_COMPLIANCE") not in misses  # exactly the floor is enough
    assert (w.T1, "POST_COVERAGE") not in misses
    assert misses[(w.T2, "POST_COVERAGE")]["value"] == 0.0
    assert [m["division"]["code"] for m in county["misses"]] == sorted(
        m["division"]["code"] for m in county["misses"]
    )


async def test_funding_lists_each_township_floor_and_shortfall(seeded: Hub, gql: GraphQL) -> None:
    r = await report(gql, supervisor(seeded), w.REGION)
    funding = {f["division"]["code"]: f for f in r["townshipFunding"]}
    assert funding[w.T1] == {"division": {"code": w.T1}, "population": 20000, "floor": "40000.00",
                             "amount": "40000.00", "shortfall": "0.00", "met": True}  # fmt: skip
    assert (funding[w.T2]["floor"], funding[w.T2]["shortfall"]) == ("70000.00", "0.01")
    assert (funding[w.T3]["floor"], funding[w.T3]["met"]) == ("100000.00", True)
    # No allocation: the floor comes from the division's population, all of it is missing.
    assert (funding[w.T4]["population"], funding[w.T4]["amount"]) == (50000, "0.00")
    assert (funding[w.T4]["floor"], funding[w.T4]["shortfall"]) == ("70000.00", "70000.00")
    assert [f["division"]["code"] for f in r["fundingShortfalls"]] == [w.T4, w.T2]


async def test_average_handling_days_per_item(seeded: Hub, gql: GraphQL) -> None:
    r = await report(gql, supervisor(seeded), w.REGION)
    assert r["averageHandlingDays"] == [
        {"itemCode": "DB_URBAN", "decidedCases": 1, "averageDays": 10.5,
         "timeLimitWorkingDays": r["averageHandlingDays"][0]["timeLimitWorkingDays"]},
        {"itemCode": "TEMPORARY", "decidedCases": 1, "averageDays": 5.0,
         "timeLimitWorkingDays": r["averageHandlingDays"][1]["timeLimitWorkingDays"]},
    ]  # fmt: skip


async def test_year_follows_china_time_and_coverage_the_years_last_day(
    seeded: Hub, gql: GraphQL
) -> None:
    r = await report(gql, supervisor(seeded), w.REGION, 2025)
    assert fractions(r)["noVisitRate"] == (1, 1)  # 23:59 on 31 Dec China time is still 2025
    assert r["overdueCases"] == 1
    assert fractions(r)["proxyPointCoverage"] == (4, 5)  # V12's point was still open
    assert fractions(r)["assistantCoverage"] == (4, 5)  # 赵协理's last day was 31 Dec 2025


async def test_year_without_data_is_zeros_with_has_data_false(seeded: Hub, gql: GraphQL) -> None:
    r = await report(gql, supervisor(seeded), w.REGION, 2024)
    assert r["hasData"] is False
    assert all(r[name] == {"value": 0.0, "target": r[name]["target"], "met": False,
                           "numerator": 0, "denominator": 0} for name in RATES)  # fmt: skip
    assert (r["overdueCases"], r["townshipFunding"], r["misses"]) == (0, [], [])
    assert all(c["hasData"] is False for c in r["children"])


async def test_year_defaults_to_the_current_year(seeded: Hub, gql: GraphQL) -> None:
    r = await report(gql, supervisor(seeded), w.XINGQING, None)
    assert r["year"] == 2026


@pytest.mark.parametrize(
    ("department", "division", "roles", "allowed"),
    [
        ("civil_affairs", w.REGION, ("supervisor",), True),
        ("audit", w.REGION, ("supervisor",), True),  # a supervisor of any department
        ("civil_affairs", w.XINGQING, (), True),  # civil affairs at county level
        ("civil_affairs", w.YINCHUAN, ("approver",), True),
        ("civil_affairs", w.T1, ("clerk",), False),  # township civil affairs
        ("public_security", w.XINGQING, ("partner",), False),  # county, not civil affairs
    ],
)
async def test_who_may_read_supervision(
    seeded: Hub, gql: GraphQL, department: str, division: str, roles: tuple[str, ...],
    allowed: bool,
) -> None:  # fmt: skip
    token = seeded.token(department, division, roles, ("supervision:read",))
    result = await gql(REPORT, token, code=division, year=2026)
    assert codes(result) == ([] if allowed else ["FORBIDDEN"])


async def test_the_supervision_read_scope_is_required(seeded: Hub, gql: GraphQL) -> None:
    token = seeded.token("civil_affairs", w.REGION, ("supervisor",), ("cases:write",))
    result = await gql(REPORT, token, code=w.REGION, year=2026)
    assert codes(result) == ["FORBIDDEN"] and result["data"] == {"supervision": None}
    assert codes(await gql(REPORT, None, code=w.REGION, year=2026)) == ["UNAUTHENTICATED"]


async def test_outside_jurisdiction_is_not_found_like_a_missing_division(
    seeded: Hub, gql: GraphQL
) -> None:
    county = seeded.token("civil_affairs", w.XINGQING, (), ("supervision:read",))
    for code in (w.XIXIA, w.YINCHUAN, w.REGION, "640104999000"):
        result = await gql(REPORT, county, code=code, year=2026)
        assert codes(result) == ["NOT_FOUND"], code
        assert result["data"] == {"supervision": None}
    assert codes(await gql(REPORT, county, code="6401", year=2026)) == ["BAD_USER_INPUT"]
    assert codes(await gql(REPORT, county, code=w.XINGQING, year=1800)) == ["BAD_USER_INPUT"]


async def test_county_sees_the_same_figures_as_its_row_in_the_city(
    seeded: Hub, gql: GraphQL
) -> None:
    own = await report(gql, seeded.token("civil_affairs", w.XINGQING, (), ("supervision:read",)),
                       w.XINGQING)  # fmt: skip
    city = await report(gql, supervisor(seeded), w.YINCHUAN)
    row = next(c for c in city["children"] if c["division"]["code"] == w.XINGQING)
    assert fractions(own) == fractions(row)
    assert own["overdueCases"] == row["overdueCases"]
