"""Channel names and payloads: small JSON-able dicts of ids, never personal data.

Subscribers re-read every row through the jurisdiction filter and field policy, so a payload
only says *what* changed; a LISTEN/NOTIFY broker can carry it unchanged (8000-byte limit).
"""

from __future__ import annotations

from typing import Any

CASE_EVENTS = "case"
TASKS_OPENED = "tasks"


def case_channel(case_id: int) -> str:
    """New events of one case: payload `{"case_id": int, "event_ids": [int, ...]}`."""
    return f"{CASE_EVENTS}:{case_id}"


def tasks_channel(department: str) -> str:
    """Tasks opened for a department: payload `{"task_id", "case_id", "division_code",
    "assignee_division_code"}`."""
    return f"{TASKS_OPENED}:{department}"


def case_events_payload(case_id: int, event_ids: list[int]) -> dict[str, Any]:
    return {"case_id": case_id, "event_ids": list(event_ids)}


def task_opened_payload(
    task_id: int, case_id: int, division_code: str, assignee_division_code: str
) -> dict[str, Any]:
    return {
        "task_id": task_id,
        "case_id": case_id,
        "division_code": division_code,
        "assignee_division_code": assignee_division_code,
    }
