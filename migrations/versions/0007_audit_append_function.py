"""audit_append: the database extends the audit chain, for every process at once

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 20:45:00

Every process's group commit used to append after the head it remembered and, when another
process had appended first, take the chain lock and read the head in a transaction of its own
(five round trips, the lock held across them). With several processes (replicas, workers) that
fallback was the usual case. `audit_append` takes the lock, reads the head and appends a batch
in one statement: the process sends each event's canonical JSON in three parts around its
`prevHash`, its resource list and its `seq`, and the database computes every hash the way the verifier does
(decision 0065). PostgreSQL only: SQLite has one writer process.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# hub.audit.store.CHAIN_LOCK_KEY, as it was when this migration was written.
CHAIN_LOCK_KEY = 0x6D7A687562417564

APPEND = f"""
CREATE OR REPLACE FUNCTION audit_append(
    p_at timestamptz[],
    p_actor_subject text[],
    p_actor_client_id text[],
    p_actor_department text[],
    p_actor_division text[],
    p_actor_roles text[],
    p_operation_kind text[],
    p_operation_name text[],
    p_document_hash text[],
    p_variables json[],
    p_purpose text[],
    p_outcome text[],
    p_policy_version text[],
    p_resources text[],
    p_resource_divisions text[],
    p_head text[],
    p_middle text[],
    p_tail text[]
) RETURNS TABLE (
    out_seq bigint,
    out_prev_hash text,
    out_hash text,
    out_checkpoint_seq bigint,
    out_checkpoint_at timestamptz
)
LANGUAGE plpgsql VOLATILE AS $$
-- Appends the events in order after the chain's head, each hash = sha256(prevHash || head ||
-- prevHash || middle || resources || ',"seq":' || seq || tail): the event's canonical JSON
-- with its prevHash and seq put back. Also returns the newest checkpoint as the lock holder
-- saw it, for the caller's checkpoint policy.
DECLARE
    head_seq bigint;
    head_hash text;
    newest_seq bigint;
    newest_at timestamptz;
BEGIN
    PERFORM pg_advisory_xact_lock({CHAIN_LOCK_KEY});
    -- Each statement of this (volatile) function sees what committed before it began: the
    -- head the previous lock holder wrote.
    SELECT e.seq, e.hash INTO head_seq, head_hash
      FROM audit_events e ORDER BY e.seq DESC LIMIT 1;
    IF head_seq IS NULL THEN
        head_seq := 0;
        head_hash := repeat('0', 64);
    END IF;
    SELECT c.seq, c.at INTO newest_seq, newest_at
      FROM audit_checkpoints c ORDER BY c.seq DESC LIMIT 1;
    FOR i IN 1 .. coalesce(array_length(p_at, 1), 0) LOOP
        out_seq := head_seq + 1;
        out_prev_hash := head_hash;
        out_hash := encode(sha256(convert_to(
            head_hash || p_head[i] || head_hash || p_middle[i] || p_resources[i] || ',"seq":'
            || out_seq::text || p_tail[i],
            'UTF8')), 'hex');
        INSERT INTO audit_events (
            seq, at, actor_subject, actor_client_id, actor_department, actor_division,
            actor_roles, operation_kind, operation_name, document_hash, variables, purpose,
            outcome, policy_version, resources, resource_divisions, prev_hash, hash
        ) VALUES (
            out_seq, p_at[i], p_actor_subject[i], p_actor_client_id[i], p_actor_department[i],
            p_actor_division[i], p_actor_roles[i], p_operation_kind[i], p_operation_name[i],
            p_document_hash[i], p_variables[i], p_purpose[i], p_outcome[i],
            p_policy_version[i], p_resources[i], p_resource_divisions[i], out_prev_hash,
            out_hash
        );
        out_checkpoint_seq := newest_seq;
        out_checkpoint_at := newest_at;
        head_seq := out_seq;
        head_hash := out_hash;
        RETURN NEXT;
    END LOOP;
END
$$
"""  # noqa: S608 - no value but this file's lock key


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(APPEND)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "DROP FUNCTION IF EXISTS audit_append(timestamptz[], text[], text[], text[], text[],"
        " text[], text[], text[], text[], json[], text[], text[], text[], text[], text[], text[],"
        " text[], text[])"
    )
