"""A small hand-made world for read tests: two counties, known residents, one case, payments.

Reads are tested on data whose right answers are known; writes build their data through the
mutations themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.app import create_app
from hub.auth.tokens import issue_access_token
from hub.config import Settings
from hub.db.models import (
    ApprovalTask,
    Case,
    CaseEvent,
    Division,
    Entitlement,
    Household,
    HouseholdMember,
    Payment,
    Resident,
    ServiceItem,
)
from hub.domain.catalogue import load_catalogue
from hub.domain.clock import FixedClock
from hub.domain.idnumber import generate

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)

DIVISIONS = [
    ("640000000000", "宁夏回族自治区", 1, None),
    ("640100000000", "银川市", 2, "640000000000"),
    ("640104000000", "兴庆区", 3, "640100000000"),
    ("640105000000", "西夏区", 3, "640100000000"),
    ("640104001000", "凤凰北街街道", 4, "640104000000"),
    ("640104001001", "新华社区", 5, "640104001000"),
    ("640104001002", "红星社区", 5, "640104001000"),
    ("640105002000", "贺兰山西路街道", 4, "640105000000"),
    ("640105002001", "朔方社区", 5, "640105002000"),
]


@dataclass
class World:
    """Ids of the rows the tests talk about."""

    residents: dict[str, int] = field(default_factory=dict)
    households: dict[str, int] = field(default_factory=dict)
    cases: dict[str, int] = field(default_factory=dict)
    tasks: dict[str, int] = field(default_factory=dict)
    entitlements: dict[str, int] = field(default_factory=dict)
    payments: dict[str, int] = field(default_factory=dict)


def _full_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for code, name, _level, parent in DIVISIONS:
        names[code] = (names[parent] if parent else "") + name
    return names


RESIDENTS = [
    # key, village, name, gender, birth, household key, relation
    ("zhang", "640104001001", "张伟", "MALE", date(1970, 3, 15), "h1", "SELF"),
    ("li", "640104001001", "李秀英", "FEMALE", date(1972, 8, 1), "h1", "SPOUSE"),
    ("ma", "640104001002", "马晓燕", "FEMALE", date(1990, 1, 9), "h2", "SELF"),
    ("ding", "640105002001", "丁海军", "MALE", date(1955, 12, 30), "h3", "SELF"),
]


async def build_world(session: AsyncSession) -> World:
    world = World()
    full = _full_names()
    for code, name, level, parent in DIVISIONS:
        session.add(
            Division(
                code=code,
                name=name,
                full_name=full[code],
                level=level,
                kind="test",
                parent_code=parent,
            )
        )
    for i, item in enumerate(load_catalogue()):
        session.add(ServiceItem(code=item.code, name=item.name, position=i))
    await session.flush()
    households: dict[str, Household] = {}
    for _key, village, *_rest in RESIDENTS:
        hkey = _rest[3]
        if hkey not in households:
            households[hkey] = Household(
                division_code=village,
                registration_type="URBAN",
                declared_monthly_income=Decimal("2400.00"),
                verified_monthly_income=Decimal("2300.00"),
            )
            session.add(households[hkey])
    await session.flush()
    for n, (key, village, name, gender, birth, hkey, relation) in enumerate(RESIDENTS):
        resident = Resident(
            id_number=generate(village[:6], birth, gender, n + 1),
            name=name,
            gender=gender,
            birth_date=birth,
            ethnicity="回族" if n % 2 else "汉族",
            phone=f"1380951{n:04d}",
            address=full[village] + f"{n + 1}号楼101室",
            division_code=village,
            household_id=households[hkey].id,
            disability_level={"ding": 2, "li": 3}.get(key),
            health_condition="高血压" if key == "zhang" else None,
            bank_account=f"622848001234567{n:04d}",
            monthly_income=Decimal("1200.00"),
            special_hardship=key == "ding",
        )
        session.add(resident)
        await session.flush()
        world.residents[key] = resident.id
        session.add(
            HouseholdMember(
                household_id=households[hkey].id, resident_id=resident.id, relation=relation
            )
        )
        if relation == "SELF":
            households[hkey].head_id = resident.id
    world.households = {k: h.id for k, h in households.items()}

    case = Case(
        case_number="MZ20261101640104001000001",
        item_code="DB_URBAN",
        applicant_id=world.residents["zhang"],
        household_id=world.households["h1"],
        division_code="640104001001",
        channel="WINDOW",
        submitted_by="clerk-1",
        status="VERIFYING",
        consent=True,
        declared_monthly_income=Decimal("2400.00"),
        submitted_at=NOW,
        accepted_at=NOW,
        due_date=date(2026, 12, 18),
        version=2,
    )
    session.add(case)
    await session.flush()
    world.cases["zhang_db"] = case.id
    for dept in (
        "public_security",
        "human_resources",
        "housing",
        "medical_security",
        "disabled_federation",
    ):
        task = ApprovalTask(
            case_id=case.id,
            department=dept,
            kind="VERIFY",
            status="APPROVED",
            division_code=case.division_code,
            assignee_division_code="640104000000",
            due_date=date(2026, 12, 4),
            created_at=NOW,
        )
        session.add(task)
        await session.flush()
        world.tasks[dept] = task.id
    session.add(
        CaseEvent(
            case_id=case.id,
            at=NOW,
            actor_subject="clerk-1",
            actor_department="civil_affairs",
            actor_division="640104001000",
            kind="SUBMITTED",
            from_status=None,
            to_status="SUBMITTED",
        )
    )

    li_case = Case(
        case_number="MZ20260301640104001000002",
        item_code="DISABLED_LIVING",
        applicant_id=world.residents["li"],
        household_id=world.households["h1"],
        division_code="640104001001",
        channel="ONLINE",
        submitted_by="citizen-li",
        status="APPROVED",
        consent=True,
        submitted_at=NOW,
        decided_at=NOW,
        certificate_number="ZS-640104-2026-000002",
        version=5,
    )
    session.add(li_case)
    await session.flush()
    world.cases["li_disabled"] = li_case.id
    li_ent = Entitlement(
        case_id=li_case.id,
        resident_id=world.residents["li"],
        household_id=world.households["h1"],
        item_code="DISABLED_LIVING",
        division_code="640104001001",
        monthly_amount=Decimal("90.00"),
        start_period="2026-03",
        status="ACTIVE",
    )
    session.add(li_ent)
    await session.flush()
    world.entitlements["li"] = li_ent.id
    li_pay = Payment(
        entitlement_id=li_ent.id,
        division_code="640104001001",
        period="2026-10",
        amount=Decimal("90.00"),
        status="PAID",
        bank_account="6228480012345670001",
        batch="B2026-10",
    )
    session.add(li_pay)
    await session.flush()
    world.payments["li_10"] = li_pay.id

    approved = Case(
        case_number="MZ20250301640105002000001",
        item_code="TEKUN",
        applicant_id=world.residents["ding"],
        household_id=world.households["h3"],
        division_code="640105002001",
        channel="PROXY",
        proxy_agent="agent-9",
        submitted_by="agent-9",
        status="APPROVED",
        consent=True,
        submitted_at=NOW,
        decided_at=NOW,
        certificate_number="ZS-640105-2025-000001",
        version=6,
    )
    session.add(approved)
    await session.flush()
    world.cases["ding_tekun"] = approved.id
    ent = Entitlement(
        case_id=approved.id,
        resident_id=world.residents["ding"],
        household_id=world.households["h3"],
        item_code="TEKUN",
        division_code="640105002001",
        monthly_amount=Decimal("1250.00"),
        start_period="2025-03",
        status="ACTIVE",
    )
    session.add(ent)
    await session.flush()
    world.entitlements["ding"] = ent.id
    for month in range(1, 4):
        pay = Payment(
            entitlement_id=ent.id,
            division_code="640105002001",
            period=f"2026-0{month}",
            amount=Decimal("1250.00"),
            status="PAID",
            bank_account="6228480012345670003",
            batch=f"B2026-0{month}",
        )
        session.add(pay)
        await session.flush()
        world.payments[f"ding_{month}"] = pay.id
    await session.commit()
    return world


async def set_task_status(session: AsyncSession, task_id: int, status: str) -> None:
    await session.execute(
        update(ApprovalTask).where(ApprovalTask.id == task_id).values(status=status)
    )
    await session.commit()


class Hub:
    """The app under test plus helpers to call it as a given principal."""

    def __init__(self, db_url: str, keys_dir: Path, **settings: object) -> None:
        self.settings = Settings(database_url=db_url, keys_dir=keys_dir, **settings)  # type: ignore[arg-type]
        self.clock = FixedClock(NOW)
        self.app = create_app(self.settings, clock=self.clock)
        self.services = self.app.state.services

    def token(
        self,
        department: str,
        division: str,
        roles: tuple[str, ...] = (),
        scopes: tuple[str, ...] = (),
        subject: str = "tester",
    ) -> str:
        token, _ = issue_access_token(
            self.services.keys,
            self.settings,
            self.services.clock,
            subject=subject,
            client_id="test-client",
            department=department,
            division=division,
            roles=list(roles),
            scopes=list(scopes),
        )
        return token
