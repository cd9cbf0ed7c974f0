"""The bank batch file (代发文件) and the bank's answer file, both CSV in UTF-8 with a header.

Batch file columns: payment_id (global ID, echoed back by the bank), batch, period, attempt,
division_code, payee_name (masked, as the finance grant gives it), bank_account, amount (yuan,
two decimals). Only SCHEDULED payments are exported. Answer file columns: payment_id, result
(PAID / FAILED / RETURNED), reason (the bank's, required unless PAID), paid_at (ISO 8601, with
offset; default the import time). An answer file is applied whole or not at all.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db.models import Entitlement, Payment, Resident
from hub.domain import payment_rules as rules
from hub.errors import BadUserInput
from hub.payments.results import apply_result, locked_payment
from hub.policy.jurisdiction import in_prefix
from hub.policy.masks import mask_name
from hub.schema.ids import int_pk_of, to_global_id

BATCH_COLUMNS = ("payment_id", "batch", "period", "attempt", "division_code", "payee_name",
                 "bank_account", "amount")  # fmt: skip
RESULT_COLUMNS = ("payment_id", "result", "reason", "paid_at")


@dataclass(frozen=True)
class LineError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class ResultLine:
    line: int
    payment_id: int
    result: str
    reason: str | None
    paid_at: datetime | None


async def batch_csv(session: AsyncSession, period: str, prefix: str) -> tuple[str, int]:
    """The batch file of the period's SCHEDULED payments under `prefix`, and its line count."""
    stmt = (
        select(Payment, Resident.name)
        .join(Entitlement, Entitlement.id == Payment.entitlement_id)
        .join(Resident, Resident.id == Entitlement.resident_id)
        .where(
            Payment.period == period,
            Payment.status == "SCHEDULED",
            in_prefix(Payment.division_code, prefix),
        )
        .order_by(Payment.batch, Payment.id)
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(BATCH_COLUMNS)
    count = 0
    for payment, name in (await session.execute(stmt)).all():
        writer.writerow((
            to_global_id("Payment", payment.id), payment.batch, payment.period, payment.attempt,
            payment.division_code, mask_name(name), payment.bank_account or "",
            f"{payment.amount:.2f}",
        ))  # fmt: skip
        count += 1
    return out.getvalue(), count


def parse_results(text: str) -> tuple[list[ResultLine], list[LineError]]:
    """Every line checked on its own and against the others (duplicates); nothing applied."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None or tuple(h.strip() for h in header) != RESULT_COLUMNS:
        return [], [LineError(1, f"the header must be {','.join(RESULT_COLUMNS)}")]
    lines: list[ResultLine] = []
    errors: list[LineError] = []
    seen: dict[int, int] = {}
    for cells in reader:
        number = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        try:
            line = _line(number, cells)
        except ValueError as exc:
            errors.append(LineError(number, str(exc)))
            continue
        if line.payment_id in seen:
            errors.append(LineError(number, f"duplicate of line {seen[line.payment_id]}"))
            continue
        seen[line.payment_id] = number
        lines.append(line)
    return lines, errors


def _line(number: int, cells: list[str]) -> ResultLine:
    if len(cells) != len(RESULT_COLUMNS):
        raise ValueError(f"expected {len(RESULT_COLUMNS)} columns, got {len(cells)}")
    raw_id, result, reason, raw_paid = (c.strip() for c in cells)
    try:
        payment_id = int_pk_of(raw_id, "Payment", "payment_id")
    except BadUserInput:
        raise ValueError(f"payment_id {raw_id!r} is not a payment id") from None
    if result not in rules.PAYMENT_RESULTS:
        raise ValueError(f"result {result!r} is not PAID, FAILED or RETURNED")
    if result in rules.REISSUABLE and not reason:
        raise ValueError(f"a {result} line needs the bank's reason")
    paid_at = None
    if raw_paid:
        try:
            paid_at = datetime.fromisoformat(raw_paid)
        except ValueError:
            raise ValueError(f"paid_at {raw_paid!r} is not an ISO 8601 time") from None
        if paid_at.tzinfo is None:
            raise ValueError("paid_at needs a UTC offset (e.g. +08:00)")
    return ResultLine(number, payment_id, result, reason or None, paid_at)


async def apply_results(
    session: AsyncSession, lines: list[ResultLine], now: datetime
) -> tuple[int, list[LineError]]:
    """Apply every line in `session`'s transaction; (changed count, errors). The caller rolls
    back when there is any error: a partial file is never applied."""
    errors: list[LineError] = []
    changed = 0
    for line in lines:
        payment = await locked_payment(session, None, line.payment_id)
        if payment is None:
            errors.append(LineError(line.line, "unknown payment"))
            continue
        try:
            changed += apply_result(payment, line.result, line.reason, line.paid_at, now)
        except ValueError as exc:  # RuleViolation included
            errors.append(LineError(line.line, str(exc)))
    return changed, errors
