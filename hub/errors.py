"""Typed errors of the hub, each mapped to one GraphQL `extensions.code` in one place."""

from __future__ import annotations

from typing import Any


class HubError(Exception):
    """Base of every error a client may see; `code` is the `extensions.code` value."""

    code = "INTERNAL"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        # graphql-core copies `extensions` of the original error into the response.
        self.extensions: dict[str, Any] = {"code": self.code, **extensions}


class Unauthenticated(HubError):
    code = "UNAUTHENTICATED"


class Forbidden(HubError):
    code = "FORBIDDEN"


class ForbiddenField(HubError):
    code = "FORBIDDEN_FIELD"


class NotFound(HubError):
    code = "NOT_FOUND"


class BadUserInput(HubError):
    code = "BAD_USER_INPUT"

    def __init__(self, message: str, argument: str | None = None, **extensions: Any) -> None:
        if argument is not None:
            extensions["argument"] = argument
        super().__init__(message, **extensions)


class Conflict(HubError):
    code = "CONFLICT"


class QueryTooComplex(HubError):
    code = "QUERY_TOO_COMPLEX"


class RateLimited(HubError):
    code = "RATE_LIMITED"


class ConfigError(Exception):
    """Start-up configuration is wrong; the message is one line an operator can act on."""
