"""Crash safety from Python: a child appending (from one or many threads) is SIGKILLed
mid-append, and every LSN it acknowledged must come back byte for byte."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import walogs
from crash_child import payload

CHILD = Path(__file__).with_name("crash_child.py")


def _run_and_kill(
    wal_dir: Path, mode: str, threads: int, min_acks: int, first_id: int = 0
) -> list[list[str]]:
    """Start the child, let it acknowledge at least `min_acks` appends, SIGKILL it, and
    return every acknowledgement line it managed to print."""
    child = subprocess.Popen(
        [sys.executable, str(CHILD), str(wal_dir), mode, str(threads), str(first_id)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    lines: list[str] = []
    try:
        assert child.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 60
        while len(lines) < min_acks and time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            lines.append(line)
        assert len(lines) >= min_acks, child.stderr.read() if child.stderr else ""
    finally:
        os.kill(child.pid, signal.SIGKILL)
        # Acknowledgements printed before the kill are still in the pipe: read them all.
        rest, _ = child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL
    lines += rest.splitlines(keepends=True)
    # A line cut by the kill has no newline: it was never fully acknowledged.
    return [ln.split() for ln in lines if ln.endswith("\n")]


def _check_recovered(wal_dir: Path) -> dict[int, bytes]:
    with walogs.Wal(wal_dir) as wal:
        entries = dict(wal)
        assert sorted(entries) == list(range(1, wal.next_lsn()))
        return entries


@pytest.mark.parametrize("threads", [1, 4])
def test_sigkill_mid_append_keeps_every_acknowledged_entry(tmp_path: Path, threads: int) -> None:
    wal_dir = tmp_path / "wal"
    acks: list[list[str]] = []
    tails = []
    for round_ in range(3):  # each round reopens (recovers) what the last kill left
        acks += _run_and_kill(wal_dir, "single", threads, min_acks=120, first_id=round_ * 100)
        with walogs.Wal(wal_dir, read_only=True) as ro:
            tails.append(ro.tail_state())
    entries = _check_recovered(wal_dir)
    for word, lsn, t, seq in acks:
        assert word == "ack"
        assert entries.get(int(lsn)) == payload(int(t), int(seq)), f"acknowledged LSN {lsn} lost"
    # Anything beyond the acknowledgements is a whole, correct entry (an in-flight append).
    for lsn, data in entries.items():
        t, seq, part = (int(x) for x in data.split(b"|", 1)[0].split(b":"))
        assert data == payload(t, seq, part)
    assert len(entries) >= len(acks)
    assert len({tuple(a[2:]) for a in acks}) == len(acks)
    print(f"\n{len(acks)} acknowledged, {len(entries)} recovered, tails after kills: {tails}")


def test_sigkill_mid_batch_keeps_batches_whole(tmp_path: Path) -> None:
    wal_dir = tmp_path / "wal"
    acks = _run_and_kill(wal_dir, "batch", 3, min_acks=150)
    entries = _check_recovered(wal_dir)
    for word, first, last, t, seq in acks:
        assert word == "batch"
        for k, lsn in enumerate(range(int(first), int(last) + 1)):
            assert entries.get(lsn) == payload(int(t), int(seq), k), f"acknowledged LSN {lsn} lost"
    # All or nothing: every batch present is present in full.
    batches: dict[tuple[int, int], list[int]] = {}
    for data in entries.values():
        t, seq, part = (int(x) for x in data.split(b"|", 1)[0].split(b":"))
        assert data == payload(t, seq, part)
        batches.setdefault((t, seq), []).append(part)
    for (t, seq), parts in batches.items():
        assert sorted(parts) == list(range(seq % 8 + 1)), f"batch {t}/{seq} is partial"


def test_lock_is_released_when_the_holder_is_killed(tmp_path: Path) -> None:
    wal_dir = tmp_path / "wal"
    child = subprocess.Popen(
        [sys.executable, str(CHILD), str(wal_dir), "single", "1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    try:
        assert child.stdout.readline().strip() == "ready"
        with pytest.raises(walogs.LockedError) as exc:
            walogs.Wal(wal_dir)
        assert exc.value.holder == str(child.pid)
    finally:
        child.kill()
        child.communicate(timeout=30)
    with walogs.Wal(wal_dir) as wal:
        assert wal.next_lsn() >= 1
