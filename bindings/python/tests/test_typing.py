"""The hand-written type stubs: `mypy --strict` accepts a real usage file and rejects
misuse, and `stubtest` finds the stubs consistent with the compiled module."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent / "typing"

pytest.importorskip("mypy", reason="mypy is part of the test requirements")


def _mypy(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_mypy_strict_accepts_the_usage_file() -> None:
    p = _mypy(str(HERE / "usage.py"))
    assert p.returncode == 0, p.stdout + p.stderr


def test_usage_file_runs() -> None:
    p = subprocess.run([sys.executable, str(HERE / "usage.py")], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr


def test_mypy_strict_accepts_the_build_backend_and_the_smoke_test() -> None:
    pkg = Path(__file__).resolve().parents[1]
    p = _mypy(str(pkg / "build_backend" / "walogs_build.py"), str(Path(__file__).parent / "smoke_installed.py"))
    assert p.returncode == 0, p.stdout + p.stderr


def test_mypy_strict_rejects_misuse() -> None:
    bad = HERE / "bad_usage.py"
    p = _mypy(str(bad))
    assert p.returncode == 1, p.stdout + p.stderr
    expected = {
        i for i, line in enumerate(bad.read_text().splitlines(), 1) if "# E:" in line
    }
    flagged = {int(m) for m in re.findall(rf"{re.escape(bad.name)}:(\d+): error", p.stdout)}
    assert flagged == expected, p.stdout


def test_stubtest_finds_the_stubs_consistent() -> None:
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy.stubtest",
            "walogs",
            "--allowlist",
            str(HERE / "stubtest-allowlist.txt"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stdout + p.stderr
