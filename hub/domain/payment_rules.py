"""Status rules of payments and entitlements (社会化发放), pure: what a bank result or a stop
may change, and what it may not.

Payment: SCHEDULED → PAID | FAILED | RETURNED; PAID → RETURNED (the bank sends the money back
later); the same result twice is a no-op (a bank answer file sent again). A FAILED or RETURNED
payment is re-issued as the next attempt; a terminated entitlement's later SCHEDULED payments
become CANCELLED (kept, never sent).
"""

from __future__ import annotations

from enum import StrEnum

PAYMENT_RESULTS = frozenset({"PAID", "FAILED", "RETURNED"})
REISSUABLE = frozenset({"FAILED", "RETURNED"})
ALLOWED = {"SCHEDULED": PAYMENT_RESULTS, "PAID": frozenset({"RETURNED"})}


class TerminationReason(StrEnum):
    DEATH = "DEATH"  # 死亡 (reported by public security or found by civil affairs)
    REVIEW = "REVIEW"  # 复核后不再符合条件
    WITHDRAWAL = "WITHDRAWAL"  # 本人申请退出


class RuleViolation(ValueError):
    """The change is not allowed from the current status (a CONFLICT for the client)."""


def result_changes(current: str, result: str, reason: str | None) -> bool:
    """Whether recording `result` on a payment in `current` changes it; RuleViolation if it is
    not allowed. FAILED and RETURNED need the bank's reason."""
    if result not in PAYMENT_RESULTS:
        raise ValueError(f"unknown result {result!r}")
    if result in REISSUABLE and not (reason and reason.strip()):
        raise ValueError(f"a {result} result needs the bank's reason")
    if current == result:
        return False
    if result not in ALLOWED.get(current, frozenset()):
        raise RuleViolation(f"a {current} payment cannot become {result}")
    return True


def entitlement_change(current: str, action: str) -> str:
    """The status after `action` (suspend, resume, terminate); RuleViolation if illegal."""
    target = {"suspend": "SUSPENDED", "resume": "ACTIVE", "terminate": "TERMINATED"}[action]
    allowed = {
        "suspend": {"ACTIVE"},
        "resume": {"SUSPENDED"},
        "terminate": {"ACTIVE", "SUSPENDED"},
    }[action]
    if current not in allowed:
        raise RuleViolation(f"a {current} entitlement cannot be {target.lower()}")
    return target
