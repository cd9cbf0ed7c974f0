"""Reading an OAuth request: its form, the client's credentials, and RFC 6749 §5.2 errors."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import parse_qsl, unquote_plus

from starlette.requests import Request
from starlette.responses import JSONResponse

FORM_TYPE = "application/x-www-form-urlencoded"
MAX_BODY_BYTES = 16 * 1024


class OAuthError(Exception):
    """An RFC 6749 §5.2 error response (`error`, `error_description`)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status

    def response(self) -> JSONResponse:
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        if self.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="mzhub", error="invalid_client"'
        body = {"error": self.error, "error_description": self.description}
        return JSONResponse(body, status_code=self.status, headers=headers)


async def read_form(request: Request) -> dict[str, str]:
    """The urlencoded body as a dict; a repeated parameter is an error (RFC 6749 §3.2)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != FORM_TYPE:
        raise OAuthError("invalid_request", f"the body must be {FORM_TYPE}")
    body = bytearray()
    async for chunk in request.stream():  # read at most MAX_BODY_BYTES, whatever is declared
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise OAuthError("invalid_request", "request body too large")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError):
        raise OAuthError("invalid_request", "the body is not valid form data") from None
    result: dict[str, str] = {}
    for key, value in pairs:
        if key in result:
            raise OAuthError("invalid_request", f"parameter {key} given more than once")
        result[key] = value
    return result


def client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str]:
    """(client_id, secret) from HTTP Basic or from the form; exactly one method may be used."""
    header = request.headers.get("authorization")
    in_form = "client_secret" in form
    if header is not None and in_form:
        raise OAuthError("invalid_request", "use one client authentication method, not two")
    if header is not None:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic" or not encoded.strip():
            raise OAuthError("invalid_client", "client authentication must be HTTP Basic", 401)
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError("invalid_client", "malformed Basic credentials", 401) from None
        raw_id, sep, raw_secret = decoded.partition(":")
        if not sep:
            raise OAuthError("invalid_client", "malformed Basic credentials", 401)
        # RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding.
        client_id, secret = unquote_plus(raw_id), unquote_plus(raw_secret)
        if form.get("client_id") not in (None, client_id):
            raise OAuthError("invalid_request", "client_id differs from the Basic credentials")
        return client_id, secret
    if in_form:
        client_id = form.get("client_id", "")
        if not client_id:
            raise OAuthError("invalid_request", "client_id is required with client_secret")
        return client_id, form["client_secret"]
    raise OAuthError("invalid_client", "client authentication is required", 401)
