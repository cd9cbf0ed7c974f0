"""Schema contract for portals: `schema.graphql` is diffed with GraphQL Inspector.

- The code must not break the committed file: if the exported SDL differs from `schema.graphql`
  in a way that breaks clients, this fails and lists the breaking changes (update the file in
  the same commit: `mzhub schema export -o schema.graphql`, and tell the portal teams).
- Breaking changes between the base commit's `schema.graphql` and this one are printed for the
  reviewer (HUB_SCHEMA_BASE names the base; by default HEAD when the file has uncommitted
  changes, else HEAD~1). They pass: the file was updated in the same commit, deliberately.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hub.schema.sdl import export_sdl
from tests.federation.node_tools import run_script

ROOT = Path(__file__).resolve().parents[2]
INSPECTOR = Path(__file__).parent / "inspector"


def diff(old: Path, new: Path) -> dict[str, list[dict[str, str]]]:
    done = run_script(INSPECTOR, "diff.mjs", str(old), str(new))
    assert done.returncode in (0, 1), done.stderr
    return dict(json.loads(done.stdout))


def describe(changes: list[dict[str, str]]) -> str:
    return "\n".join(f"  - {c['message']}" for c in changes)


def git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)


def test_the_code_does_not_break_the_committed_schema(tmp_path: Path) -> None:
    exported = tmp_path / "exported.graphql"
    exported.write_text(export_sdl(), encoding="utf-8")
    report = diff(ROOT / "schema.graphql", exported)
    assert not report["breaking"], (
        "the code breaks clients of schema.graphql:\n" + describe(report["breaking"])
        + "\nupdate schema.graphql in the same commit (mzhub schema export -o schema.graphql)"
    )


def test_breaking_changes_since_the_base_commit_are_listed(tmp_path: Path) -> None:
    if shutil.which("git") is None or git("rev-parse", "--git-dir").returncode != 0:
        pytest.skip("not a git checkout")
    base = os.environ.get("HUB_SCHEMA_BASE")
    if base is None:
        dirty = git("diff", "--quiet", "HEAD", "--", "schema.graphql").returncode != 0
        base = "HEAD" if dirty else "HEAD~1"
    shown = git("show", f"{base}:schema.graphql")
    if shown.returncode != 0:
        pytest.skip(f"no schema.graphql at {base}: nothing to compare with")
    old = tmp_path / "base.graphql"
    old.write_text(shown.stdout, encoding="utf-8")
    report = diff(old, ROOT / "schema.graphql")
    lines = [f"schema.graphql against {base}: {len(report['breaking'])} breaking, "
             f"{len(report['dangerous'])} dangerous, {len(report['safe'])} safe change(s)"]
    if report["breaking"]:
        lines.append("BREAKING (portal teams must be told):\n" + describe(report["breaking"]))
    if report["dangerous"]:
        lines.append("dangerous:\n" + describe(report["dangerous"]))
    sys.__stderr__.write("\n".join(lines) + "\n")


def test_the_check_detects_a_breaking_change(tmp_path: Path) -> None:
    """The inspector must see what breaks a portal: a removed field, a changed type."""
    committed = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    broken = committed.replace("  caseNumber: String!\n", "  caseNumber: Int!\n", 1)
    broken = broken.replace("  dueDate: Date\n", "", 1)
    assert broken != committed
    changed = tmp_path / "changed.graphql"
    changed.write_text(broken, encoding="utf-8")
    report = diff(ROOT / "schema.graphql", changed)
    messages = describe(report["breaking"])
    assert "caseNumber" in messages and "dueDate" in messages
