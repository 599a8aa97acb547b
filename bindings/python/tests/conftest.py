"""Shared fixtures and helpers for the walogs Python tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import walogs

REPO_ROOT = Path(__file__).resolve().parents[3]
COMPAT_DIR = Path(
    os.environ.get("WALOGS_COMPAT_DIR", REPO_ROOT / "tests" / "fixtures" / "walogs-0.1")
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
    for p in [dest, *dest.rglob("*")]:  # the fixtures may be read-only; the copies are not
        p.chmod(p.stat().st_mode | 0o200)
    return dest


def run_python(code: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter (the same one running the tests)."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )



def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With WALOGS_NO_SKIP=1 (scripts/test-python.sh), a skipped test fails the run: the test
    command installs everything the tests need, so a skip means something is missing."""
    if os.environ.get("WALOGS_NO_SKIP") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped and session.exitstatus == 0:
        for report in skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
            print(f"\nWALOGS_NO_SKIP: {report.nodeid} was skipped: {reason}", file=sys.stderr)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
