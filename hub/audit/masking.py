"""Masking of personal values inside recorded operation variables (resident values are stored
masked), by the key they sit under and by their shape wherever they appear."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from hub.domain.divisions import InvalidDivisionCode, normalize_prefix_or_code
from hub.policy.masks import MASKS, REDACTED

Masker = Callable[[str], str]


def _mask(name: str) -> Masker:
    python = MASKS[name].python
    if MASKS[name].context:  # the address mask keeps the township name, which we do not know
        return lambda value: str(python(value, None))
    return lambda value: str(python(value))


_ID, _PHONE, _NAME, _BANK = _mask("id_number"), _mask("phone"), _mask("name"), _mask("bank_account")
_ADDRESS = _mask("address")


def _redact(_value: str) -> str:
    return REDACTED


# Keys are compared lower-cased with `_`/`-` removed, so id_number, idNumber and ID-NUMBER agree.
KEY_MASKS: dict[str, Masker] = {
    **dict.fromkeys(("idnumber", "idcard", "idno", "applicantidnumber", "citizenid"), _ID),
    **dict.fromkeys(("phone", "mobile", "phonenumber", "telephone", "tel", "contactphone"), _PHONE),
    **dict.fromkeys(
        ("name", "fullname", "namecontains", "residentname", "applicantname", "headname"), _NAME
    ),
    **dict.fromkeys(("bankaccount", "accountnumber", "bankcard", "cardnumber"), _BANK),
    **dict.fromkeys(("address", "homeaddress", "residenceaddress"), _ADDRESS),
    **dict.fromkeys(
        (
            "healthcondition",
            "disabilitydetails",
            "clientsecret",
            "secret",
            "password",
            "token",
            "accesstoken",
            "refreshtoken",
            "authorization",
        ),
        _redact,
    ),
}


def _division(value: str) -> str:
    """A division code (or its 2/4/6/9-digit prefix) is not personal: auditors need to see
    which area an operation asked for. Anything else under such a key is masked by shape."""
    try:
        normalize_prefix_or_code(value)
    except InvalidDivisionCode:
        return mask_shapes(value)
    return value


# Shapes, tried in this order; digit look-arounds stop a match inside a longer number.
SHAPES: tuple[tuple[re.Pattern[str], Masker], ...] = (
    (re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)"), _ID),  # resident id number (GB 11643)
    (re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)"), _PHONE),  # mainland mobile number
    (re.compile(r"(?<!\d)\d{12,19}(?!\d)"), _BANK),  # bank card / account number
    (re.compile(r"(?<!\d)\d{4}(?:[ -]\d{4}){2,3}(?:[ -]\d{1,4})?(?!\d)"), _BANK),  # grouped
)


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def clean_text(value: str) -> str:
    """Text every engine can store and hash: no NUL (PostgreSQL refuses it), valid UTF-8."""
    return value.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")


def mask_shapes(text: str) -> str:
    """Mask id-number, mobile and account shapes anywhere in free text."""
    for pattern, masker in SHAPES:
        text = pattern.sub(lambda m, masker=masker: masker(m.group(0)), text)  # type: ignore[misc]
    return text


def _key_mask(key: str, inherited: Masker | None) -> Masker | None:
    found = KEY_MASKS.get(key)
    if found is not None:
        return found
    if "division" in key or "jurisdiction" in key:  # divisionCode, parentDivision, ...
        return _division
    return inherited


def _mask_value(value: Any, masker: Masker | None) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, Mapping):
        return {
            clean_text(str(k)): _mask_value(v, _key_mask(_key(str(k)), masker))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [_mask_value(v, masker) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no NaN or Infinity
    if isinstance(value, int | float) and masker is None:
        text = str(value)
        masked = mask_shapes(text)
        return value if masked == text else masked
    text = clean_text(value if isinstance(value, str) else str(value))
    return masker(text) if masker is not None else mask_shapes(text)


def mask_variables(variables: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A JSON-safe copy of `variables` with personal values masked, recursively."""
    if variables is None:
        return None
    return _mask_value(variables, None)  # type: ignore[no-any-return]
