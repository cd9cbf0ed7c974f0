"""Canonical JSON of an audit event and the hash chain over it.

`hash = sha256(prevHash as ASCII hex || canonical JSON of the event without "hash")`; the event
is the exported document itself, so anyone holding an export can recompute every hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from hub.audit.events import BuiltEvent
    from hub.db.models.audit import AuditCheckpoint, AuditEvent

GENESIS_HASH = "0" * 64
ROLE_SEPARATOR = ","


def format_instant(at: datetime) -> str:
    """RFC 3339 in UTC with microseconds and `Z`: `2025-03-01T08:00:00.000000Z`."""
    if at.tzinfo is None:
        raise ValueError("audit instants must be timezone-aware")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_instant(value)
    raise TypeError(f"{type(value).__name__} is not part of an audit event's JSON")


_INT64 = (-(2**63), 2**63 - 1)
# Whatever orjson would write in its own way (datetimes, dataclasses, str subclasses, ...) goes
# through `_default`, as with the standard library.
_ORJSON_OPTIONS = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def is_plain_json(value: Any) -> bool:
    """Only strings, 64-bit integers, booleans, nulls, lists and string-keyed objects: values
    for which orjson writes byte for byte what `json.dumps(ensure_ascii=False)` writes (floats,
    whose text differs, and anything else take the standard library)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if item is None or isinstance(item, str | bool):
            continue
        if isinstance(item, int):
            if not _INT64[0] <= item <= _INT64[1]:
                return False
        elif isinstance(item, dict):
            if not all(isinstance(k, str) for k in item):
                return False
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        else:
            return False
    return True


def _plain_resources(resources: Any) -> bool:
    """`is_plain_json` for an event's resource list, in the shape the recorder writes."""
    if not isinstance(resources, list):
        return is_plain_json(resources)
    for resource in resources:
        if type(resource) is not dict:
            return is_plain_json(resources)
        for key, value in resource.items():
            if key == "fields":
                if not is_plain_json(value):
                    return False
            elif not (value is None or type(value) is str) or type(key) is not str:
                return False
    return True


def _plain_document(document: Mapping[str, Any]) -> bool:
    rest = {k: v for k, v in document.items() if k != "resources"}
    return is_plain_json(rest) and _plain_resources(document.get("resources"))


def canonical_json(document: Mapping[str, Any], *, plain: bool | None = None) -> bytes:
    """Sorted keys, no whitespace, UTF-8 (no ASCII escaping); control characters stay escaped,
    so no value can end a line or close a string early. `plain`: the caller already knows
    whether the document is `is_plain_json` (the recorder does, for the events it builds)."""
    if plain if plain is not None else _plain_document(document):
        try:
            return orjson.dumps(document, default=_default, option=_ORJSON_OPTIONS)
        except (orjson.JSONEncodeError, TypeError):  # e.g. a lone surrogate: as before
            pass
    text = json.dumps(
        document,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_default,
    )
    return text.encode("utf-8")


def chain_hash(prev_hash: str, document: Mapping[str, Any], *, plain: bool | None = None) -> str:
    """The hash of one event: over the previous hash and the event without its own `hash`."""
    body = {k: v for k, v in document.items() if k != "hash"}
    return hashlib.sha256(prev_hash.encode("ascii") + canonical_json(body, plain=plain)).hexdigest()


_PREV_KEY = '"prevHash":"'
_RESOURCES_KEY = '"resources":'
SEQ_KEY = ',"seq":'


def hash_parts(
    document: Mapping[str, Any], resources: str, *, plain: bool | None = None
) -> tuple[str, str, str]:
    """The canonical JSON of an event written with an empty `prevHash` and `seq` 0, cut around
    those values and its resource list (`resources`, the list's canonical JSON as stored):
    `(head, middle, tail)` such that for any `prev` and `seq`

        chain_hash(prev, document with prevHash=prev and seq=seq) == sha256(
            prev || head || prev || middle || resources || ',"seq":' || str(seq) || tail)

    so the database can chain an event it did not build (`audit_append`). The cuts are found by
    key: every value before `"seq"` in key order is the hub's own or a JSON string (whose quotes
    are escaped), so no key text can appear earlier inside a value."""
    body = {k: v for k, v in document.items() if k != "hash"}
    if body.get("prevHash") != "" or body.get("seq") != 0:
        raise ValueError("hash_parts needs the event with prevHash '' and seq 0")
    if plain is None:
        plain = _plain_document(body)
    written_text = resources
    if plain and isinstance(body.get("resources"), orjson.Fragment):
        # A prebuilt list (`resources` is its text) is written as it is: the cuts around it
        # are the same with a one-character stand-in, without copying some 16 KB four times.
        body["resources"], written_text = 0, "0"
    text = canonical_json(body, plain=plain).decode("utf-8")
    cut = text.index(_PREV_KEY) + len(_PREV_KEY)
    listed = text.index(_RESOURCES_KEY, cut) + len(_RESOURCES_KEY)
    after = listed + len(written_text)
    if (
        text[listed:after] != written_text
        or text[after : after + len(SEQ_KEY) + 1] != SEQ_KEY + "0"
    ):
        raise ValueError("the resource list is not the event's own")
    return text[:cut], text[cut:listed], text[after + len(SEQ_KEY) + 1 :]


def join_roles(roles: tuple[str, ...]) -> str | None:
    return ROLE_SEPARATOR.join(roles) if roles else None


def split_roles(stored: str | None) -> list[str]:
    return stored.split(ROLE_SEPARATOR) if stored else []


def event_document(row: AuditEvent | BuiltEvent) -> dict[str, Any]:
    """An event as auditors see it (GraphQL `AuditEvent`, export line): camelCase keys."""
    return {
        "seq": row.seq,
        "at": format_instant(row.at),
        "actor": {
            "subject": row.actor_subject,
            "clientId": row.actor_client_id,
            "department": row.actor_department,
            "division": row.actor_division,
            "roles": split_roles(row.actor_roles),
        },
        "operationKind": row.operation_kind,
        "operationName": row.operation_name,
        "documentHash": row.document_hash,
        "variables": row.variables,
        "purpose": row.purpose,
        "outcome": row.outcome,
        "policyVersion": row.policy_version,
        "resources": row.resources,
        "prevHash": row.prev_hash,
        "hash": row.hash,
    }


def checkpoint_document(row: AuditCheckpoint) -> dict[str, Any]:
    return {"seq": row.seq, "hash": row.hash, "at": format_instant(row.at), "jws": row.jws}
