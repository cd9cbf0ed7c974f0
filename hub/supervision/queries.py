"""The SQL aggregates behind the indicators: one statement per record kind, grouped by the child
division (the first `width` digits of the code), so one round trip serves a division and all its
children. Statements only; `hub.supervision.report` runs them and assembles the figures.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import aliased

from hub.auth.principal import Principal
from hub.db.models import (
    Case,
    CivilAffairsAssistant,
    Division,
    FundingAllocation,
    ProxyPoint,
    StaffPost,
    TrainingRecord,
)
from hub.policy.jurisdiction import in_prefix, visible
from hub.supervision.targets import (
    ASSISTANT_TRAININGS_PER_YEAR,
    STAFF_TRAININGS_PER_YEAR,
    YearWindow,
    funding_floor_sql,
)
from hub.types import Level

Statement = Select[*tuple[Any, ...]]

# A case is final once decided or withdrawn; anything else past its due date is overdue.
FINAL_CASE_STATUSES = ("APPROVED", "REJECTED", "WITHDRAWN")
DECIDED_CASE_STATUSES = ("APPROVED", "REJECTED")
NO_VISIT_CHANNELS = ("ONLINE", "PROXY")


def _group(column: Any, width: int) -> ColumnElement[str]:
    return func.substr(column, 1, width).label("child")


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def no_visit(case_table: Any = Case) -> ColumnElement[bool]:
    """不见面办理: handed in online or through the village proxy agent AND no in-person visit
    was required afterwards. A WINDOW case is a visit by definition."""
    return and_(
        case_table.channel.in_(NO_VISIT_CHANNELS),
        case_table.in_person_visit_required == false(),
    )


def case_counts(principal: Principal, prefix: str, width: int, window: YearWindow) -> Statement:
    """Per child: cases submitted in the year, those handled without a visit, those overdue."""
    child = _group(Case.division_code, width)
    overdue = and_(Case.due_date < window.today, Case.status.not_in(FINAL_CASE_STATUSES))
    return (
        select(child, func.count(), _count_if(no_visit()), _count_if(overdue))
        .where(
            visible(principal, Case),
            in_prefix(Case.division_code, prefix),
            Case.submitted_at >= window.start,
            Case.submitted_at < window.end,
        )
        .group_by(child)
    )


def _days(dialect: str, start: Any, end: Any) -> ColumnElement[Any]:
    """Calendar days between two stored instants, as a fraction."""
    if dialect == "sqlite":
        return func.julianday(end) - func.julianday(start)
    return func.extract("epoch", end - start) / literal(86400.0)


def handling_days(
    principal: Principal, prefix: str, width: int, window: YearWindow, dialect: str
) -> Statement:
    """Per child and item: decided cases submitted in the year and their total calendar days
    from submission to decision (the average is total / count)."""
    child = _group(Case.division_code, width)
    return (
        select(
            child,
            Case.item_code,
            func.count(),
            func.sum(_days(dialect, Case.submitted_at, Case.decided_at)),
        )
        .where(
            visible(principal, Case),
            in_prefix(Case.division_code, prefix),
            Case.submitted_at >= window.start,
            Case.submitted_at < window.end,
            Case.status.in_(DECIDED_CASE_STATUSES),
            Case.decided_at.is_not(None),
        )
        .group_by(child, Case.item_code)
    )


def _in_office(start: Any, end: Any, day: Any) -> ColumnElement[bool]:
    """Active on `day`; both ends are inclusive (the end date is the last active day)."""
    return and_(start <= day, or_(end.is_(None), end >= day))


def _trainings(division: Any, person_kind: str, name: Any, window: YearWindow) -> Any:
    t = aliased(TrainingRecord)
    return (
        select(func.count())
        .where(
            t.division_code == division,
            t.person_kind == person_kind,
            t.person_name == name,
            t.held_on >= window.first_day,
            t.held_on <= window.reference_day,
        )
        .scalar_subquery()
    )


def village_counts(prefix: str, width: int, window: YearWindow) -> Statement:
    """Per child: villages; with a proxy point open on the reference day; with an assistant in
    office then; and whose assistant in office then attended >= 2 trainings in the year."""
    day = window.reference_day
    child = _group(Division.code, width)
    point = exists().where(
        ProxyPoint.village_code == Division.code,
        _in_office(ProxyPoint.active_from, ProxyPoint.active_to, day),
    )
    a = CivilAffairsAssistant
    assistant = exists().where(
        a.village_code == Division.code, _in_office(a.appointed_on, a.left_on, day)
    )
    trained = exists().where(
        a.village_code == Division.code,
        _in_office(a.appointed_on, a.left_on, day),
        _trainings(a.village_code, "ASSISTANT", a.name, window) >= ASSISTANT_TRAININGS_PER_YEAR,
    )
    return (
        select(child, func.count(), _count_if(point), _count_if(assistant), _count_if(trained))
        .where(Division.level == int(Level.VILLAGE), in_prefix(Division.code, prefix))
        .group_by(child)
    )


def township_rows(prefix: str, window: YearWindow) -> Statement:
    """One row per township: a filled post?, staff training met?, funding for the year.

    Staff training is met when the township has a filled post and every post holder attended
    >= 3 trainings in the year. Funding adds up the year's allocations of every source.
    """
    filled = and_(StaffPost.holder_name.is_not(None), StaffPost.holder_name != "")
    has_post = exists().where(StaffPost.township_code == Division.code, filled)
    undertrained = exists().where(
        StaffPost.township_code == Division.code,
        filled,
        _trainings(StaffPost.township_code, "STAFF", StaffPost.holder_name, window)
        < STAFF_TRAININGS_PER_YEAR,
    )
    funds = (
        select(
            FundingAllocation.township_code.label("code"),
            func.sum(FundingAllocation.amount).label("amount"),
            func.max(FundingAllocation.population).label("population"),
        )
        .where(
            FundingAllocation.year == window.year,
            in_prefix(FundingAllocation.township_code, prefix),
        )
        .group_by(FundingAllocation.township_code)
        .subquery()
    )
    population = func.coalesce(funds.c.population, Division.population, 0)
    return (
        select(
            Division.code,
            Division.name,
            has_post,
            and_(has_post, ~undertrained),
            population,
            funding_floor_sql(population),
            funds.c.amount,
        )
        .outerjoin(funds, funds.c.code == Division.code)
        .where(Division.level == int(Level.TOWNSHIP), in_prefix(Division.code, prefix))
        .order_by(Division.code)
    )


def activity_counts(prefix: str, width: int, window: YearWindow) -> Statement:
    """Per child: training records of the year (with cases and funding, what `hasData` means)."""
    child = _group(TrainingRecord.division_code, width)
    return (
        select(child, func.count())
        .where(
            in_prefix(TrainingRecord.division_code, prefix),
            TrainingRecord.held_on >= window.first_day,
            TrainingRecord.held_on <= window.last_day,
        )
        .group_by(child)
    )
