"""The root types, composed from one class per area (records, audit, supervision, ...)."""

from __future__ import annotations

import strawberry

from hub.schema.audit import AuditQuery
from hub.schema.query import RecordsQuery
from hub.schema.supervision import SupervisionQuery


@strawberry.type
class Query(RecordsQuery, SupervisionQuery, AuditQuery):
    pass
