"""The audit log: one recorder, a SHA-256 hash chain, signed checkpoints, export and verify."""

from hub.audit.checkpoints import CheckpointPolicy, latest_checkpoint, make_checkpoint
from hub.audit.events import (
    Actor,
    AuditEntry,
    FieldGrant,
    OperationKind,
    Outcome,
    ResourceTouch,
)
from hub.audit.recorder import mask_variables, record, record_standalone
from hub.audit.verify import VerifyResult, verify_database, verify_rows

__all__ = [
    "Actor",
    "AuditEntry",
    "CheckpointPolicy",
    "FieldGrant",
    "OperationKind",
    "Outcome",
    "ResourceTouch",
    "VerifyResult",
    "latest_checkpoint",
    "make_checkpoint",
    "mask_variables",
    "record",
    "record_standalone",
    "verify_database",
    "verify_rows",
]
