"""Shared fixtures and helpers for the walogs Python tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import walogs

REPO_ROOT = Path(__file__).resolve().parents[3]
COMPAT_DIR = Path(
    os.environ.get("WALOGS_COMPAT_DIR", REPO_ROOT.parent / "shared" / "compat" / "walogs-0.1")
)


@pytest.fixture
def wal_dir(tmp_path: Path) -> Path:
    """A WAL directory that does not exist yet (opening creates it)."""
    return tmp_path / "wal"


@pytest.fixture
def wal(wal_dir: Path) -> Iterator[walogs.Wal]:
    """A fresh WAL with default options, closed after the test."""
    w = walogs.Wal(wal_dir)
    yield w
    w.close()


def segments(d: Path) -> list[Path]:
    """The segment files of a WAL directory, oldest first."""
    return sorted(p for p in d.iterdir() if p.name.startswith("wal-") and p.name.endswith(".log"))


def copy_fixture(name: str, dest: Path) -> Path:
    """Copy a read-only walogs 0.1 fixture directory to `dest`; skip if fixtures are absent."""
    src = COMPAT_DIR / name
    if not src.is_dir():
        pytest.skip(f"walogs 0.1 fixtures not found at {src}")
    shutil.copytree(src, dest)
    return dest


def run_python(code: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter (the same one running the tests)."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )

