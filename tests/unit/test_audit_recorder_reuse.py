"""What the recorder works out once and reuses (masked variables, a caller's fitted columns, a
prebuilt resource list's text): reused or not, every event is the one built from scratch."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from hub.audit.canonical import SEQ_KEY, canonical_json, event_document, hash_parts, is_plain_json
from hub.audit.events import (
    Actor,
    AuditEntry,
    FieldGrant,
    OperationKind,
    Outcome,
    ResourceDocuments,
    ResourceTouch,
)
from hub.audit.masking import mask_variables
from hub.audit.recorder import (
    _actor_columns,
    _json_roundtrip,
    _resources_text,
    _stored_variables,
    draft_event,
)
from hub.domain.clock import FixedClock

CLOCK = FixedClock(datetime(2026, 11, 28, 8, 0, 0, 125000, tzinfo=UTC))
PREBUILT = ResourceDocuments(
    '[{"divisionCode":"640104001001","fields":[{"field":"idNumber","grant":"MASKED"}],'
    '"id":"UmVzaWRlbnQ6MQ","type":"Resident"}]'
)
TOUCHES = (
    ResourceTouch("Resident", "UmVzaWRlbnQ6MQ", "640104001001", (FieldGrant("name", "FULL"),)),
)
VARIABLES: list[Any] = [
    {"division": "640122001000"},
    {"idNumber": "640104199001011234", "first": 50, "nested": {"phone": "13912345678"}},
    {"filter": {"nameContains": "张", "itemCode": None, "flags": [True, False]}},
    {"note": "call 13912345678 about 640104199001011234"},
    {"amount": 1.5},  # a float: not plain JSON, never kept
    {"big": 2**70},  # beyond 64 bits: not plain JSON, never kept
    {},
    None,
]


def from_scratch(variables: Any) -> tuple[Any, bool]:
    stored = _json_roundtrip(mask_variables(variables))
    return stored, variables is None or is_plain_json(stored)


@pytest.mark.parametrize("variables", VARIABLES)
def test_stored_variables_are_the_masked_variables_every_time(variables: Any) -> None:
    first = _stored_variables(variables)
    again = _stored_variables(variables)
    assert first == again == from_scratch(variables)


def test_masked_values_stay_masked_when_reused() -> None:
    variables = {"idNumber": "640104199001011234"}
    for _ in range(3):
        stored, plain = _stored_variables(dict(variables))
        assert plain
        assert stored["idNumber"] != variables["idNumber"]
        assert stored == mask_variables(variables)


def test_equal_variables_in_another_key_order_are_one_set() -> None:
    one = _stored_variables({"a": "1", "b": {"c": "2", "d": "3"}})
    two = _stored_variables({"b": {"d": "3", "c": "2"}, "a": "1"})
    assert one == two


def test_a_callers_columns_are_fitted_as_before() -> None:
    actor = Actor("s" * 200, "c\x00lient", "department" * 5, "6401040010019", ("b", "a"))
    assert _actor_columns(actor) == (
        "s" * 128,
        "c\ufffdlient",
        ("department" * 5)[:32],
        "640104001001",
        "b,a",
    )
    assert _actor_columns(Actor()) == (None, None, None, None, None)


@pytest.mark.parametrize("resources", [PREBUILT, TOUCHES, ()], ids=["prebuilt", "touches", "none"])
@pytest.mark.parametrize("variables", VARIABLES)
def test_the_listed_text_and_the_cuts_are_those_of_the_whole_event(
    resources: Any, variables: Any
) -> None:
    entry = AuditEntry(
        OperationKind.QUERY,
        Outcome.OK,
        actor=Actor("subject", "client", "human_resources", "640104000000", ()),
        variables=variables,
        resources=resources,
    )
    row, plain = draft_event(entry, CLOCK)
    listed = _resources_text(row, entry)
    assert listed == _resources_text(row)  # the entry's own text: what serialising gives
    head, middle, tail = hash_parts(event_document(row), listed, plain=plain)
    # The parts put back around the list are the event's canonical JSON (seq 0, no prevHash).
    whole = {k: v for k, v in event_document(row).items() if k != "hash"}
    expected = canonical_json(whole, plain=plain).decode("utf-8")
    assert head + middle + listed + SEQ_KEY + "0" + tail == expected


def test_the_reused_sets_keep_no_unmasked_value() -> None:
    from hub.audit.recorder import _STORED_VARIABLES

    raw = "640104199001011235"
    _stored_variables({"idNumber": raw, "phone": "13912345679"})
    for key, (stored, _) in _STORED_VARIABLES.items():
        assert raw.encode() not in key and b"13912345679" not in key
        assert raw not in str(stored) and "13912345679" not in str(stored)
