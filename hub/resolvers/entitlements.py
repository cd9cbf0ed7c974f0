"""The entitlement a certified money item creates; its amount comes from the region's amount
rules (hub.domain.amounts) under the standards in force (hub.payments.standards).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from hub.db.models import Case, Entitlement
from hub.domain.catalogue import ServiceItemDef
from hub.domain.clock import china_date
from hub.payments.standards import case_amount

__all__ = ["case_amount", "new_entitlement"]


def new_entitlement(
    case: Case, item: ServiceItemDef, amount: Decimal, decided_at: datetime
) -> Entitlement:
    """ACTIVE from the month of the decision (China date); a one-off item ends that month."""
    period = china_date(decided_at).strftime("%Y-%m")
    return Entitlement(
        case_id=case.id,
        resident_id=case.applicant_id,
        household_id=case.household_id,
        item_code=case.item_code,
        division_code=case.division_code,
        monthly_amount=amount,
        start_period=period,
        end_period=period if item.one_off else None,
        status="ACTIVE",
        created_at=decided_at,
    )
