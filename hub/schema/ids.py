"""Opaque global IDs (`base64url("Type:pk")`) and keyset cursors."""

from __future__ import annotations

import base64
import binascii

from hub.errors import BadUserInput

NODE_TYPES = frozenset({"Resident", "Household", "Case", "ApprovalTask", "Entitlement", "Payment"})


def _b64encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _b64decode(value: str) -> str:
    padded = value + "=" * (-len(value) % 4)
    return base64.urlsafe_b64decode(padded.encode()).decode()


def to_global_id(type_name: str, pk: int | str) -> str:
    return _b64encode(f"{type_name}:{pk}")


def from_global_id(value: str, argument: str = "id") -> tuple[str, str]:
    """Split a global ID into (type, key); anything malformed is BAD_USER_INPUT."""
    try:
        type_name, _, key = _b64decode(value).partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadUserInput(f"`{argument}` is not a valid global ID", argument=argument) from None
    if type_name not in NODE_TYPES or not key:
        raise BadUserInput(f"`{argument}` is not a valid global ID", argument=argument)
    return type_name, key


def int_pk_of(value: str, expected_type: str, argument: str = "id") -> int:
    """The integer key of a global ID that must be of `expected_type`."""
    type_name, key = from_global_id(value, argument)
    if type_name != expected_type or not key.isdigit():
        raise BadUserInput(f"`{argument}` is not a {expected_type} ID", argument=argument)
    return int(key)


def encode_cursor(pk: int) -> str:
    return _b64encode(f"cursor:{pk}")


def decode_cursor(value: str, argument: str = "after") -> int:
    try:
        prefix, _, key = _b64decode(value).partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadUserInput(f"`{argument}` is not a valid cursor", argument=argument) from None
    if prefix != "cursor" or not key.isdigit():
        raise BadUserInput(f"`{argument}` is not a valid cursor", argument=argument)
    return int(key)
