"""Every exception walogs raises: its class, its base classes, its attributes, its message,
and that the failed call changed nothing."""

from __future__ import annotations

import errno
import os
import struct
import zlib
from pathlib import Path

import pytest

import walogs
from conftest import run_python, segments


def test_exception_hierarchy() -> None:
    for cls in (
        walogs.WalogsOSError,
        walogs.EntryTooLargeError,
        walogs.CorruptError,
        walogs.LockedError,
        walogs.PoisonedError,
        walogs.ReadOnlyError,
        walogs.ClosedError,
        walogs.LsnOutOfRangeError,
        walogs.InvalidArgumentError,
        walogs.ForkedError,
        walogs.UnsafeFileError,
        walogs.WalogsTimeoutError,
    ):
        assert issubclass(cls, walogs.WalogsError)
    assert issubclass(walogs.WalogsOSError, OSError)
    assert issubclass(walogs.WalogsTimeoutError, TimeoutError)
    assert issubclass(walogs.EntryTooLargeError, ValueError)
    assert issubclass(walogs.InvalidArgumentError, ValueError)
    assert issubclass(walogs.LsnOutOfRangeError, IndexError)


def _size(d: Path) -> int:
    return sum(p.stat().st_size for p in segments(d))


@pytest.mark.parametrize("make", [bytes, bytearray, lambda n: memoryview(bytes(n))])
def test_oversize_entry_writes_nothing(wal: walogs.Wal, wal_dir: Path, make: object) -> None:
    wal.append(b"keep")
    before = _size(wal_dir)
    size = walogs.MAX_ENTRY_SIZE + 1
    with pytest.raises(walogs.EntryTooLargeError) as exc:
        wal.append(make(size))  # type: ignore[operator]
    assert isinstance(exc.value, ValueError)
    assert (exc.value.size, exc.value.max) == (size, walogs.MAX_ENTRY_SIZE)
    assert str(size) in str(exc.value)
    assert wal.next_lsn() == 2
    assert _size(wal_dir) == before
    assert wal.append(b"after") == 2
    wal.close()
    with walogs.Wal(wal_dir) as again:
        assert list(again) == [(1, b"keep"), (2, b"after")]


def test_exactly_max_entry_size_is_accepted(wal: walogs.Wal) -> None:
    lsn = wal.append(b"\x01" * walogs.MAX_ENTRY_SIZE)
    assert len(wal.read(lsn)) == walogs.MAX_ENTRY_SIZE


def test_oversize_entry_in_a_batch_writes_nothing(wal: walogs.Wal) -> None:
    for atomic in (True, False):
        with pytest.raises(walogs.EntryTooLargeError):
            wal.append_batch([b"ok", b"\x00" * (walogs.MAX_ENTRY_SIZE + 1)], atomic=atomic)
        assert wal.next_lsn() == 1
    assert list(wal) == []


def test_oversize_atomic_batch_writes_nothing(wal: walogs.Wal, wal_dir: Path) -> None:
    big = b"\x00" * (14 * 1024 * 1024)
    with pytest.raises(walogs.EntryTooLargeError) as exc:
        wal.append_batch([big] * 5)
    assert exc.value.max == walogs.MAX_BATCH_SIZE
    assert exc.value.size > walogs.MAX_BATCH_SIZE
    assert wal.next_lsn() == 1
    assert _size(wal_dir) <= 1024 * 1024  # only the preallocated, empty tail


def test_empty_batch_is_invalid_argument(wal: walogs.Wal) -> None:
    for atomic in (True, False):
        with pytest.raises(walogs.InvalidArgumentError) as exc:
            wal.append_batch([], atomic=atomic)
        assert isinstance(exc.value, ValueError)
        assert "at least one entry" in exc.value.reason


def test_truncate_inside_an_atomic_batch(wal_dir: Path) -> None:
    """A batch is atomic against crashes during its append; it can be cut later on request,
    also across a reopen."""
    with walogs.Wal(wal_dir) as wal:
        assert wal.append_batch([b"a", b"b", b"c"]) == range(1, 4)
        assert wal.truncate_after(1) == 2
        assert wal.next_lsn() == 2
        assert list(wal) == [(1, b"a")]
        assert wal.append(b"B") == 2
    with walogs.Wal(wal_dir) as wal:
        assert list(wal) == [(1, b"a"), (2, b"B")]


def test_lsn_out_of_range(wal: walogs.Wal) -> None:
    wal.append(b"a")
    with pytest.raises(walogs.LsnOutOfRangeError) as exc:
        wal.read(5)
    e = exc.value
    assert isinstance(e, IndexError)
    assert (e.lsn, e.first, e.next) == (5, 1, 2)
    with pytest.raises(walogs.LsnOutOfRangeError):
        wal.read(0)


def test_truncate_below_the_checkpoint_floor(wal_dir: Path) -> None:
    with walogs.Wal(wal_dir, max_segment_size=64) as wal:
        for i in range(20):
            wal.append(b"x" * 40)
        assert wal.checkpoint(10) > 0
        first = wal.first_lsn()
        with pytest.raises(walogs.LsnOutOfRangeError):
            wal.truncate_after(first - 2)


def test_closed_error_on_every_call(wal_dir: Path) -> None:
    wal = walogs.Wal(wal_dir)
    wal.append(b"a")
    it = iter(wal)
    wal.close()
    calls = [
        lambda: wal.append(b"x"),
        lambda: wal.append_batch([b"x"]),
        lambda: wal.append_batch([b"x"], atomic=False),
        wal.sync,
        wal.durable_lsn,
        lambda: iter(wal),
        lambda: wal.iter_from(1),
        lambda: wal.read(1),
        wal.rotate,
        lambda: wal.checkpoint(1),
        lambda: wal.truncate_after(0),
        lambda: wal.purge_up_to(1),
        wal.purged_up_to,
        lambda: wal.set_user_data(b"u"),
        wal.user_data,
        lambda: wal.read_range(1, 10, 100),
        lambda: wal.wait_durable(1),
        lambda: wal.wait_durable(1, timeout=0),
        lambda: wal.on_durable(1, print),
        wal.tail_state,
        wal.recovery_report,
        wal.next_lsn,
        wal.first_lsn,
        wal.segment_count,
        lambda: wal.poisoned,
        wal.__enter__,
    ]
    for call in calls:
        with pytest.raises(walogs.ClosedError, match="closed"):
            call()
    # An iterator made before the close: its next step raises, then it has ended.
    with pytest.raises(walogs.ClosedError):
        next(it)
    assert list(it) == []
    assert wal.closed
    wal.close()  # close stays idempotent; inspecting a closed WAL does not raise
    assert (wal.closed, wal.read_only, "closed" in repr(wal)) == (True, False, True)
    with pytest.raises(walogs.ClosedError):
        with wal:
            pass


def test_locked_in_the_same_process(wal: walogs.Wal, wal_dir: Path) -> None:
    with pytest.raises(walogs.LockedError) as exc:
        walogs.Wal(wal_dir)
    assert exc.value.path == str(wal_dir)
    assert exc.value.holder == str(os.getpid())
    assert str(wal_dir) in str(exc.value)
    wal.append(b"still works")


def test_locked_from_another_process(wal: walogs.Wal, wal_dir: Path) -> None:
    code = (
        "import sys, time, walogs\n"
        "t = time.monotonic()\n"
        "try:\n"
        "    walogs.Wal(sys.argv[1])\n"
        "except walogs.LockedError as e:\n"
        "    print('locked', e.holder, round(time.monotonic() - t, 3))\n"
        "    sys.exit(3)\n"
    )
    p = run_python(code, str(wal_dir), timeout=30)
    assert p.returncode == 3, p.stderr
    word, holder, secs = p.stdout.split()
    assert (word, holder) == ("locked", str(os.getpid()))
    assert float(secs) < 5  # fails at once, does not wait for the lock


def test_read_only_refuses_writes(wal_dir: Path) -> None:
    with walogs.Wal(wal_dir) as w:
        w.append(b"a")
    with walogs.Wal(wal_dir, read_only=True) as ro:
        assert ro.read_only
        assert ro.recovery_report().read_only
        for call in (
            lambda: ro.append(b"x"),
            lambda: ro.append_batch([b"x", b"y"]),
            lambda: ro.append_batch([b"x"], atomic=False),
            ro.rotate,
            lambda: ro.checkpoint(1),
            lambda: ro.truncate_after(0),
            lambda: ro.purge_up_to(1),
            lambda: ro.set_user_data(b"x"),
        ):
            with pytest.raises(walogs.ReadOnlyError):
                call()
        with pytest.raises(walogs.ReadOnlyError):
            ro.sync()  # nothing a read-only handle could make durable
        assert list(ro) == [(1, b"a")]
        # A read-only handle takes no lock: a writer can open beside it.
        with walogs.Wal(wal_dir) as w:
            w.append(b"b")


def test_os_error_keeps_errno(tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_bytes(b"not a directory")
    with pytest.raises(walogs.WalogsOSError) as exc:
        walogs.Wal(f)
    assert isinstance(exc.value, OSError)
    assert exc.value.errno == errno.ENOTDIR
    with pytest.raises(walogs.WalogsOSError) as exc:
        walogs.Wal(tmp_path / "missing", read_only=True)
    assert exc.value.errno == errno.ENOENT
    assert str(tmp_path / "missing") in exc.value.strerror


def test_os_error_names_the_file_it_happened_on(tmp_path: Path) -> None:
    """`filename` is the path the core reports for the failed operation."""
    f = tmp_path / "file"
    f.write_bytes(b"")
    with pytest.raises(walogs.WalogsOSError) as exc:
        walogs.Wal(f / "wal")
    assert (exc.value.errno, exc.value.filename) == (errno.ENOTDIR, str(f / "wal"))
    assert str(f / "wal") in exc.value.strerror


def _frame(lsn: int, data: bytes) -> bytes:
    """One walogs frame: [len u32][crc u32][lsn u64][data], CRC-32 over len ++ lsn ++ data."""
    head = struct.pack("<I", len(data))
    lsn_b = struct.pack("<Q", lsn)
    crc = zlib.crc32(head + lsn_b + data)
    return head + struct.pack("<I", crc) + lsn_b + data


def test_frame_layout_matches_what_the_tests_assume(wal_dir: Path) -> None:
    with walogs.Wal(wal_dir) as w:
        w.append(b"abc")
    assert segments(wal_dir)[0].read_bytes() == _frame(1, b"abc")


def _write_three(wal_dir: Path) -> Path:
    with walogs.Wal(wal_dir) as w:
        for data in (b"one", b"two", b"three"):
            w.append(data)
    return segments(wal_dir)[0]


def test_corrupt_mid_log_damage_names_file_and_offset(wal_dir: Path) -> None:
    seg = _write_three(wal_dir)
    raw = bytearray(seg.read_bytes())
    second = len(_frame(1, b"one"))
    raw[second + 16] ^= 0xFF  # a data byte of entry 2; entry 3 stays valid after it
    seg.write_bytes(raw)
    for read_only in (False, True):
        with pytest.raises(walogs.CorruptError) as exc:
            walogs.Wal(wal_dir, read_only=read_only)
        e = exc.value
        assert (e.kind, e.file, e.offset, e.salvageable) == ("mid_log", seg.name, second, True)
        assert (e.last_good_lsn, e.first_lsn_after, e.frames_after) == (1, 3, 1)
        assert seg.name in e.reason and str(second) in e.reason
        assert e.reason in str(e)
    # Nothing was changed by the refused open.
    assert seg.read_bytes() == raw


def _three_segments(wal_dir: Path) -> list[Path]:
    with walogs.Wal(wal_dir) as w:
        for i in range(1, 7):
            w.append(b"entry %d" % i)
            if i % 2 == 0:
                w.rotate()
    return segments(wal_dir)[:3]


def test_corrupt_completed_segment_is_not_salvageable(wal_dir: Path) -> None:
    first = _three_segments(wal_dir)[0]
    raw = bytearray(first.read_bytes())
    offset = len(_frame(1, b"entry 1"))
    raw[offset + 16] ^= 0xFF  # entry 2, the last of the first (completed) segment
    first.write_bytes(raw)
    for salvage in (False, True):
        with pytest.raises(walogs.CorruptError) as exc:
            walogs.Wal(wal_dir, salvage=salvage)
        e = exc.value
        assert (e.kind, e.file, e.offset, e.salvageable) == (
            "completed_segment",
            first.name,
            offset,
            False,
        )
        assert e.last_good_lsn == 1
    assert first.read_bytes() == raw


def test_corrupt_segment_gap(wal_dir: Path) -> None:
    middle = _three_segments(wal_dir)[1]
    middle.unlink()
    with pytest.raises(walogs.CorruptError) as exc:
        walogs.Wal(wal_dir)
    e = exc.value
    assert (e.kind, e.salvageable, e.frames_after) == ("segment_gap", False, 0)
    assert isinstance(e.reason, str) and e.reason


def test_corrupt_user_data(wal_dir: Path) -> None:
    with walogs.Wal(wal_dir) as w:
        w.append(b"a")
        w.set_user_data(b"vote")
    user = wal_dir / "walogs.user"
    user.write_bytes(b"\xee" * user.stat().st_size)  # no valid slot left
    with pytest.raises(walogs.CorruptError) as exc:
        walogs.Wal(wal_dir)
    assert (exc.value.kind, exc.value.file, exc.value.salvageable) == ("user_data", "walogs.user", False)


def test_unsafe_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    wal_dir = tmp_path / "wal"
    with walogs.Wal(wal_dir) as w:
        w.append(b"a")
    seg = segments(wal_dir)[0]
    outside = tmp_path / "outside"
    outside.write_bytes(seg.read_bytes())
    seg.unlink()
    seg.symlink_to(outside)
    for read_only in (False, True):
        with pytest.raises(walogs.UnsafeFileError) as exc:
            walogs.Wal(wal_dir, read_only=read_only)
        assert exc.value.path == str(seg)
        assert "link" in exc.value.problem
        assert str(seg) in str(exc.value)
    assert seg.is_symlink() and outside.read_bytes() == _frame(1, b"a")


def test_salvage_cuts_mid_log_damage(wal_dir: Path) -> None:
    seg = _write_three(wal_dir)
    raw = bytearray(seg.read_bytes())
    second = len(_frame(1, b"one"))
    raw[second + 16] ^= 0xFF
    seg.write_bytes(raw)
    with walogs.Wal(wal_dir, salvage=True) as w:
        r = w.recovery_report()
        assert r.salvaged is not None
        assert r.salvaged.file == seg.name
        assert r.salvaged.offset == second
        assert r.salvaged.valid_frames_cut == 1
        assert r.salvaged.first_lsn_cut == 3
        assert r.salvaged.bytes_cut == len(raw) - second
        assert list(w) == [(1, b"one")]
        assert w.next_lsn() == 2


def test_torn_tail_is_truncated_and_reported(wal_dir: Path) -> None:
    seg = _write_three(wal_dir)
    good = seg.stat().st_size
    with seg.open("ab") as f:
        f.write(_frame(4, b"torn write")[:-3])  # a partial final frame
    with walogs.Wal(wal_dir, read_only=True) as ro:
        assert ro.tail_state() == walogs.TailState(truncated_at=good)
        assert not ro.tail_state().clean
        assert ro.recovery_report().bytes_truncated == len(_frame(4, b"torn write")) - 3
    assert seg.stat().st_size > good  # read-only changed nothing
    with walogs.Wal(wal_dir) as w:
        assert w.tail_state().truncated_at == good
        assert w.recovery_report().bytes_truncated > 0
        assert [lsn for lsn, _ in w] == [1, 2, 3]
        assert w.append(b"four") == 4


_POISON_CHILD = """
import errno, resource, signal, sys, walogs
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
d = sys.argv[1]
w = walogs.Wal(d, preallocate=False)
w.append(b"a" * 100)
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, hard))
try:
    w.append(b"b" * 8000)
except walogs.WalogsOSError as e:
    print("oserror", e.errno == errno.EFBIG, w.poisoned)
try:
    w.append(b"c")
except walogs.PoisonedError as e:
    print("poisoned", "write" in e.reason)
try:
    w.sync()
except walogs.PoisonedError:
    print("sync-poisoned")
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
w.close()
with walogs.Wal(d) as again:
    print("reopened", [lsn for lsn, _ in again], again.tail_state().clean, again.append(b"d"))
"""


def test_failed_write_poisons_until_reopen(wal_dir: Path) -> None:
    p = run_python(_POISON_CHILD, str(wal_dir))
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == [
        "oserror True True",
        "poisoned True",
        "sync-poisoned",
        "reopened [1] True 2",
    ]


def test_damage_found_while_reading_an_open_wal(wal_dir: Path) -> None:
    """Bit rot in a completed segment after the open: iteration and read raise CorruptError
    naming the file and offset; the iterator then ends; the rest of the log still reads."""
    with walogs.Wal(wal_dir, max_segment_size=200) as wal:
        for i in range(20):
            wal.append(b"%03d" % i + b"." * 40)
        seg = segments(wal_dir)[1]
        raw = bytearray(seg.read_bytes())
        per_segment = 200 // len(_frame(1, b"0" * 43))  # entries in each segment
        raw[16 + 3] ^= 0xFF  # a data byte of the segment's first entry
        seg.write_bytes(raw)
        it = iter(wal)
        got = []
        with pytest.raises(walogs.CorruptError) as exc:
            for lsn, _ in it:
                got.append(lsn)
        assert got == list(range(1, per_segment + 1))
        e = exc.value
        assert (e.kind, e.file, e.offset, e.salvageable) == ("changed_while_reading", seg.name, 0, False)
        assert seg.name in e.reason and "offset 0" in e.reason
        with pytest.raises(StopIteration):
            next(it)
        with pytest.raises(walogs.CorruptError, match=seg.name):
            wal.read(per_segment + 1)
        assert wal.read(1) == b"000" + b"." * 40
        assert wal.read(20) == b"019" + b"." * 40
