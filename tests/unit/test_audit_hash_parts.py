"""`hash_parts`: the database chains an event from three cuts of its canonical JSON, its resource
list, its prevHash and its seq; the hash must be the verifier's, whatever the event holds."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest

from hub.audit.canonical import SEQ_KEY, chain_hash, event_document, hash_parts
from hub.audit.events import (
    Actor,
    AuditEntry,
    FieldGrant,
    OperationKind,
    Outcome,
    ResourceDocuments,
    ResourceTouch,
)
from hub.audit.recorder import _resources_text, draft_event
from hub.domain.clock import FixedClock

CLOCK = FixedClock(datetime(2026, 11, 27, 8, 0, 0, 250000, tzinfo=UTC))
PREV = "ab" * 32
TOUCHES = (
    ResourceTouch("Resident", "UmVzaWRlbnQ6MQ", "640104001001", (FieldGrant("name", "FULL"),)),
    ResourceTouch("Case", "Q2FzZTox", None, ()),
)
PREBUILT = ResourceDocuments(
    '[{"divisionCode":"640104001001","fields":[{"field":"idNumber","grant":"MASKED"}],'
    '"id":"UmVzaWRlbnQ6MQ","type":"Resident"}]'
)
# Values that imitate the keys the cuts look for, inside strings and nested objects.
TRICKY: list[dict[str, Any]] = [
    {"purpose": None, "variables": None},
    {"purpose": 'x","prevHash":"', "variables": {"seq": 0, "variables": {"prevHash": ""}}},
    {"purpose": '","seq":0,"variables":', "variables": {"a": '"seq":0,"variables":'}},
    {"purpose": "低保 审核 — 📄", "variables": {"名字": "张三", "n": [1, 2, None, True]}},
    {"purpose": "control \u0001 and \n newline", "variables": {"x": "tab\t"}},
    {"purpose": "floats", "variables": {"amount": 1.5, "big": 2**70, "tiny": 1e-7}},
]


def entry(case: dict[str, Any], resources: Any) -> AuditEntry:
    return AuditEntry(
        OperationKind.QUERY,
        Outcome.OK,
        actor=Actor("sub\"ject", "client", "human_resources", "640104000000", ("a", "b")),
        operation_name='Op"Name',
        document_hash="d" * 64,
        variables=case["variables"],
        purpose=case["purpose"],
        policy_version="2026-11",
        resources=resources,
    )


@pytest.mark.parametrize("case", TRICKY)
@pytest.mark.parametrize("resources", [(), TOUCHES, PREBUILT], ids=["none", "touches", "prebuilt"])
@pytest.mark.parametrize("seq", [1, 9, 123456789012])
def test_the_parts_give_the_verifiers_hash(case: dict[str, Any], resources: Any, seq: int) -> None:
    row, plain = draft_event(entry(case, resources), CLOCK)
    listed = _resources_text(row)
    head, middle, tail = hash_parts(event_document(row), listed, plain=plain)
    text = PREV + head + PREV + middle + listed + SEQ_KEY + str(seq) + tail
    from_parts = hashlib.sha256(text.encode("utf-8")).hexdigest()

    row.seq, row.prev_hash = seq, PREV
    assert from_parts == chain_hash(PREV, event_document(row), plain=plain)


def test_a_resource_list_other_than_the_events_own_is_refused() -> None:
    row, plain = draft_event(entry(TRICKY[0], TOUCHES), CLOCK)
    with pytest.raises(ValueError, match="not the event's own"):
        hash_parts(event_document(row), "[]", plain=plain)
    row.seq = 3
    with pytest.raises(ValueError, match="prevHash '' and seq 0"):
        hash_parts(event_document(row), _resources_text(row), plain=plain)
