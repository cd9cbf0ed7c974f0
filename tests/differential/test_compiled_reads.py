"""The compiled read path against the resolvers, on generated queries (PostgreSQL only).

Three apps share one database: one with `compiled_reads=False`, one with `compiled_reads=True`
(prepared reads off), and one with both compiled and prepared reads on, to which every request
goes twice: the first teaches it the document, the second runs prepared where the document
qualifies (hub/compiled/prepared.py). Every generated request goes to all three as every kind
of caller of the policy table; the answers must agree exactly: `data` byte for byte (field
order included), the errors, the extensions, and the audit event each request writes (the
same resources with the same field grants). The world is the
hand-made one of tests/factories.py, enriched here with the cases that make masking and
need-to-know flip from row to row: open (PENDING) tasks of several departments, a household
whose member's case carries the task, null optional values, a one-character name, a short id
number, more than twelve payments per entitlement, a re-issued payment, a resident who moved.

The requests: one policy sweep per caller (every supported field of every visible row), then
QUERIES documents from a seeded generator (tests/differential/generate.py), dealt to the
callers in turn. The rate limit is off in both apps (hundreds of requests in one fixed-clock
minute under one client id); everything else is the default configuration.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.tokens import issue_access_token
from hub.config import Hardening
from hub.db.models import (
    ApprovalTask,
    Case,
    CaseEvent,
    Entitlement,
    Household,
    HouseholdMember,
    Payment,
    Resident,
)
from hub.db.models.audit import AuditEvent
from hub.domain.idnumber import generate
from hub.schema.ids import encode_cursor, to_global_id
from hub.types import Department
from tests.conftest import POSTGRES_URL, fresh_database
from tests.differential.generate import GeneratedQuery, generate_queries, policy_sweep
from tests.factories import NOW, Hub, World, build_world

pytestmark = pytest.mark.postgres

SEED = 20261120
QUERIES = 480  # generated requests, besides one policy sweep per caller

REGION, CITY = "640000000000", "640100000000"
COUNTY, TOWNSHIP = "640104000000", "640104001000"
VILLAGE, OTHER_VILLAGE = "640104001001", "640104001002"  # 新华社区, 红星社区
OTHER_COUNTY, OTHER_TOWNSHIP = "640105000000", "640105002000"
FAR_VILLAGE = "640105002001"  # 朔方社区, in the other county
LEVELS = {
    "region": REGION,
    "city": CITY,
    "county": COUNTY,
    "township": TOWNSHIP,
    "village": VILLAGE,
}
TOWNSHIP_NAMES = {
    VILLAGE: "宁夏回族自治区银川市兴庆区凤凰北街街道",
    OTHER_VILLAGE: "宁夏回族自治区银川市兴庆区凤凰北街街道",
    FAR_VILLAGE: "宁夏回族自治区银川市西夏区贺兰山西路街道",
}
VERIFYING = ("public_security", "human_resources", "housing", "medical_security")


# -- callers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    """One column of the policy table at one place; `citizen` names a resident of the world."""

    label: str
    department: str | None
    division: str | None = None
    roles: tuple[str, ...] = ()
    citizen: str | None = None


def _staff_roles(department: Department, level: str) -> tuple[str, ...]:
    if department is Department.CIVIL_AFFAIRS:
        return {
            "region": ("supervisor",),
            "city": ("reviewer",),
            "county": ("approver", "reviewer"),
            "township": ("clerk", "reviewer"),
            "village": ("proxy_agent",),
        }[level]
    return {Department.FINANCE: ("finance",), Department.AUDIT: ("auditor",)}.get(
        department, ("partner",)
    )


CALLERS: list[Caller] = [
    Caller(f"{dept.value}@{level}", dept.value, code, _staff_roles(dept, level))
    for dept in Department
    for level, code in LEVELS.items()
] + [
    Caller("civil_affairs@other-county", "civil_affairs", OTHER_COUNTY, ("approver",)),
    Caller("civil_affairs@other-township", "civil_affairs", OTHER_TOWNSHIP, ("clerk",)),
    Caller("civil_affairs@other-village", "civil_affairs", OTHER_VILLAGE, ()),
    Caller("public_security@other-county", "public_security", OTHER_COUNTY, ("partner",)),
    Caller("medical_security@far-village", "medical_security", FAR_VILLAGE, ("partner",)),
    Caller("citizen:li", "civil_affairs", citizen="li"),
    Caller("citizen:wang", "civil_affairs", citizen="wang"),
    Caller("citizen:ding", "civil_affairs", citizen="ding"),
    Caller("anonymous", None),
]


# -- the enriched world -----------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    key: str
    village: str
    name: str
    gender: str
    birth: date
    household: str | None
    relation: str | None
    values: dict[str, Any] = field(default_factory=dict)


# fmt: off
PEOPLE = [
    # A one-character name, and every optional value null.
    Person("wang", VILLAGE, "王", "MALE", date(1968, 5, 4), "h4", "SELF",
           {"phone": None, "address": None, "health_condition": None, "bank_account": None,
            "monthly_income": None}),
    # A short id number, a short phone, a four-digit account: masks that star everything.
    Person("ouyang", VILLAGE, "欧阳秀兰", "FEMALE", date(1969, 2, 11), "h4", "SPOUSE",
           {"id_number": "6401", "phone": "110", "bank_account": "1234",
            "health_condition": "糖尿病", "disability_level": 1, "left_behind_woman": True}),
    Person("xiaohong", VILLAGE, "张小红", "FEMALE", date(2012, 6, 1), "h1", "CHILD",
           {"phone": None, "monthly_income": Decimal("0.00"), "disability_level": 4,
            "left_behind_child": True, "bank_account": None}),
    Person("aygul", VILLAGE, "阿依古丽·买买提", "FEMALE", date(1993, 4, 30), "h7", "SELF",
           {"ethnicity": "维吾尔族", "monthly_income": Decimal("3125.75")}),
    Person("zhao", OTHER_VILLAGE, "赵建国", "MALE", date(1961, 9, 9), "h5", "SELF",
           {"health_condition": "冠心病", "monthly_income": Decimal("800.50"),
            "key_special_care": True}),
    Person("xiaoming", OTHER_VILLAGE, "赵小明", "MALE", date(2015, 3, 3), "h5", "CHILD",
           {"phone": None, "address": None, "bank_account": None, "monthly_income": None,
            "left_behind_child": True}),
    # No household at all.
    Person("sun", OTHER_VILLAGE, "孙桂芳", "FEMALE", date(1940, 12, 24), None, None,
           {"left_behind_elder": True, "special_hardship": True, "health_condition": "行动不便",
            "disability_level": 2}),
    # Moved from 新华社区 to 红星社区: an old case (and its household snapshot) stayed behind.
    Person("hu", OTHER_VILLAGE, "胡德明", "MALE", date(1958, 7, 7), "h2", "OTHER",
           {"health_condition": "", "phone": "13995110000"}),
    Person("niu", FAR_VILLAGE, "牛大山", "MALE", date(1950, 1, 1), "h6", "SELF",
           {"disability_level": 3}),
    Person("yang", FAR_VILLAGE, "杨丽", "FEMALE", date(1985, 10, 10), "h6", "SPOUSE",
           {"left_behind_woman": True, "monthly_income": Decimal("10.01")}),
]
# fmt: on
NEW_HOUSEHOLDS = {"h4": VILLAGE, "h5": OTHER_VILLAGE, "h6": FAR_VILLAGE, "h7": VILLAGE}


def _months(start: str, count: int) -> list[str]:
    year, month = (int(p) for p in start.split("-"))
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


class Enricher:
    """Adds residents, cases, tasks, entitlements and payments to the hand-made world."""

    def __init__(self, session: AsyncSession, world: World) -> None:
        self.session = session
        self.world = world
        self.cases = 0

    async def run(self) -> None:
        s, world = self.session, self.world
        households = await self._households()
        for n, p in enumerate(PEOPLE):
            values: dict[str, Any] = {
                "id_number": generate(p.village[:6], p.birth, p.gender, 20 + n),
                "ethnicity": "回族" if n % 3 == 0 else "汉族",
                "phone": f"1390951{n:04d}",
                "address": f"{TOWNSHIP_NAMES[p.village]}{n + 7}巷{n + 1}号",
                "bank_account": f"62170029{n:011d}",
                "monthly_income": Decimal("1500.00"),
                "health_condition": None,
                "disability_level": None,
                **p.values,
            }
            resident = Resident(
                name=p.name,
                gender=p.gender,
                birth_date=p.birth,
                division_code=p.village,
                household_id=households[p.household] if p.household else None,
                **values,
            )
            s.add(resident)
            await s.flush()
            world.residents[p.key] = resident.id
            if p.household:
                s.add(
                    HouseholdMember(
                        household_id=households[p.household],
                        resident_id=resident.id,
                        relation=p.relation,
                    )
                )
                if p.relation == "SELF":
                    head = await s.get(Household, households[p.household])
                    assert head is not None
                    head.head_id = resident.id
        await s.flush()
        await self._cases()
        await s.commit()

    async def _households(self) -> dict[str, int]:
        ids = dict(self.world.households)
        for key, village in NEW_HOUSEHOLDS.items():
            household = Household(
                division_code=village,
                registration_type="RURAL" if village == FAR_VILLAGE else "URBAN",
                declared_monthly_income=Decimal("1800.00") if key != "h7" else None,
                verified_monthly_income=Decimal("1750.00") if key == "h5" else None,
            )
            self.session.add(household)
            await self.session.flush()
            ids[key] = household.id
        self.world.households.update(ids)
        return ids

    async def _cases(self) -> None:
        c = self._case
        # fmt: off
        # Open tasks of human resources and public security on 王's application.
        await c("wang_db", "wang", "DB_URBAN", "VERIFYING",
                tasks={"human_resources": "PENDING", "public_security": "PENDING",
                       "housing": "APPROVED", "medical_security": "CANCELLED"})
        await c("wang_temp", "wang", "TEMPORARY", "APPROVED", channel="PROXY",
                entitlement={"amount": "800.00", "start": "2026-05", "months": 1})
        await c("wang_medical", "wang", "MEDICAL", "REJECTED")
        # 王 applied for the care allowance; his wife 欧阳 is the one paid.
        await c("wang_care", "wang", "DISABLED_CARE", "APPROVED",
                entitlement={"resident": "ouyang", "amount": "100.00", "start": "2025-09",
                             "months": 14, "status": "SUSPENDED",
                             "reason": "复核中：待补充鉴定材料"})
        await c("ouyang_living", "ouyang", "DISABLED_LIVING", "APPROVED", channel="ONLINE",
                entitlement={"amount": "90.00", "start": "2025-08", "months": 15,
                             "failed": 3, "account": "1234"})
        # Open tasks of housing, medical security and disabled federation on 赵's; human
        # resources' task was cancelled (not open).
        await c("zhao_db", "zhao", "DB_URBAN", "VERIFYING",
                tasks={"housing": "PENDING", "medical_security": "PENDING",
                       "disabled_federation": "PENDING", "human_resources": "CANCELLED"})
        await c("zhao_elderly", "zhao", "ELDERLY_ALLOWANCE", "SUBMITTED", accepted=False)
        await c("xiaoming_low", "xiaoming", "LOW_INCOME", "RETURNED")
        await c("sun_senior", "sun", "SENIOR_CARD", "APPROVED", household=None)
        await c("sun_elderly", "sun", "ELDERLY_ALLOWANCE", "APPROVED", household=None,
                entitlement={"amount": "150.00", "start": "2025-06", "months": 13,
                             "status": "TERMINATED", "end": "2026-06", "cancelled_after": 12,
                             "account": None})
        # 胡 moved to 红星社区; his old case stayed in 新华社区 with household h1 (张伟's):
        # public security's open task there is need-to-know for 张伟 and 李秀英 too.
        await c("hu_old", "hu", "DB_URBAN", "VERIFYING", division=VILLAGE, household="h1",
                tasks={"public_security": "PENDING", "human_resources": "PENDING"})
        await c("hu_tekun", "hu", "TEKUN", "APPROVED",
                entitlement={"amount": "1250.50", "start": "2025-01", "months": 20,
                             "failed": 7})
        await c("xiaohong_orphan", "xiaohong", "ORPHAN", "WITHDRAWN")
        await c("aygul_db", "aygul", "DB_URBAN", "IN_PUBLIC_NOTICE", channel="PROXY",
                tasks={"public_security": "APPROVED", "housing": "PENDING"})
        # The other county: open tasks of public security and medical security.
        await c("yang_db", "yang", "DB_RURAL", "VERIFYING",
                tasks={"public_security": "PENDING", "medical_security": "PENDING",
                       "housing": "REJECTED"})
        await c("niu_tekun", "niu", "TEKUN", "APPROVED",
                entitlement={"amount": "1180.00", "start": "2025-10", "months": 13})
        await c("niu_care", "niu", "DISABLED_CARE", "IN_PUBLIC_NOTICE")
        # fmt: on

    async def _case(
        self,
        key: str,
        applicant: str,
        item: str,
        status: str,
        *,
        channel: str = "WINDOW",
        division: str | None = None,
        household: str | None | bool = True,
        accepted: bool = True,
        tasks: dict[str, str] | None = None,
        entitlement: dict[str, Any] | None = None,
    ) -> None:
        s, world = self.session, self.world
        self.cases += 1
        person = await s.get(Resident, world.residents[applicant])
        assert person is not None
        division = division or person.division_code
        household_id = (
            person.household_id
            if household is True
            else (world.households[household] if isinstance(household, str) else None)
        )
        submitted = NOW - timedelta(days=40 - self.cases, microseconds=self.cases * 1111)
        final = status in ("APPROVED", "REJECTED", "WITHDRAWN")
        case = Case(
            case_number=f"MZ2026{self.cases:02d}{division}{self.cases:05d}",
            item_code=item,
            applicant_id=person.id,
            household_id=household_id,
            division_code=division,
            channel=channel,
            proxy_agent="agent-7" if channel == "PROXY" else None,
            submitted_by="agent-7" if channel == "PROXY" else "clerk-1",
            status=status,
            consent=True,
            declared_monthly_income=Decimal("900.00") if item.startswith("DB_") else None,
            submitted_at=submitted,
            accepted_at=submitted + timedelta(hours=3) if accepted else None,
            due_date=(submitted + timedelta(days=30)).date() if accepted else None,
            decided_at=NOW - timedelta(days=2) if final else None,
            notice_ends_at=NOW + timedelta(days=5) if status == "IN_PUBLIC_NOTICE" else None,
            in_person_visit_required=self.cases % 4 == 0,
            certificate_number=f"ZS-{division[:6]}-2026-{100 + self.cases:06d}"
            if status == "APPROVED"
            else None,
            version=self.cases % 5 + 1,
        )
        s.add(case)
        await s.flush()
        world.cases[key] = case.id
        s.add(
            CaseEvent(
                case_id=case.id,
                at=submitted,
                actor_subject="clerk-1",
                actor_department="civil_affairs",
                actor_division=TOWNSHIP,
                kind="SUBMITTED",
                from_status=None,
                to_status="SUBMITTED",
            )
        )
        for department, task_status in (tasks or {}).items():
            task = ApprovalTask(
                case_id=case.id,
                department=department,
                kind="VERIFY",
                status=task_status,
                division_code=division,
                assignee_division_code=division[:6] + "000000",
                decided_by=None if task_status == "PENDING" else f"{department}-system",
                decided_at=None if task_status == "PENDING" else NOW,
                due_date=date(2026, 11, 30),
                created_at=submitted,
            )
            s.add(task)
            await s.flush()
            world.tasks[f"{key}:{department}"] = task.id
        if entitlement:
            await self._entitlement(key, case, entitlement)

    async def _entitlement(self, key: str, case: Case, spec: dict[str, Any]) -> None:
        s = self.session
        resident_id = (
            self.world.residents[spec["resident"]] if "resident" in spec else case.applicant_id
        )
        resident = await s.get(Resident, resident_id)
        assert resident is not None
        months = _months(spec["start"], spec["months"])
        amount = Decimal(spec["amount"])
        ent = Entitlement(
            case_id=case.id,
            resident_id=resident_id,
            household_id=case.household_id,
            item_code=case.item_code,
            division_code=case.division_code,
            monthly_amount=amount,
            start_period=months[0],
            end_period=spec.get("end"),
            status=spec.get("status", "ACTIVE"),
            status_reason=spec.get("reason"),
            version=len(months) % 3 + 1,
        )
        s.add(ent)
        await s.flush()
        self.world.entitlements[key] = ent.id
        account = spec.get("account", resident.bank_account)
        failed = spec.get("failed")
        cancelled_after = spec.get("cancelled_after")
        for i, period in enumerate(months, start=1):
            last = i == len(months)
            if cancelled_after is not None and i > cancelled_after:
                status = "CANCELLED"
            elif i == failed:
                status = "FAILED"
            elif last and len(months) > 1:
                status = "SCHEDULED"
            else:
                status = "PAID"
            paid = datetime(
                int(period[:4]), int(period[5:]), 10, 16, 30, tzinfo=timezone(timedelta(hours=8))
            ) + timedelta(microseconds=(i % 3) * 250_000)
            pay = Payment(
                entitlement_id=ent.id,
                division_code=case.division_code,
                period=period,
                amount=amount if i % 5 else amount + Decimal("5.50"),
                status=status,
                bank_account=account if i % 6 else None,
                batch=None if status in ("SCHEDULED", "CANCELLED") else f"B{period}",
                paid_at=paid if status == "PAID" else None,
                failure_reason="账户已冻结" if status == "FAILED" else None,
            )
            s.add(pay)
            await s.flush()
            self.world.payments[f"{key}:{period}"] = pay.id
        if failed:  # the re-issue comes last in id order, not in period order
            period = months[failed - 1]
            pay = Payment(
                entitlement_id=ent.id,
                division_code=case.division_code,
                period=period,
                attempt=2,
                amount=amount,
                status="PAID",
                bank_account=account,
                batch=f"R{period}",
                paid_at=NOW.astimezone(UTC),
            )
            s.add(pay)
            await s.flush()
            self.world.payments[f"{key}:{period}:2"] = pay.id


# -- running both apps ------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    events: list[AuditEvent]


@dataclass
class Mismatch:
    """One way in which the two answers to request number `case` differ."""

    case: int
    caller: str
    query: GeneratedQuery
    aspect: str
    where: str
    resolved: Any
    compiled: Any


def describe(group: list[Mismatch]) -> str:
    """One request's differences: the caller, the request, and where each aspect differs."""
    first = group[0]
    query = first.query
    lines = [f"request #{first.case} as {first.caller}:"]
    for m in group:
        lines += [
            f"  {m.aspect} differ at {m.where}",
            f"    resolved: {_short(m.resolved)}",
            f"    compiled: {_short(m.compiled)}",
        ]
    lines.append(f"  variables: {json.dumps(query.variables, ensure_ascii=False)}")
    if query.operation_name:
        lines.append(f"  operationName: {query.operation_name}")
    lines.append(f"  query:\n{query.query}")
    return "\n".join(lines)


@dataclass
class Report:
    cases: int = 0
    seconds: float = 0.0
    mismatches: list[Mismatch] = field(default_factory=list)
    callers: Counter[str] = field(default_factory=Counter)
    tags: Counter[str] = field(default_factory=Counter)
    with_errors: int = 0
    error_codes: Counter[str] = field(default_factory=Counter)
    rows_returned: int = 0  # residents in the resolver path's audit events, all requests
    without_rows: int = 0  # requests that returned no resident at all
    residents_fields: int = 0  # `residents` root fields sent to each app
    # (department, Type.field) -> grants the resolver path's audit recorded for it
    grants: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))


@dataclass
class Apps:
    resolved: Hub
    compiled: Hub
    prepared: Hub
    world: World
    tokens: dict[str, str | None]


def _short(value: Any, limit: int = 400) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit] + "..."


def first_difference(a: Any, b: Any, path: str = "$") -> tuple[str, Any, Any] | None:
    """The first place two JSON values differ, keys' order included."""
    if type(a) is not type(b):
        return path, a, b
    if isinstance(a, dict):
        keys_a, keys_b = list(a), list(b)
        if keys_a != keys_b:
            for i, (x, y) in enumerate(zip(keys_a, keys_b, strict=False)):
                if x != y:
                    return f"{path} (key #{i})", keys_a, keys_b
            return f"{path} (keys)", keys_a, keys_b
        for key in keys_a:
            found = first_difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            found = first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        if len(a) != len(b):
            return f"{path} (length {len(a)} vs {len(b)})", a[len(b) :], b[len(a) :]
        return None
    return None if a == b else (path, a, b)


def error_key(body: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Errors as a sorted list of (message, path, extensions): resolvers finish in any order."""
    out = []
    for error in body.get("errors") or []:
        extensions = {k: v for k, v in (error.get("extensions") or {}).items() if k != "requestId"}
        out.append(
            (
                str(error.get("message")),
                json.dumps(error.get("path")),
                json.dumps(extensions, sort_keys=True, ensure_ascii=False),
            )
        )
    return sorted(out)


async def audit_events_after(hub: Hub, seq: int) -> list[AuditEvent]:
    """The audit events written after `seq`, in order (every app of a test shares the log)."""
    async with hub.services.sessions() as session:
        found = await session.execute(
            select(AuditEvent).where(AuditEvent.seq > seq).order_by(AuditEvent.seq)
        )
        return list(found.scalars())


def audit_view(event: AuditEvent) -> dict[str, Any]:
    """What an operation's audit event says; resources sorted by id (their order may differ
    between the paths; each resource's fields list may not)."""
    return {
        "operation_kind": event.operation_kind,
        "operation_name": event.operation_name,
        "outcome": event.outcome,
        "document_hash": event.document_hash,
        "variables": event.variables,
        "purpose": event.purpose,
        "policy_version": event.policy_version,
        "actor": [event.actor_subject, event.actor_department, event.actor_division],
        "resource_divisions": event.resource_divisions,
        "resources": sorted(event.resources or [], key=lambda r: (str(r.get("id")), r.get("type"))),
    }


class Runner:
    """Sends each request to both apps and compares what comes back."""

    def __init__(self, apps: Apps) -> None:
        self.apps = apps
        self.clients: dict[str, httpx.AsyncClient] = {}
        self.last_seq = 0

    async def __aenter__(self) -> Runner:
        for side in ("resolved", "compiled", "prepared"):
            transport = httpx.ASGITransport(app=getattr(self.apps, side).app)
            self.clients[side] = httpx.AsyncClient(transport=transport, base_url="http://hub.test")
        async with self.apps.resolved.services.sessions() as session:
            self.last_seq = int(
                (
                    await session.execute(select(func.coalesce(func.max(AuditEvent.seq), 0)))
                ).scalar_one()
            )
        return self

    async def __aexit__(self, *exc: object) -> None:
        for client in self.clients.values():
            await client.aclose()

    async def ask(self, side: str, token: str | None, query: GeneratedQuery) -> Answer:
        body: dict[str, Any] = {"query": query.query, "variables": query.variables}
        if query.operation_name:
            body["operationName"] = query.operation_name
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.clients[side].post("/graphql", json=body, headers=headers)
        events = await audit_events_after(self.apps.resolved, self.last_seq)
        if events:
            self.last_seq = events[-1].seq
        return Answer(response.status_code, response.json(), events)

    async def compare(self, caller: Caller, query: GeneratedQuery, report: Report) -> None:
        token = self.apps.tokens[caller.label]
        resolved = await self.ask("resolved", token, query)
        compiled = await self.ask("compiled", token, query)
        taught = await self.ask("prepared", token, query)
        prepared = await self.ask("prepared", token, query)
        report.cases += 1
        case = report.cases
        report.callers[caller.label] += 1
        report.tags.update(query.tags)
        report.residents_fields += query.residents_fields
        self._observe(caller, resolved, report)
        self._agree(case, caller, query, resolved, compiled, "", report)
        self._agree(case, caller, query, resolved, taught, "first sight, ", report)
        self._agree(case, caller, query, resolved, prepared, "prepared, ", report)

    def _agree(
        self,
        case: int,
        caller: Caller,
        query: GeneratedQuery,
        resolved: Answer,
        compiled: Answer,
        side: str,
        report: Report,
    ) -> None:
        def differ(aspect: str, a: Any, b: Any) -> bool:
            found = first_difference(a, b)
            if found is None:
                return False
            where, x, y = found
            report.mismatches.append(
                Mismatch(case, caller.label, query, side + aspect, where, x, y)
            )
            return True

        if differ("HTTP status", resolved.status, compiled.status):
            return
        # Field order matters in GraphQL: compare the serialized form, then locate the change.
        data_r = json.dumps(resolved.body.get("data", "<absent>"), ensure_ascii=False)
        data_c = json.dumps(compiled.body.get("data", "<absent>"), ensure_ascii=False)
        if data_r != data_c and not differ(
            "data", resolved.body.get("data", "<absent>"), compiled.body.get("data", "<absent>")
        ):
            report.mismatches.append(
                Mismatch(case, caller.label, query, side + "data", "$ (serialized)", data_r, data_c)
            )
        differ("errors", error_key(resolved.body), error_key(compiled.body))
        differ("extensions", resolved.body.get("extensions"), compiled.body.get("extensions"))
        if differ("audit events written", len(resolved.events), len(compiled.events)):
            return
        for event_r, event_c in zip(resolved.events, compiled.events, strict=True):
            differ("audit event", audit_view(event_r), audit_view(event_c))

    def _observe(self, caller: Caller, answer: Answer, report: Report) -> None:
        """Tally what the resolver path answered, to check the requests mean something."""
        if answer.body.get("errors"):
            report.with_errors += 1
            report.error_codes.update(
                (e.get("extensions") or {}).get("code", "?") for e in answer.body["errors"]
            )
        department = caller.label.split("@")[0]
        rows = 0
        for event in answer.events:
            for resource in event.resources or []:
                rows += resource.get("type") == "Resident"
                name = f"{resource['type']}.%s"
                for grant in resource.get("fields", []):
                    report.grants[department, name % grant["field"]].add(grant["grant"])
        report.rows_returned += rows
        report.without_rows += rows == 0


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One fresh PostgreSQL database for the module: both apps read the same rows."""
    if not POSTGRES_URL:
        pytest.skip("HUB_TEST_POSTGRES_URL is not set")
    yield from fresh_database("postgres", tmp_path_factory.mktemp("differential"), tmp_path_factory)


def _settings() -> dict[str, Any]:
    # Hundreds of requests under one client id in one (fixed-clock) minute: no rate limit.
    return {"hardening": Hardening(cost_per_minute=0)}


@pytest.fixture(scope="module")
async def apps(database: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Apps]:
    keys_dir: Path = tmp_path_factory.mktemp("differential-keys")
    resolved = Hub(database, keys_dir, compiled_reads=False, **_settings())
    compiled = Hub(database, keys_dir, compiled_reads=True, prepared_reads=False, **_settings())
    prepared = Hub(database, keys_dir, compiled_reads=True, **_settings())
    try:
        async with resolved.services.sessions() as session:
            world = await build_world(session)
        async with resolved.services.sessions() as session:
            await Enricher(session, world).run()
        id_numbers: dict[str, str] = {}
        async with resolved.services.sessions() as session:
            for key, pk in world.residents.items():
                row = await session.get(Resident, pk)
                assert row is not None
                id_numbers[key] = row.id_number
        tokens: dict[str, str | None] = {}
        for caller in CALLERS:
            if caller.department is None:
                tokens[caller.label] = None
            elif caller.citizen:
                tokens[caller.label], _ = issue_access_token(
                    compiled.services.keys,
                    compiled.settings,
                    compiled.services.clock,
                    subject=f"citizen-{caller.citizen}",
                    client_id="citizen-portal",
                    department=caller.department,
                    division=REGION,
                    roles=["citizen"],
                    scopes=["cases:write"],
                    id_number=id_numbers[caller.citizen],
                )
            else:
                assert caller.division is not None
                tokens[caller.label] = compiled.token(
                    caller.department, caller.division, caller.roles, (), subject=caller.label
                )
        yield Apps(resolved, compiled, prepared, world, tokens)
    finally:
        await resolved.services.engine.dispose()
        await compiled.services.engine.dispose()
        await prepared.services.engine.dispose()


def resident_ids_of(world: World) -> list[str]:
    """Every resident's global id, one that exists nowhere and one that is malformed."""
    ids = sorted(world.residents.values())
    known = [to_global_id("Resident", pk) for pk in ids]
    return [*known, to_global_id("Resident", ids[-1] + 1000), "not-an-id"]


async def case_keys_of(apps: Apps) -> list[tuple[str, str]]:
    """(global id, case number) of every case, and of one that exists nowhere."""
    async with apps.resolved.services.sessions() as session:
        rows = (await session.execute(select(Case.id, Case.case_number).order_by(Case.id))).all()
    keys = [(to_global_id("Case", pk), number) for pk, number in rows]
    return [*keys, (to_global_id("Case", rows[-1][0] + 1000), "MZ-NO-SUCH-CASE")]


async def periods_of(apps: Apps) -> list[str]:
    """Every month with payments, one without and an invalid one."""
    async with apps.resolved.services.sessions() as session:
        found = (await session.execute(select(Payment.period).distinct())).scalars()
        periods = sorted(found)
    return [*periods, "2019-01", "2026-13"]


def cursors_of(world: World) -> list[str]:
    """Cursors a previous page could have ended on: every resident's, and one past the end."""
    ids = sorted(world.residents.values())
    return [encode_cursor(pk) for pk in ids] + [encode_cursor(ids[-1] + 100)]


@pytest.fixture(scope="module")
async def report(apps: Apps) -> Report:
    """The policy sweep as every caller, then every generated request as the callers in turn,
    each through both apps (once a module)."""
    queries = generate_queries(
        SEED,
        QUERIES,
        cursors_of(apps.world),
        resident_ids_of(apps.world),
        await case_keys_of(apps),
        await periods_of(apps),
    )
    result = Report()
    started = time.perf_counter()
    async with Runner(apps) as runner:
        sweep = policy_sweep()
        for caller in CALLERS:
            await runner.compare(caller, sweep, result)
        for i, query in enumerate(queries):
            await runner.compare(CALLERS[i % len(CALLERS)], query, result)
    result.seconds = time.perf_counter() - started
    return result


# -- tests ------------------------------------------------------------------------------------


async def test_compiled_and_resolved_reads_agree(report: Report) -> None:
    if report.mismatches:
        groups: dict[int, list[Mismatch]] = defaultdict(list)
        for m in report.mismatches:
            groups[m.case].append(m)
        by_aspect = Counter(m.aspect for m in report.mismatches)
        shown = "\n\n".join(describe(g) for g in list(groups.values())[:3])
        pytest.fail(
            f"{len(groups)} of {report.cases} requests answered differently "
            f"(by aspect: {dict(by_aspect)}); the first ones:\n\n{shown}",
            pytrace=False,
        )


async def test_generated_requests_cover_the_policy_and_the_shapes(report: Report) -> None:
    """The comparison means something: many requests, every caller, rows returned, masking
    and need-to-know flipping, the fallback and the bad arguments exercised."""
    assert report.cases >= 300
    assert set(report.callers) == {c.label for c in CALLERS}
    assert report.without_rows < report.cases * 0.45, (report.without_rows, report.error_codes)
    assert report.rows_returned > 2 * report.cases, report.rows_returned
    assert report.error_codes["FORBIDDEN_FIELD"] > 0 and report.error_codes["BAD_USER_INPUT"] > 0
    for tag in ("fallback", "fragment", "inline-fragment", "directive", "bad-first",
                "bad-after", "bad-filter", "bad-last", "two-roots", "one-resident", "one-case", "tasks", "payments"):  # fmt: skip
        assert report.tags[tag] > 0, (tag, report.tags)
    for department in VERIFYING:
        seen = report.grants[department, "Resident.idNumber"]
        assert {"FULL", "MASKED"} <= seen, (department, seen)
    assert report.grants["human_resources", "Resident.monthlyIncome"] >= {"FULL", "MASKED"}
    assert report.grants["civil_affairs", "Resident.bankAccount"] >= {"MASKED", "DENIED"}
    assert "DENIED" in report.grants["finance", "Resident.phone"]


async def test_compiled_path_serves_most_generated_queries(report: Report, apps: Apps) -> None:
    compiled_paths = apps.compiled.services.read_paths
    resolved_paths = apps.resolved.services.read_paths
    assert not [k for k in resolved_paths if k[0] == "compiled"], (
        f"compiled_reads=False still compiled: {dict(resolved_paths)}"
    )
    served = compiled_paths[("compiled", "residents")]
    total = served + compiled_paths[("resolved", "residents")]
    assert total > 0, (
        "the compiled_reads=True app counted no `residents` root field in "
        f"services.read_paths ({dict(compiled_paths)}) after {report.cases} requests"
    )
    # Root fields that fail on their arguments may go uncounted; none may count twice.
    assert total <= report.residents_fields, (
        f"services.read_paths counted {total} `residents` root fields, but only "
        f"{report.residents_fields} were sent ({dict(compiled_paths)})"
    )
    assert served >= 0.5 * total, (
        f"the compiled path served {served} of {total} `residents` root fields "
        f"({served / total:.0%}); at least half expected ({dict(compiled_paths)})"
    )
    # The object roots too, for the rows the caller may see.
    for root in ("resident", "case", "caseByNumber", "approvalTasks", "payments"):
        assert compiled_paths[("compiled", root)] > 0, (root, dict(compiled_paths))


async def test_prepared_reads_answer_repeated_documents(report: Report, apps: Apps) -> None:
    """The prepared app answered a good share of the second requests itself (the rest it
    handed to the ordinary execution, as compared above); the compiled app, prepared reads
    off, none."""
    served = apps.prepared.app.state.schema.prepared.served
    assert apps.compiled.app.state.schema.prepared is None
    assert served >= report.cases // 5, (served, report.cases)
