"""The supervision read path the resolvers call: check access, pick the year, build the report."""

from __future__ import annotations

from hub.db.directory import DivisionInfo
from hub.errors import BadUserInput
from hub.resolvers.context import HubContext
from hub.supervision.access import division_for, require_reader
from hub.supervision.report import ReportData, build_report
from hub.supervision.targets import YearWindow

FIRST_YEAR, LAST_YEAR = 2000, 2100


def year_window(ctx: HubContext, year: int | None) -> YearWindow:
    """The asked year (default: the current year by the hub clock) in China time."""
    today = ctx.services.clock.today()
    chosen = today.year if year is None else year
    if not FIRST_YEAR <= chosen <= LAST_YEAR:
        raise BadUserInput(f"`year` must be between {FIRST_YEAR} and {LAST_YEAR}", "year")
    return YearWindow(chosen, today)


async def read_report(ctx: HubContext, division_code: str, year: int | None) -> ReportData:
    principal = ctx.require_principal()
    require_reader(principal)
    window = year_window(ctx, year)
    async with ctx.db() as session:
        directory = ctx.services.directory
        division = await division_for(session, principal, directory, division_code, "divisionCode")
        return await build_report(session, principal, ctx.services.directory, division, window)


async def children_of(ctx: HubContext, report: ReportData) -> list[ReportData]:
    """The children of a report, computed on demand for a child's own children."""
    if report.children is not None:
        return report.children
    principal = ctx.require_principal()
    window = year_window(ctx, report.year)
    division: DivisionInfo = report.division
    async with ctx.db() as session:
        full = await build_report(session, principal, ctx.services.directory, division, window)
    report.children = full.children
    return report.children or []
