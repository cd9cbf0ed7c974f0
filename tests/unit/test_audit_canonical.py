"""Canonical JSON, the chain hash, event building and variable masking (pure, no database)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from hub.audit.canonical import (
    GENESIS_HASH,
    canonical_json,
    chain_hash,
    event_document,
    format_instant,
)
from hub.audit.events import Actor, AuditEntry, FieldGrant, OperationKind, Outcome, ResourceTouch
from hub.audit.export import json_line, read_export
from hub.audit.masking import mask_variables
from hub.audit.recorder import build_event
from hub.auth.principal import Principal
from hub.domain.clock import FixedClock
from hub.types import Department

AT = datetime(2025, 3, 1, 8, 0, 0, 123456, tzinfo=UTC)
INJECTIONS = (
    'x\n{"seq":2,"outcome":"OK"}',
    "\r\n\x1b[2J\x1b[31mFAKE\x1b[0m",
    'a","outcome":"OK',
    "\u2028\u2029\x85\x9b31m",
)


def entry(**overrides: object) -> AuditEntry:
    values: dict[str, object] = {
        "operation_kind": OperationKind.QUERY,
        "outcome": Outcome.OK,
        "actor": Actor("u-1", "client-1", "civil_affairs", "640104001001", ("clerk",)),
        "operation_name": "ResidentQuery",
        "purpose": "case review",
        "resources": (
            ResourceTouch(
                "Resident", "UmVzaWRlbnQ6MQ==", "640104001001", (FieldGrant("name", "FULL"),)
            ),
        ),
    }
    values.update(overrides)
    return AuditEntry(**values)  # type: ignore[arg-type]


def test_canonical_json_sorts_keys_without_whitespace_in_utf8() -> None:
    assert canonical_json({"b": 1, "a": {"d": [1, 2], "c": "张三"}}) == (
        '{"a":{"c":"张三","d":[1,2]},"b":1}'.encode()
    )


def test_instants_are_rfc3339_utc_with_microseconds_and_z() -> None:
    beijing = AT.astimezone(timezone(timedelta(hours=8)))
    assert format_instant(beijing) == "2025-03-01T08:00:00.123456Z"
    assert canonical_json({"at": AT}) == b'{"at":"2025-03-01T08:00:00.123456Z"}'
    with pytest.raises(ValueError):
        format_instant(datetime(2025, 3, 1))


def test_chain_hash_is_sha256_of_prev_hash_hex_then_canonical_json_without_hash() -> None:
    document = {"seq": 1, "prevHash": GENESIS_HASH, "purpose": "审核", "hash": "ignored"}
    body = b'{"prevHash":"' + GENESIS_HASH.encode() + '","purpose":"审核","seq":1}'.encode()
    expected = hashlib.sha256(GENESIS_HASH.encode() + body).hexdigest()
    assert chain_hash(GENESIS_HASH, document) == expected
    assert GENESIS_HASH == "0" * 64


def test_chain_hash_changes_with_the_previous_hash() -> None:
    document = {"seq": 2, "purpose": "x"}
    assert chain_hash("a" * 64, document) != chain_hash("b" * 64, document)


def test_canonical_json_refuses_nan() -> None:
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


@pytest.mark.parametrize("payload", INJECTIONS)
def test_injected_text_stays_one_escaped_string_in_canonical_json(payload: str) -> None:
    encoded = canonical_json({"purpose": payload, "outcome": "DENIED"})
    assert b"\n" not in encoded and b"\r" not in encoded and b"\x1b" not in encoded
    assert json.loads(encoded) == {"purpose": payload, "outcome": "DENIED"}


def test_fake_json_in_a_value_cannot_collide_with_a_real_field() -> None:
    forged = canonical_json({"purpose": 'a","outcome":"OK'})
    real = canonical_json({"purpose": "a", "outcome": "OK"})
    assert forged != real


@pytest.mark.parametrize("payload", INJECTIONS)
def test_export_line_stays_one_line_for_every_line_splitter(payload: str) -> None:
    line = json_line({"seq": 1, "purpose": payload, "operationName": payload})
    assert len(line.splitlines()) == 1
    assert "\x1b" not in line and "\x9b" not in line and "\u2028" not in line
    [(kind, document)] = list(read_export([line + "\n"]))
    assert kind == "event" and document["purpose"] == payload


def test_built_event_hash_recomputes_from_its_document() -> None:
    row = build_event(entry(), 7, "f" * 64, FixedClock(AT))
    assert row.seq == 7 and row.prev_hash == "f" * 64
    assert row.hash == chain_hash("f" * 64, event_document(row))


def test_built_event_document_has_the_graphql_audit_event_keys() -> None:
    document = event_document(build_event(entry(), 1, GENESIS_HASH, FixedClock(AT)))
    assert list(document) == [
        "seq", "at", "actor", "operationKind", "operationName", "documentHash", "variables",
        "purpose", "outcome", "policyVersion", "resources", "prevHash", "hash",
    ]  # fmt: skip
    assert document["actor"] == {
        "subject": "u-1",
        "clientId": "client-1",
        "department": "civil_affairs",
        "division": "640104001001",
        "roles": ["clerk"],
    }
    assert document["resources"] == [
        {
            "type": "Resident",
            "id": "UmVzaWRlbnQ6MQ==",
            "divisionCode": "640104001001",
            "fields": [{"field": "name", "grant": "FULL"}],
        }
    ]
    assert document["at"] == "2025-03-01T08:00:00.123456Z"


def test_built_event_fits_over_long_values_to_their_columns() -> None:
    row = build_event(
        entry(operation_name="Q" * 500, purpose="p" * 500), 1, GENESIS_HASH, FixedClock(AT)
    )
    assert row.operation_name == "Q" * 200 and row.purpose == "p" * 200


def test_built_event_masks_id_numbers_in_the_purpose_and_removes_nul() -> None:
    row = build_event(
        entry(purpose="check 640104199001011234\x00"), 1, GENESIS_HASH, FixedClock(AT)
    )
    assert row.purpose == "check 640104********1234\ufffd"


def test_built_event_stores_resource_divisions_for_jurisdiction_filters() -> None:
    resources = (
        ResourceTouch("Resident", "a", "640104001002"),
        ResourceTouch("Case", "b", "640104001001"),
        ResourceTouch("Resident", "c", "640104001002"),
    )
    row = build_event(entry(resources=resources), 1, GENESIS_HASH, FixedClock(AT))
    assert row.resource_divisions == " 640104001001 640104001002"


def test_entry_truncates_purpose_to_200_characters() -> None:
    assert entry(purpose="x" * 300).purpose == "x" * 200


def test_entry_refuses_an_unknown_operation_kind() -> None:
    with pytest.raises(ValueError):
        entry(operation_kind="DROP_TABLE")


def test_entry_accepts_kind_and_outcome_as_strings() -> None:
    made = entry(operation_kind="TOKEN_REFUSED", outcome="DENIED")
    assert made.operation_kind is OperationKind.TOKEN_REFUSED and made.outcome is Outcome.DENIED


def test_actor_from_principal_takes_token_attributes_with_sorted_roles() -> None:
    principal = Principal(
        subject="s-1",
        department=Department.PUBLIC_SECURITY,
        division_code="640104000000",
        roles=frozenset({"partner", "clerk"}),
        client_id="ps-client",
    )
    assert Actor.from_principal(principal) == Actor(
        "s-1", "ps-client", "public_security", "640104000000", ("clerk", "partner")
    )


def test_actor_from_no_principal_is_anonymous() -> None:
    assert Actor.from_principal(None) == Actor(None, None, None, None, ())


def test_mask_variables_masks_personal_values_by_key_name() -> None:
    masked = mask_variables(
        {
            "idNumber": "640104199001011234",
            "name": "张三丰",
            "phone": "13812341234",
            "bank_account": "6222021234567890123",
            "address": "银川市兴庆区某路1号",
            "clientSecret": "s3cret",
            "itemCode": "DB_URBAN",
        }
    )
    assert masked == {
        "idNumber": "640104********1234",
        "name": "张**",
        "phone": "138****1234",
        "bank_account": "**** **** **** 0123",
        "address": "****",
        "clientSecret": "****",
        "itemCode": "DB_URBAN",
    }


def test_mask_variables_recurses_into_inputs_and_lists() -> None:
    masked = mask_variables(
        {"input": {"applicant": {"name": "李四"}, "phones": ["13800000000"], "ids": [1, 2]}}
    )
    assert masked == {
        "input": {"applicant": {"name": "李*"}, "phones": ["138****0000"], "ids": [1, 2]}
    }


def test_mask_variables_masks_by_shape_under_any_key_and_inside_text() -> None:
    masked = mask_variables(
        {
            "filter": "64010419900101123X",
            "opinion": "called 13912345678 about card 6222 0212 3456 7890",
            "q": 6222021234567890,
            "amount": 1234.5,
        }
    )
    assert masked == {
        "filter": "640104********123X",
        "opinion": "called 139****5678 about card **** **** **** 7890",
        "q": "**** **** **** 7890",
        "amount": 1234.5,
    }


def test_mask_variables_leaves_short_numbers_and_global_ids_alone() -> None:
    values = {"first": 20, "after": "Y3Vyc29yOjEw", "period": "2025-03", "code": "640104"}
    assert mask_variables(values) == values


def test_mask_variables_returns_json_safe_values() -> None:
    masked = mask_variables({"x": float("inf"), "when": AT, "nul": "a\x00b", 3: None})
    assert json.loads(json.dumps(masked, allow_nan=False)) == {
        "x": "inf",
        "when": "2025-03-01 08:00:00.123456+00:00",
        "nul": "a\ufffdb",
        "3": None,
    }
    assert mask_variables(None) is None


def _standard_library(document: dict[str, object]) -> bytes:
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def test_fast_canonical_json_writes_what_the_standard_library_writes() -> None:
    # Events written before the fast path must keep verifying: byte-for-byte the same text.
    import random

    rng = random.Random(7)
    alphabet = [chr(i) for i in range(0x250)] + ["\u2028", "\u2029", "\ufeff", "😀", "中", '"']
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 10)))
        document = {
            text: [text, rng.randint(-(2**63), 2**63 - 1), True, None],
            "resources": [{"id": text, "fields": [{"grant": "FULL", "field": text}]}],
            "variables": {"k": text, text: rng.randint(0, 9)},
        }
        assert canonical_json(document) == _standard_library(document)


@pytest.mark.parametrize(
    "variables", [{"ratio": 0.1}, {"big": 10**30}, {"exp": 1e16}, {"nested": [{"f": -0.0}]}]
)
def test_variables_with_floats_or_huge_numbers_take_the_standard_library(
    variables: dict[str, object],
) -> None:
    document = {"seq": 1, "variables": variables}
    assert canonical_json(document) == _standard_library(document)


def test_division_codes_in_variables_are_kept_for_auditors() -> None:
    """A division code is not personal, and an auditor needs to see which area was read; a
    value under a division key that is not a division code is still masked by its shape."""
    masked = mask_variables(
        {
            "division": "640122001000",
            "filter": {"divisionCode": "6401", "nameContains": "张三"},
            "parentDivisions": ["640104", "640104001001"],
            "divisionCode": "6222021234567890123",
            "other": "640122001000",
        }
    )
    assert masked == {
        "division": "640122001000",
        "filter": {"divisionCode": "6401", "nameContains": "张*"},
        "parentDivisions": ["640104", "640104001001"],
        "divisionCode": "**** **** **** 0123",
        "other": "**** **** **** 1000",
    }
