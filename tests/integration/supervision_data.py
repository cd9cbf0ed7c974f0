"""Hand-made supervision data whose right answers are worked out in the comments, for 2026 with
the test clock at 2026-11-20 (China time). Reference day for coverage: 2026-11-20.

    region 64 ─ 银川市 6401 ─ 兴庆区 640104 ─ T1 640104001 (pop 20,000): V11, V12
              │                          └─ T2 640104002 (pop 40,000): V21
              │            └ 西夏区 640105 ─ T3 640105001 (pop 60,000): V31
              └ 石嘴山市 6402 ─ 大武口区 640202 ─ T4 640202001 (pop 50,000, no allocation): V41
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from hub.db.models import (
    Case,
    CivilAffairsAssistant,
    Division,
    FundingAllocation,
    Household,
    ProxyPoint,
    Resident,
    ServiceItem,
    StaffPost,
    TrainingRecord,
)
from hub.domain.catalogue import load_catalogue
from hub.domain.idnumber import generate

REGION, YINCHUAN, SHIZUISHAN = "640000000000", "640100000000", "640200000000"
XINGQING, XIXIA, DAWUKOU = "640104000000", "640105000000", "640202000000"
T1, T2, T3, T4 = "640104001000", "640104002000", "640105001000", "640202001000"
V11, V12, V21, V31, V41 = (
    "640104001001", "640104001002", "640104002001", "640105001001", "640202001001"
)  # fmt: skip

DIVISIONS = [
    (REGION, "宁夏回族自治区", 1, None, None),
    (YINCHUAN, "银川市", 2, REGION, None),
    (SHIZUISHAN, "石嘴山市", 2, REGION, None),
    (XINGQING, "兴庆区", 3, YINCHUAN, None),
    (XIXIA, "西夏区", 3, YINCHUAN, None),
    (DAWUKOU, "大武口区", 3, SHIZUISHAN, None),
    (T1, "凤凰北街街道", 4, XINGQING, 20_000),
    (T2, "解放西街街道", 4, XINGQING, 40_000),
    (T3, "贺兰山西路街道", 4, XIXIA, 60_000),
    (T4, "长胜街道", 4, DAWUKOU, 50_000),
    (V11, "新华社区", 5, T1, None),
    (V12, "红星社区", 5, T1, None),
    (V21, "利民社区", 5, T2, None),
    (V31, "朔方社区", 5, T3, None),
    (V41, "长城社区", 5, T4, None),
]


def china(day: date, hour: int = 10) -> datetime:
    """`day` at `hour` o'clock China time, as UTC."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - timedelta(hours=8)


async def add_divisions(session: AsyncSession) -> None:
    names: dict[str, str] = {}
    for code, name, level, parent, population in DIVISIONS:
        names[code] = (names[parent] if parent else "") + name
        session.add(Division(code=code, name=name, full_name=names[code], level=level,
                             kind="test", parent_code=parent, population=population))  # fmt: skip
    for i, item in enumerate(load_catalogue()):
        session.add(ServiceItem(code=item.code, name=item.name, position=i))
    await session.flush()


async def build_supervision_world(session: AsyncSession) -> None:
    await add_divisions(session)
    d = date
    session.add_all([
        # Proxy points open on 2026-11-20: V11, V31, V41 (V12 closed, V21 not yet open) -> 3/5.
        ProxyPoint(village_code=V11, agent_name="马代办", active_from=d(2020, 1, 1)),
        ProxyPoint(village_code=V12, agent_name="杨代办", active_from=d(2019, 1, 1),
                   active_to=d(2026, 6, 30)),
        ProxyPoint(village_code=V21, agent_name="丁代办", active_from=d(2026, 12, 1)),
        ProxyPoint(village_code=V31, agent_name="海代办", active_from=d(2018, 5, 1)),
        ProxyPoint(village_code=V41, agent_name="金代办", active_from=d(2017, 3, 1)),
        # Assistants in office on 2026-11-20: V11, V12 (its last day is today), V31 -> 3/5.
        CivilAffairsAssistant(village_code=V11, name="张协理", appointed_on=d(2019, 3, 1)),
        CivilAffairsAssistant(village_code=V12, name="王协理", appointed_on=d(2020, 3, 1),
                              left_on=d(2026, 11, 20)),
        CivilAffairsAssistant(village_code=V31, name="李协理", appointed_on=d(2021, 3, 1)),
        CivilAffairsAssistant(village_code=V41, name="赵协理", appointed_on=d(2015, 1, 1),
                              left_on=d(2025, 12, 31)),
        # Posts: T1 filled, T2 vacant, T3 two filled, T4 none -> coverage 2/4.
        StaffPost(township_code=T1, title="民政专干", holder_name="王专干", kind="ESTABLISHED"),
        StaffPost(township_code=T2, title="民政专干", holder_name=None, kind="ESTABLISHED"),
        StaffPost(township_code=T3, title="民政专干", holder_name="刘专干", kind="ESTABLISHED"),
        StaffPost(township_code=T3, title="民政公益性岗位", holder_name="周岗",
                  kind="PUBLIC_WELFARE"),
    ])  # fmt: skip
    trainings = [
        # Staff: T1's holder 3 in 2026 (met); T3's 刘 3 but 周 only 2 (not met) -> 1/4.
        *[(T1, "STAFF", "王专干", d(2026, m, 10)) for m in (3, 6, 9)],
        *[(T3, "STAFF", "刘专干", d(2026, m, 10)) for m in (3, 6, 9)],
        *[(T3, "STAFF", "周岗", d(2026, m, 10)) for m in (3, 6)],
        (T3, "STAFF", "周岗", d(2025, 12, 10)),  # last year: does not count
        # Assistants: 张 2 (met), 王 1, 李 1 in 2026 + 1 in 2025 + someone else's -> 1/5.
        (V11, "ASSISTANT", "张协理", d(2026, 4, 1)),
        (V11, "ASSISTANT", "张协理", d(2026, 10, 1)),
        (V12, "ASSISTANT", "王协理", d(2026, 4, 1)),
        (V31, "ASSISTANT", "李协理", d(2026, 4, 1)),
        (V31, "ASSISTANT", "李协理", d(2025, 10, 1)),
        (V31, "ASSISTANT", "别人", d(2026, 5, 1)),
    ]
    session.add_all(
        TrainingRecord(division_code=code, person_kind=kind, person_name=name, held_on=day,
                       kind="ROTATION")
        for code, kind, name, day in trainings
    )  # fmt: skip
    session.add_all([
        # Funding 2026: T1 40,000 = floor (two sources); T2 0.01 short of 70,000; T3 100,000 =
        # floor; T4 nothing (floor 70,000 from the division's population) -> 2/4.
        FundingAllocation(township_code=T1, year=2026, population=20_000,
                          amount=Decimal("30000.00"), source="COUNTY"),
        FundingAllocation(township_code=T1, year=2026, population=20_000,
                          amount=Decimal("10000.00"), source="CITY"),
        FundingAllocation(township_code=T2, year=2026, population=40_000,
                          amount=Decimal("69999.99"), source="COUNTY"),
        FundingAllocation(township_code=T3, year=2026, population=60_000,
                          amount=Decimal("100000.00"), source="COUNTY"),
        FundingAllocation(township_code=T1, year=2025, population=19_800,
                          amount=Decimal("10000.00"), source="COUNTY"),
    ])  # fmt: skip
    await session.flush()
    await _cases(session)
    await session.commit()


async def _cases(session: AsyncSession) -> None:
    household = Household(division_code=V11, registration_type="URBAN")
    session.add(household)
    await session.flush()
    applicant = Resident(id_number=generate("640104", date(1960, 1, 1), "MALE", 1), name="张伟",
                         gender="MALE", birth_date=date(1960, 1, 1), ethnicity="汉族",
                         division_code=V11, household_id=household.id)  # fmt: skip
    session.add(applicant)
    await session.flush()
    d = date
    rows = [
        # village, channel, visit required, status, submitted (UTC), due, decided, item
        # 兴庆区: 7 cases in 2026, 4 without a visit, 1 overdue.
        (V11, "ONLINE", False, "VERIFYING", china(d(2026, 3, 2)), d(2026, 12, 30), None),
        (V11, "PROXY", False, "VERIFYING", china(d(2026, 3, 3)), d(2026, 12, 30), None),
        (
            V11,
            "WINDOW",
            True,
            "REJECTED",
            china(d(2026, 3, 4)),
            d(2026, 4, 1),
            china(d(2026, 3, 9)),
        ),
        (V11, "ONLINE", True, "ACCEPTED", china(d(2026, 3, 5)), d(2026, 12, 30), None),
        (V21, "PROXY", False, "VERIFYING", china(d(2026, 10, 8)), d(2026, 11, 19), None),
        (V21, "WINDOW", True, "ACCEPTED", china(d(2026, 10, 9)), d(2026, 11, 20), None),
        (
            V21,
            "ONLINE",
            False,
            "APPROVED",
            datetime(2026, 9, 1, tzinfo=UTC),
            d(2026, 10, 1),
            datetime(2026, 9, 11, 12, tzinfo=UTC),
        ),
        # 西夏区: 00:30 on 1 January China time is 2026; 23:59 the day before is 2025.
        (V31, "WINDOW", True, "SUBMITTED", datetime(2025, 12, 31, 16, 30, tzinfo=UTC), None, None),
        (
            V31,
            "ONLINE",
            False,
            "SUBMITTED",
            datetime(2025, 12, 31, 15, 59, tzinfo=UTC),
            d(2026, 1, 20),
            None,
        ),
    ]
    items = {"REJECTED": "TEMPORARY", "APPROVED": "DB_URBAN"}
    for n, (village, channel, visit, status, submitted, due, decided) in enumerate(rows, 1):
        session.add(Case(
            case_number=f"MZTEST{n:04d}", item_code=items.get(status, "SENIOR_CARD"),
            applicant_id=applicant.id, household_id=household.id, division_code=village,
            channel=channel, submitted_by="tester", status=status, consent=True,
            submitted_at=submitted, due_date=due, decided_at=decided,
            in_person_visit_required=visit,
        ))  # fmt: skip
    await session.flush()
