"""A request body reads as the standard library reads it (orjson where it gives the same)."""

from __future__ import annotations

import json
import math

import pytest

from hub.hardening.transport import parse_body

SAME = [
    b'{"query":"{ me { subject } }","variables":{"division":"640122001000"}}',
    b'{"a":[1,-2,3.5,1e-7,0.1,1e308,-0.0,true,false,null],"b":{"c":{}}}',
    b'{"max":9223372036854775807,"min":-9223372036854775808,"n":123456789012345678}',
    b'{"u64":18446744073709551615,"big":123456789012345678901234567890}',
    b'{"digits":"12345678901234567890","nested":[[[[["x"]]]]]}',
    '{"name":"张三","emoji":"📄","escaped":"\\u00e9\\n\\t"}'.encode(),
    b'{"a":1,"a":2}',
    b'{"a": NaN, "b": Infinity, "c": -Infinity}',
    b'{"lone":"\\ud800"}',
    b'{"huge":1e400}',
    '{"utf16":"yes"}'.encode("utf-16"),
    b"[1,2,3]",
    b'"text"',
]


def same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        assert isinstance(b, dict)
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        assert isinstance(b, list)
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)  # type: ignore[arg-type]
    return a == b


@pytest.mark.parametrize("body", SAME)
def test_a_body_reads_as_the_standard_library_reads_it(body: bytes) -> None:
    assert same(parse_body(body), json.loads(body))


def test_integers_past_64_bits_stay_exact() -> None:
    assert parse_body(b'{"n":123456789012345678901234567890}') == {
        "n": 123456789012345678901234567890
    }


@pytest.mark.parametrize("body", [b"", b"{", b'{"a":}', b"\xff\xfe\x00", b"{'a':1}"])
def test_what_is_not_json_fails_as_with_the_standard_library(body: bytes) -> None:
    with pytest.raises(ValueError):
        json.loads(body)
    with pytest.raises(ValueError):
        parse_body(body)
