"""Who may read the supervision report and who may keep its records (one place for both).

Read: scope `supervision:read` AND (role `supervisor` of any department, or civil affairs at
county level and above). Write: scope `supervision:write` or `admin`, civil-affairs department.
Either way, a division outside the caller's jurisdiction is NOT_FOUND, like one that does not
exist (docs/decisions/0021-supervision-access.md).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.principal import Principal
from hub.db.directory import DivisionDirectory, DivisionInfo
from hub.domain.divisions import InvalidDivisionCode, level_of
from hub.errors import BadUserInput, Forbidden, NotFound
from hub.policy.jurisdiction import division_in_jurisdiction
from hub.types import Department, Level

READ_SCOPE = "supervision:read"
WRITE_SCOPES = frozenset({"supervision:write", "admin"})


def require_reader(principal: Principal) -> None:
    if principal.is_citizen:
        raise Forbidden("supervision is for supervisors and civil-affairs offices")
    if not principal.has_scope(READ_SCOPE):
        raise Forbidden(f"supervision needs the `{READ_SCOPE}` scope", scope=READ_SCOPE)
    county_civil_affairs = (
        principal.department == Department.CIVIL_AFFAIRS and principal.level <= Level.COUNTY
    )
    if not (principal.has_role("supervisor") or county_civil_affairs):
        raise Forbidden(
            "supervision needs the `supervisor` role or civil affairs at county level or above"
        )


def require_writer(principal: Principal) -> None:
    if principal.is_citizen or principal.department != Department.CIVIL_AFFAIRS:
        raise Forbidden("supervision records are kept by civil-affairs offices")
    if not principal.scopes & WRITE_SCOPES:
        raise Forbidden("recording supervision data needs the `supervision:write` or `admin` scope")


async def division_for(
    session: AsyncSession,
    principal: Principal,
    directory: DivisionDirectory,
    code: str,
    argument: str,
) -> DivisionInfo:
    """The named division, if it exists and lies in the caller's jurisdiction; else NOT_FOUND."""
    try:
        level_of(code)
    except InvalidDivisionCode:
        raise BadUserInput(f"`{argument}` must be a 12-digit division code", argument) from None
    if not division_in_jurisdiction(principal, code):
        raise NotFound("division not found")
    await directory.ensure(session, code)  # a division added since start-up is found too
    found = directory.get(code)
    if found is None:
        raise NotFound("division not found")
    return found
