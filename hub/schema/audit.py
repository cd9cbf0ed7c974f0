"""The audit log for auditors: `auditEvents`, `auditCheckpoint` and a resumable stream."""

from __future__ import annotations

import enum
from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from hub.audit.canonical import event_document
from hub.db.models import AuditCheckpoint as CheckpointRow
from hub.db.models import AuditEvent as EventRow
from hub.resolvers import audit_reads, records
from hub.schema.common import Connection, Edge, PageInfo, page_args
from hub.schema.enums import Department, FieldGrant
from hub.schema.ids import encode_cursor


@strawberry.enum
class AuditOutcome(enum.Enum):
    OK = "OK"
    DENIED = "DENIED"
    ERROR = "ERROR"


@strawberry.type
class AuditActor:
    subject: str | None
    client_id: str | None
    department: str | None
    division: str | None
    roles: list[str]


@strawberry.type
class AuditFieldGrant:
    field: str
    grant: FieldGrant


@strawberry.type(description="A resident, case or payment an operation returned or changed.")
class AuditResource:
    type: str
    id: str
    division_code: str | None
    fields: list[AuditFieldGrant]


@strawberry.type(description="One event of the hash-chained audit log.")
class AuditEvent:
    row: strawberry.Private[EventRow]

    @strawberry.field
    def seq(self) -> int:
        return self.row.seq

    @strawberry.field
    def at(self) -> datetime:
        return self.row.at

    @strawberry.field
    def actor(self) -> AuditActor:
        a = event_document(self.row)["actor"]
        return AuditActor(subject=a["subject"], client_id=a["clientId"],
                          department=a["department"], division=a["division"], roles=a["roles"])

    @strawberry.field(description="QUERY, MUTATION, SUBSCRIPTION_START, TOKEN_ISSUED, ...")
    def operation_kind(self) -> str:
        return self.row.operation_kind

    @strawberry.field(description="The GraphQL operation name; null when anonymous.")
    def operation_name(self) -> str | None:
        return self.row.operation_name

    @strawberry.field(description="SHA-256 of the GraphQL document.")
    def document_hash(self) -> str | None:
        return self.row.document_hash

    @strawberry.field(description="The operation's variables, personal values masked.")
    def variables(self) -> JSON | None:
        return self.row.variables  # type: ignore[return-value]  # JSON is any JSON value

    @strawberry.field
    def purpose(self) -> str | None:
        return self.row.purpose

    @strawberry.field
    def outcome(self) -> AuditOutcome:
        return AuditOutcome(self.row.outcome)

    @strawberry.field
    def policy_version(self) -> str | None:
        return self.row.policy_version

    @strawberry.field
    def resources(self) -> list[AuditResource]:
        return [
            AuditResource(
                type=r["type"], id=r["id"], division_code=r.get("divisionCode"),
                fields=[AuditFieldGrant(field=f["field"], grant=FieldGrant(f["grant"]))
                        for f in r.get("fields", [])],
            )
            for r in self.row.resources or []
        ]

    @strawberry.field
    def prev_hash(self) -> str:
        return self.row.prev_hash

    @strawberry.field
    def hash(self) -> str:
        return self.row.hash


@strawberry.type(description="A signed checkpoint of the chain head (JWS with the hub's key).")
class AuditCheckpoint:
    row: strawberry.Private[CheckpointRow]

    @strawberry.field
    def seq(self) -> int:
        return self.row.seq

    @strawberry.field
    def hash(self) -> str:
        return self.row.hash

    @strawberry.field
    def at(self) -> datetime:
        return self.row.at

    @strawberry.field(description="Compact JWS; verify with /.well-known/jwks.json (kid).")
    def jws(self) -> str:
        return self.row.jws


@strawberry.input
class AuditEventFilter:
    department: Department | None = None
    subject: str | None = None
    operation_name: str | None = None
    outcome: AuditOutcome | None = None
    resident_id: strawberry.ID | None = None
    from_time: datetime | None = None
    to_time: datetime | None = None


@strawberry.type
class AuditQuery:
    @strawberry.field(description="Events of your jurisdiction (role auditor, scope audit:read).")
    async def audit_events(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: AuditEventFilter | None = None,
    ) -> Connection[AuditEvent]:
        ctx = info.context
        size, cursor = page_args(first, after)
        stmt = audit_reads.events_statement(ctx, filter)
        page = await records.fetch_page(ctx, stmt, EventRow.seq, size, cursor)
        edges = [Edge(cursor=encode_cursor(r.seq), node=AuditEvent(row=r)) for r in page.rows]
        return Connection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next, has_previous_page=False,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            count=lambda: records.count(ctx, page.count_stmt),
        )

    @strawberry.field(description="The latest signed checkpoint, made first if events are newer.")
    async def audit_checkpoint(self, info: Info) -> AuditCheckpoint | None:
        row = await audit_reads.checkpoint(info.context)
        return AuditCheckpoint(row=row) if row is not None else None


@strawberry.type
class AuditSubscriptions:
    @strawberry.subscription(
        description="Events after `afterSeq` in your jurisdiction, in order, without gaps; "
        "resume by passing the last seq you stored."
    )
    async def audit_events(
        self, info: Info, after_seq: int = 0
    ) -> AsyncGenerator[AuditEvent, None]:
        async for row in audit_reads.stream(info.context, after_seq):
            yield AuditEvent(row=row)
