"""submitCase (一号申请): a new application at the window, online or by a proxy agent."""

from __future__ import annotations

from decimal import Decimal

from hub.auth.principal import Principal
from hub.db.models import Case
from hub.domain import workflow as wf
from hub.domain.catalogue import ServiceItemDef, load_catalogue
from hub.domain.clock import china_date
from hub.errors import BadUserInput
from hub.resolvers import case_access, case_store, idempotency
from hub.resolvers.command import Body, Effect, Tx, run_command
from hub.resolvers.context import HubContext
from hub.resolvers.mutation_audit import OperationMeta
from hub.resolvers.transitions import apply_transition

OPERATION = "submitCase"
MAX_INCOME = Decimal("1000000")


def service_item(code: str, argument: str = "itemCode") -> ServiceItemDef:
    try:
        return load_catalogue().get(code)
    except KeyError:
        raise BadUserInput(f"unknown service item {code!r}", argument=argument) from None


async def submit_case(
    ctx: HubContext,
    meta: OperationMeta,
    *,
    item_code: str,
    applicant_id: int,
    channel: wf.Channel,
    consent: bool,
    declared_monthly_income: Decimal | None,
    idempotency_key: str | None,
) -> Effect:
    return await run_command(
        ctx,
        meta,
        lambda principal: _plan(
            principal,
            item_code,
            applicant_id,
            channel,
            consent,
            declared_monthly_income,
            idempotency_key,
        ),
    )


def _plan(
    principal: Principal,
    item_code: str,
    applicant_id: int,
    channel: wf.Channel,
    consent: bool,
    income: Decimal | None,
    idempotency_key: str | None,
) -> Body:
    case_access.require_command(principal, OPERATION)
    case_access.require_channel(principal, channel)
    key = idempotency.check_key(idempotency_key)
    item = service_item(item_code)
    submitted = wf.submit(item, channel)
    if consent is not True:
        raise BadUserInput(
            "the household's signed consent to verify its finances is required (先授权后核对)",
            argument="consent",
        )
    if income is not None and not Decimal(0) <= income < MAX_INCOME:
        raise BadUserInput(
            "`declaredMonthlyIncome` must be from 0 to 999999.99 yuan",
            argument="declaredMonthlyIncome",
        )
    print_ = idempotency.fingerprint(
        {"item": item.code, "applicant": applicant_id, "channel": channel, "income": income}
    )

    async def body(tx: Tx) -> Effect:
        if key is not None:
            found = await idempotency.replay(tx.session, principal, OPERATION, key, print_)
            if found is not None:
                case = await tx.session.get(Case, int(found["case_id"]))
                assert case is not None  # cases are never deleted
                tx.touch("Case", case.id, case.division_code)
                return Effect(case)
        resident = await case_store.visible_resident(tx.session, principal, applicant_id)
        if resident is None:
            raise BadUserInput("applicant not found", argument="applicantId")
        if resident.deceased_on is not None:
            raise BadUserInput("the applicant is recorded as deceased", argument="applicantId")
        already = await case_store.open_case_of(tx.session, resident.id, item.code)
        if already is not None:
            raise BadUserInput(
                f"the applicant already has an open {item.code} case {already.case_number} "
                f"(status {already.status})",
                argument="applicantId",
            )
        today = china_date(tx.now)
        prefix = f"MZ{today:%Y%m%d}{resident.division_code[:9]}"
        seq = await case_store.next_number(tx.session, Case.case_number, prefix)
        case = Case(
            case_number=wf.case_number(resident.division_code, today, seq),
            item_code=item.code,
            applicant_id=resident.id,
            household_id=resident.household_id,
            division_code=resident.division_code,
            channel=channel.value,
            proxy_agent=principal.subject if channel is wf.Channel.PROXY else None,
            submitted_by=principal.subject,
            status=submitted.status.value,
            consent=True,
            declared_monthly_income=income,
            submitted_at=tx.now,
            # 不见面审批: only a window application needs the applicant in person.
            in_person_visit_required=channel is wf.Channel.WINDOW,
            version=0,
        )
        tx.session.add(case)
        await tx.session.flush()
        tx.touch("Resident", resident.id, resident.division_code)
        await apply_transition(tx, case, [], item, submitted)
        if key is not None:
            result = {"case_id": case.id}
            idempotency.remember(tx.session, principal, OPERATION, key, print_, result, tx.now)
        return Effect(case)

    return body
