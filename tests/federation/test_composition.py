"""The hub is an Apollo Federation v2 subgraph: `mzhub schema export --federation` composes with
partner subgraphs (human resources extending Resident and Case, housing extending Household and
Division) under Apollo's own composition library, and any composition error fails the test."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hub.cli import app
from hub.schema.sdl import export_sdl
from tests.federation.node_tools import run_script

COMPOSE = Path(__file__).parent / "compose"
PARTNERS = ["partner_social_insurance.graphql", "partner_housing.graphql"]


def compose(tmp_path: Path, subgraphs: dict[str, str]) -> dict[str, object]:
    args = []
    for name, sdl in subgraphs.items():
        path = tmp_path / f"{name}.graphql"
        path.write_text(sdl, encoding="utf-8")
        args.append(f"{name}={path}")
    done = run_script(COMPOSE, "compose.mjs", *args)
    assert done.returncode in (0, 1), done.stderr
    report = json.loads(done.stdout)
    report["exit"] = done.returncode
    return report


def test_federation_export_declares_the_entities(tmp_path: Path) -> None:
    out = tmp_path / "hub.graphql"
    result = CliRunner().invoke(app, ["schema", "export", "--federation", "-o", str(out)])
    assert result.exit_code == 0, result.output
    sdl = out.read_text(encoding="utf-8")
    assert sdl == export_sdl(federation=True)
    assert 'import: ["@key"]' in sdl and "specs.apollo.dev/federation/v2" in sdl
    for entity, key in (("Resident", "id"), ("Household", "id"), ("Case", "id"),
                        ("Division", "code")):
        assert f'type {entity} ' in sdl and f'@key(fields: "{key}")' in sdl
    assert "_entities(representations: [_Any!]!): [_Entity]!" in sdl
    assert "union _Entity = Case | Division | Household | Resident" in sdl
    plain = export_sdl()
    assert "@key" not in plain and "_entities" not in plain and "_service" not in plain


def test_hub_composes_with_partner_subgraphs(tmp_path: Path) -> None:
    subgraphs = {"hub": export_sdl(federation=True)}
    for partner in PARTNERS:
        subgraphs[partner.removesuffix(".graphql")] = (COMPOSE / partner).read_text("utf-8")
    report = compose(tmp_path, subgraphs)
    assert report["errors"] == [], json.dumps(report["errors"], ensure_ascii=False, indent=2)
    assert report["exit"] == 0
    supergraph = str(report["supergraphSdl"])
    for field in ("socialInsurance", "employmentVerified", "propertyRecords", "publicRentalUnits"):
        assert field in supergraph
    assert 'join__type(graph: HUB, key: "id")' in supergraph


def test_a_conflicting_partner_fails_composition(tmp_path: Path) -> None:
    """The check can fail: a partner that redefines a hub field with another type."""
    conflicting = """
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])
      type Resident @key(fields: "id") { id: ID! name: Int }
    """
    report = compose(tmp_path, {"hub": export_sdl(federation=True), "bad": conflicting})
    assert report["exit"] == 1 and report["errors"]
    assert any("Resident.name" in str(e["message"]) for e in report["errors"])  # type: ignore[index, union-attr]
