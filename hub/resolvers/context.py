"""Per-operation context: principal, one serialized DB session, loaders, field gate, audit."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.principal import Principal
from hub.errors import Unauthenticated
from hub.policy.gate import FieldGate, GuardedRow
from hub.policy.grants import Grant
from hub.services import Services

log = logging.getLogger(__name__)


@dataclass
class TouchedResource:
    type_name: str
    global_id: str
    division_code: str
    fields: dict[str, Grant | str] = field(default_factory=dict)


class AuditCollector:
    """Collects, for the audit event of this operation, which rows and fields were returned:
    touched one by one (resolvers), or as resource documents the compiled path's statement
    wrote (`add_documents`)."""

    def __init__(self) -> None:
        self.resources: dict[str, TouchedResource] = {}
        # Comma-separated resource documents (canonical JSON), and whether each text lists
        # every resource once.
        self.documents: list[tuple[str, bool]] = []

    def add_documents(self, text: str | None, *, unique: bool) -> None:
        if text:
            self.documents.append((text, unique))

    def prebuilt(self) -> str | None:
        """The whole resource list as canonical JSON text when the documents alone make it
        (one text, every resource once, nothing touched otherwise); else None."""
        if len(self.documents) == 1 and self.documents[0][1] and not self.resources:
            return "[" + self.documents[0][0] + "]"
        return None

    def merge_documents(self) -> None:
        """Fold the documents into `resources`, so that a resource listed twice is one entry
        with the fields of both."""
        documents, self.documents = self.documents, []
        for text, _ in documents:
            for document in orjson.loads("[" + text + "]"):
                touched = self.row(document["type"], document["id"], document["divisionCode"])
                touched.fields.update({f["field"]: f["grant"] for f in document["fields"]})

    def row(self, type_name: str, global_id: str, division_code: str) -> TouchedResource:
        found = self.resources.get(global_id)
        if found is None:
            found = TouchedResource(type_name, global_id, division_code)
            self.resources[global_id] = found
        return found

    def touch(self, row: GuardedRow, field_name: str, grant: Grant) -> None:
        self.row(row.type_name, row.global_id, row.division_code).fields[field_name] = grant

    def read_fields(self) -> bool:
        """Whether a guarded field (personal data, at any grant) was returned."""
        return bool(self.documents) or any(r.fields for r in self.resources.values())


class HubContext:
    """Everything a resolver may use; built by the GraphQL view for each operation."""

    def __init__(
        self,
        services: Services,
        principal: Principal | None,
        *,
        purpose: str | None = None,
        request: Any = None,
    ) -> None:
        self.services = services
        self.principal = principal
        self.purpose = purpose
        self.request = request
        self.audit = AuditCollector()
        # Set once this operation's audit event is written (mutations write it in their own
        # transaction; the audit extension writes the rest).
        self.audit_recorded = False
        # The operation's variables as the client sent them (not as coerced for resolvers):
        # every audit event of the operation records these. Set by the audit extension.
        self.variables: dict[str, Any] | None = None
        self.gate = FieldGate(services.policy, principal, self.audit.touch)
        self._session: AsyncSession | None = None
        self._session_lock = asyncio.Lock()
        self._loaders: Any = None
        # Whether the transport serializes with orjson, so prebuilt JSON can be embedded (HTTP).
        self.embeds_json = False
        # The hardening checks' outcome (errors, score, budget) when the prepared read path
        # made them and handed the operation to the ordinary execution.
        self.prechecked: tuple[list[Any], Any, int] | None = None

    @functools.cached_property
    def request_id(self) -> str:
        """The id an internal error names (made only then: a random id costs a system call)."""
        return uuid.uuid4().hex

    def require_principal(self) -> Principal:
        if self.principal is None:
            raise Unauthenticated("this field needs an access token")
        return self.principal

    @asynccontextmanager
    async def db(self) -> AsyncIterator[AsyncSession]:
        """The operation's one session; concurrent resolvers take turns (no shared use)."""
        async with self._session_lock:
            if self._session is None:
                self._session = self.services.sessions()
            yield self._session

    async def close(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            # Its connection, if it holds one (taken now: a failed close lets go of it).
            held = None
            if session.in_transaction():
                with contextlib.suppress(Exception):  # e.g. a transaction a failed flush ended
                    held = await session.connection()
            try:
                await session.close()
            except Exception:
                # A resolver cancelled mid-query (a sibling's error nulled their parent) leaves
                # its connection busy with that query, and the rollback fails. The operation's
                # answer stands; the connection is invalidated (closed, its place in the pool
                # freed) instead of left checked out until the collector finds it.
                log.warning("closing the operation's session failed", exc_info=True)
                if held is not None:
                    try:
                        await held.invalidate()
                    except Exception:
                        log.warning("invalidating its connection failed", exc_info=True)

    @property
    def loaders(self) -> Any:
        if self._loaders is None:
            from hub.resolvers.loaders import Loaders

            self._loaders = Loaders(self)
        return self._loaders
