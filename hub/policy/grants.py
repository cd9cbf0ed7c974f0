"""The three answers the field policy can give for a (type, field)."""

from __future__ import annotations

import enum


class Grant(enum.StrEnum):
    """FULL returns the value, MASKED its masked form, DENIED null plus `FORBIDDEN_FIELD`."""

    FULL = "FULL"
    MASKED = "MASKED"
    DENIED = "DENIED"
