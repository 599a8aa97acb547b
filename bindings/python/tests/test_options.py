"""Open-time options: durability policies, segment size, preallocation, read-only, and the
walogs 0.1 fixtures."""

from __future__ import annotations

import datetime
import os
import stat
import threading
from pathlib import Path

import pytest

import walogs
from conftest import copy_fixture, segments


def test_durability_enum_is_a_string() -> None:
    assert walogs.Durability.EVERY_APPEND == "every_append"
    assert str(walogs.Durability.INTERVAL) == "interval"
    assert walogs.Durability("manual") is walogs.Durability.MANUAL
    assert {d.value for d in walogs.Durability} == {"every_append", "interval", "manual", "none"}


@pytest.mark.parametrize("policy", ["manual", walogs.Durability.MANUAL, "none", walogs.Durability.NONE])
def test_manual_and_none_sync_only_when_asked(wal_dir: Path, policy: str) -> None:
    with walogs.Wal(wal_dir, durability=policy) as wal:
        assert wal.append(b"a") == 1
        assert wal.append_batch([b"b", b"c"]) == range(2, 4)
        assert wal.durable_lsn() == 0
        assert wal.read(3) == b"c"  # written, readable, not yet fdatasync'd
        assert wal.sync() == 3
        assert wal.durable_lsn() == 3
    with walogs.Wal(wal_dir) as wal:
        assert [d for _, d in wal] == [b"a", b"b", b"c"]


@pytest.mark.parametrize("interval", [3600, 3600.0, datetime.timedelta(hours=1)])
def test_interval_defers_syncs(wal_dir: Path, interval: object) -> None:
    with walogs.Wal(wal_dir, durability="interval", interval=interval) as wal:  # type: ignore[arg-type]
        wal.append(b"a")
        wal.append(b"b")
        assert wal.durable_lsn() < 2
        assert wal.sync() == 2


def test_close_right_after_an_interval_open_is_prompt(tmp_path: Path) -> None:
    """The Interval flusher checks its stop flag before it first waits: a close() right
    after the open returns at once instead of waiting out the interval."""
    for attempt in range(20):
        wal = walogs.Wal(tmp_path / f"w{attempt}", durability="interval", interval=3600)
        closer = threading.Thread(target=wal.close, daemon=True)
        closer.start()
        closer.join(60)
        assert not closer.is_alive(), "close() waited for the interval"


@pytest.mark.parametrize("zero", [0, 0.0, datetime.timedelta(0)])
def test_interval_zero_is_refused_by_the_core(wal_dir: Path, zero: object) -> None:
    """Zero is handed to the core like any interval, which refuses it as C and Go do."""
    with pytest.raises(walogs.InvalidArgumentError, match="interval") as exc:
        walogs.Wal(wal_dir, durability=walogs.Durability.INTERVAL, interval=zero)  # type: ignore[arg-type]
    assert isinstance(exc.value, ValueError)
    assert "greater than zero" in exc.value.reason
    assert not wal_dir.exists()  # refused before touching the disk


def test_every_append_is_the_default(wal_dir: Path) -> None:
    with walogs.Wal(wal_dir, durability="every_append") as wal:
        wal.append(b"a")
        assert wal.durable_lsn() == 1


def test_max_segment_size_rotates(wal_dir: Path) -> None:
    with walogs.Wal(wal_dir, max_segment_size=1000) as wal:
        for _ in range(50):
            wal.append(b"x" * 100)
        assert wal.segment_count() > 5
    sizes = [p.stat().st_size for p in segments(wal_dir)]
    assert max(sizes) <= 1000
    assert sum(sizes) == 50 * (16 + 100)


def test_max_segment_size_none_never_rotates(wal_dir: Path) -> None:
    with walogs.Wal(wal_dir, max_segment_size=None) as wal:
        for _ in range(50):
            wal.append(b"x" * 100)
        assert wal.segment_count() == 1


@pytest.mark.parametrize("preallocate", [True, False])
def test_clean_close_leaves_exactly_the_frames(wal_dir: Path, preallocate: bool) -> None:
    with walogs.Wal(wal_dir, preallocate=preallocate) as wal:
        wal.append(b"x" * 10)
        if preallocate:
            assert segments(wal_dir)[0].stat().st_size >= 1024 * 1024
    assert segments(wal_dir)[0].stat().st_size == 16 + 10


def test_read_only_of_an_empty_directory(tmp_path: Path) -> None:
    with walogs.Wal(tmp_path, read_only=True) as ro:
        assert ro.next_lsn() == 1
        assert list(ro) == []
        assert ro.recovery_report().segments == 0
    assert list(tmp_path.iterdir()) == []  # nothing created


def test_compat_multi_segment(tmp_path: Path) -> None:
    d = copy_fixture("multi-segment", tmp_path / "ms")
    with walogs.Wal(d, max_segment_size=4096) as wal:
        entries = list(wal)
        assert [lsn for lsn, _ in entries] == list(range(1, 1001))
        for lsn, data in entries:
            assert data == f"entry-{lsn};".encode() * (lsn % 7 + 1)
        assert wal.next_lsn() == 1001
        assert wal.tail_state().clean
        assert wal.segment_count() > 1
        assert wal.read(777) == b"entry-777;" * (777 % 7 + 1)


def test_compat_checkpointed(tmp_path: Path) -> None:
    d = copy_fixture("checkpointed", tmp_path / "cp")
    with walogs.Wal(d) as wal:
        lsns = [lsn for lsn, _ in wal]
        assert lsns == list(range(wal.first_lsn(), 301))
        assert wal.first_lsn() <= 151
        assert wal.next_lsn() == 301
        assert wal.read(300) == b"cp-300"


def test_compat_binary_and_v1_migration(tmp_path: Path) -> None:
    expected = [(1, b""), (2, bytes(range(256))), (3, b"\x00" * 100_000)]
    d = copy_fixture("binary", tmp_path / "bin")
    with walogs.Wal(d, read_only=True) as ro:
        assert list(ro) == expected
    v1 = copy_fixture("v1", tmp_path / "v1")
    with walogs.Wal(v1) as wal:
        assert wal.recovery_report().migrated_v1
        assert list(wal) == expected
        assert wal.append(b"four") == 4
    assert (v1 / "wal-000001.log").exists()
    assert not (v1 / "wal.log").exists()


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def _fill_and_close(wal: walogs.Wal) -> None:
    wal.append(b"x" * 100)
    wal.rotate()
    wal.append(b"y")
    wal.set_user_data(b"u")
    wal.close()


def test_created_files_are_private_by_default(tmp_path: Path) -> None:
    d = tmp_path / "parent" / "wal"
    _fill_and_close(walogs.Wal(d, max_segment_size=200))
    assert (_mode(d), _mode(d.parent)) == (0o700, 0o700)
    names = sorted(p.name for p in d.iterdir())
    assert {"walogs.lock", "walogs.user", "wal-000001.log", "wal-000002.log"} <= set(names)
    assert {p.name: _mode(p) for p in d.iterdir()} == {name: 0o600 for name in names}


@pytest.mark.parametrize(("file_mode", "dir_mode"), [(0o640, 0o750), (0o644, 0o755), (0o600, 0o700)])
def test_file_mode_is_applied_exactly(tmp_path: Path, file_mode: int, dir_mode: int) -> None:
    d = tmp_path / "parent" / "wal"
    old = os.umask(0o077)  # the umask neither narrows nor widens the mode asked for
    try:
        wal = walogs.Wal(d, file_mode=file_mode)
    finally:
        os.umask(old)
    _fill_and_close(wal)
    assert (_mode(d), _mode(d.parent)) == (dir_mode, dir_mode)
    assert {_mode(p) for p in d.iterdir()} == {file_mode}


@pytest.mark.parametrize("bad", [0o400, 0o200, 0o1600, 0o4600, 0o7777, 0])
def test_file_mode_the_core_refuses(tmp_path: Path, bad: int) -> None:
    with pytest.raises(walogs.InvalidArgumentError, match="0o600") as exc:
        walogs.Wal(tmp_path / "wal", file_mode=bad)
    assert isinstance(exc.value, ValueError)
    assert list(tmp_path.iterdir()) == []  # nothing created


def test_existing_files_keep_their_mode(wal_dir: Path) -> None:
    _fill_and_close(walogs.Wal(wal_dir, file_mode=0o640))
    with walogs.Wal(wal_dir) as wal:  # default 0o600: new files only
        wal.rotate()
        wal.append(b"z")
    modes = {p.name: _mode(p) for p in wal_dir.iterdir()}
    assert modes["wal-000001.log"] == 0o640
    assert modes["wal-000003.log"] == 0o600
