"""`schema.graphql` is the exported SDL; it must equal what the code builds."""

from __future__ import annotations

from pathlib import Path

from hub.schema.sdl import export_sdl

ROOT = Path(__file__).resolve().parents[1]


def test_committed_schema_matches_the_code() -> None:
    committed = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert committed == export_sdl(), "run `make schema` and commit schema.graphql"
