"""Runs the small node scripts of the schema checks (Apollo composition, GraphQL Inspector),
installing their locked npm dependencies on first use."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def node_or_skip() -> str:
    """The `node` executable; without it the check is skipped, except under CI where it fails."""
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI"):
            pytest.fail("node is required under CI for the schema checks")
        pytest.skip("node is not installed (the schema checks need node and npm)")
    return node


def ensure_installed(folder: Path) -> None:
    """`npm ci` from package-lock.json when node_modules is missing (git-ignored)."""
    if (folder / "node_modules").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is required to install the schema checks' dependencies")
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"], cwd=folder, capture_output=True, text=True,
        timeout=240, check=False,
    )
    assert done.returncode == 0, f"npm ci failed in {folder}:\n{done.stderr[-2000:]}"


def run_script(folder: Path, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    node = node_or_skip()
    ensure_installed(folder)
    return subprocess.run(
        [node, script, *args], cwd=folder, capture_output=True, text=True, timeout=120,
        check=False,
    )
