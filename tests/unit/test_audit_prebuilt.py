"""Resource documents written by the compiled read statement (`ResourceDocuments`): the
recorder stores and hashes that text as it is, so it must make exactly the event the same
resources listed one by one would make, and the hash must recompute from the stored JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import orjson
import pytest

from hub.audit.canonical import GENESIS_HASH, chain_hash, event_document
from hub.audit.events import (
    Actor,
    AuditEntry,
    FieldGrant,
    OperationKind,
    Outcome,
    ResourceDocuments,
    ResourceTouch,
)
from hub.audit.recorder import build_event
from hub.domain.clock import FixedClock
from hub.resolvers.audit_operation import resources_of
from hub.resolvers.context import AuditCollector

AT = datetime(2026, 11, 27, 8, 0, 0, 250000, tzinfo=UTC)
TOUCHES = (
    ResourceTouch(
        "Resident",
        "UmVzaWRlbnQ6MQ",
        "640104001001",
        (FieldGrant("idNumber", "MASKED"), FieldGrant("name", "FULL")),
    ),
    ResourceTouch("Case", "Q2FzZTox", "640104001002", ()),
    ResourceTouch("Payment", "UGF5bWVudDox", "640104001001", (FieldGrant("amount", "DENIED"),)),
)


def documents_text(touches: tuple[ResourceTouch, ...]) -> str:
    """The text the compiled statement writes for these resources."""
    return orjson.dumps(
        [
            {
                "divisionCode": t.division_code,
                "fields": [{"field": f.field, "grant": f.grant} for f in t.fields],
                "id": t.id,
                "type": t.type,
            }
            for t in touches
        ],
        option=orjson.OPT_SORT_KEYS,
    ).decode()


def entry(resources: object, variables: dict[str, object] | None = None) -> AuditEntry:
    return AuditEntry(
        operation_kind=OperationKind.QUERY,
        outcome=Outcome.OK,
        actor=Actor("u-1", "client-1", "human_resources", "640104000000", ()),
        operation_name="Page",
        variables=variables,
        resources=resources,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    "variables",
    [None, {"division": "640104001000"}, {"ratio": 0.5, "huge": 2**70}],
    ids=["none", "plain", "floats-and-big-integers"],
)
def test_prebuilt_documents_make_the_event_the_touches_make(variables: object) -> None:
    clock = FixedClock(AT)
    one_by_one = build_event(entry(TOUCHES, variables), 5, "a" * 64, clock)  # type: ignore[arg-type]
    prebuilt = ResourceDocuments(documents_text(TOUCHES))
    written = build_event(entry(prebuilt, variables), 5, "a" * 64, clock)  # type: ignore[arg-type]
    assert written.hash == one_by_one.hash
    assert (
        written.resource_divisions == one_by_one.resource_divisions == " 640104001001 640104001002"
    )
    # What the JSON column gives back recomputes the same hash (what `audit verify` does).
    stored = json.loads(orjson.dumps(written.resources))
    assert stored == one_by_one.resources
    written.resources = stored
    assert chain_hash("a" * 64, event_document(written)) == written.hash


def test_an_escaped_division_code_is_listed_unescaped() -> None:
    text = '[{"divisionCode":"64\\"01","fields":[],"id":"x","type":"Case"}]'
    row = build_event(entry(ResourceDocuments(text)), 1, GENESIS_HASH, FixedClock(AT))
    assert row.resource_divisions == ' 64"01'


def _document(code: object) -> dict[str, object]:
    return {"divisionCode": code, "fields": [], "id": "x", "type": "Case"}


@pytest.mark.parametrize(
    "codes",
    [
        ["640104001001", "640104001002", "640104001001"],  # plain 12-digit codes
        [],
        [None, "640104001001"],
        ["", "640104001001"],
        ["6401"],  # shorter
        ["6401040010011"],  # longer
        ["6401040010", "640104001001"],  # 10 characters: a quote falls right after 12
        ['64010400100"', "640104001001"],  # a quote inside, at the 12th character
        ['64"010400100'],  # a quote inside, escaped
        ["64\\0104001001"],  # a backslash, escaped
        ["六四〇一〇四〇〇一〇〇一"],  # 12 characters beyond ASCII
        ["640104001001\u0000"[:12], "\u00e9" * 12],
    ],
)
def test_division_codes_are_read_as_json_would_read_them(codes: list[object]) -> None:
    text = json.dumps([_document(c) for c in codes], ensure_ascii=False, separators=(",", ":"))
    row = build_event(entry(ResourceDocuments(text)), 1, GENESIS_HASH, FixedClock(AT))
    expected = sorted({str(c) for c in codes if c})
    assert row.resource_divisions == (" " + " ".join(expected) if expected else None)


def test_one_unique_text_is_recorded_as_written() -> None:
    collector = AuditCollector()
    text = documents_text(TOUCHES)[1:-1]
    collector.add_documents(text, unique=True)
    collector.add_documents(None, unique=True)  # a page without rows adds nothing
    assert resources_of(collector) == ResourceDocuments("[" + text + "]")


def test_documents_that_may_repeat_a_resource_are_merged_with_the_other_touches() -> None:
    collector = AuditCollector()
    resident = TOUCHES[0]
    twice = documents_text(
        (
            resident,
            ResourceTouch(
                "Resident", resident.id, "640104001001", (FieldGrant("phone", "MASKED"),)
            ),
        )
    )
    collector.add_documents(twice[1:-1], unique=False)
    collector.row("Case", "Q2FzZTox", "640104001002")  # touched by a resolver
    resources = resources_of(collector)
    assert isinstance(resources, tuple)
    by_id = {r.id: r for r in resources}
    assert set(by_id) == {resident.id, "Q2FzZTox"}
    assert by_id[resident.id].fields == (
        FieldGrant("idNumber", "MASKED"),
        FieldGrant("name", "FULL"),
        FieldGrant("phone", "MASKED"),
    )


def test_a_built_event_has_exactly_the_columns_of_the_stored_event() -> None:
    """The recorder writes `BuiltEvent`s through the table's columns: a column added to the
    model and not to the built event (or the reverse) would be lost or fail the write."""
    from dataclasses import fields

    import sqlalchemy as sa

    from hub.audit.events import BuiltEvent
    from hub.db.models import AuditEvent

    columns = [attr.key for attr in sa.inspect(AuditEvent).column_attrs]
    assert [f.name for f in fields(BuiltEvent)] == columns
