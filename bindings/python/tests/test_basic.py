"""Every method of walogs.Wal on the happy path: appends, reads, iteration, segments."""

from __future__ import annotations

import array
import os
from pathlib import Path

import pytest

import walogs
from conftest import segments


def test_append_returns_dense_lsns_and_read_returns_bytes(wal: walogs.Wal) -> None:
    assert wal.next_lsn() == 1
    assert wal.first_lsn() == 1
    lsns = [wal.append(f"entry {i}".encode()) for i in range(10)]
    assert lsns == list(range(1, 11))
    assert wal.next_lsn() == 11
    for i, lsn in enumerate(lsns):
        data = wal.read(lsn)
        assert type(data) is bytes
        assert data == f"entry {i}".encode()


def test_appends_are_durable_on_return(wal: walogs.Wal) -> None:
    assert wal.durable_lsn() == 0
    lsn = wal.append(b"x")
    assert wal.durable_lsn() == lsn
    assert wal.sync() == lsn


def test_empty_and_binary_entries(wal: walogs.Wal) -> None:
    blobs = [b"", bytes(range(256)), b"\x00" * 100_000]
    lsns = [wal.append(b) for b in blobs]
    assert [wal.read(lsn) for lsn in lsns] == blobs
    assert list(wal) == list(zip(lsns, blobs))


@pytest.mark.parametrize(
    "make",
    [
        lambda b: b,
        bytearray,
        memoryview,
        lambda b: memoryview(bytearray(b)),
        lambda b: memoryview(b"--" + b + b"--")[2:-2],
        lambda b: array.array("B", b),
    ],
    ids=["bytes", "bytearray", "memoryview", "memoryview-rw", "memoryview-slice", "array"],
)
def test_bytes_like_inputs(wal: walogs.Wal, make: object) -> None:
    payload = b"hello, world"
    lsn = wal.append(make(payload))  # type: ignore[operator]
    assert wal.read(lsn) == payload


def test_non_contiguous_and_typed_buffers_are_taken_as_raw_bytes(wal: walogs.Wal) -> None:
    strided = memoryview(b"abcdefgh")[::2]
    assert wal.read(wal.append(strided)) == b"aceg"
    ints = array.array("i", [1, 2, 3])
    assert wal.read(wal.append(ints)) == ints.tobytes()


def test_bytearray_mutated_after_append_does_not_change_the_entry(wal: walogs.Wal) -> None:
    buf = bytearray(b"before")
    lsn = wal.append(buf)
    buf[:] = b"after!"
    assert wal.read(lsn) == b"before"


def test_iteration_yields_lsn_and_bytes_in_order(wal: walogs.Wal) -> None:
    for i in range(100):
        wal.append(i.to_bytes(4, "little"))
    seen = [(lsn, int.from_bytes(d, "little")) for lsn, d in wal]
    assert seen == [(i + 1, i) for i in range(100)]


def test_iterator_is_a_snapshot(wal: walogs.Wal) -> None:
    wal.append(b"a")
    it = iter(wal)
    assert it.next_lsn == 1
    wal.append(b"b")
    assert list(it) == [(1, b"a")]
    assert list(wal) == [(1, b"a"), (2, b"b")]
    assert iter(it) is it
    assert "WalIterator" in repr(it)


def test_iter_from(wal: walogs.Wal) -> None:
    for i in range(20):
        wal.append(bytes([i]))
    assert [lsn for lsn, _ in wal.iter_from(15)] == [15, 16, 17, 18, 19, 20]
    assert list(wal.iter_from(21)) == []
    with pytest.raises(walogs.LsnOutOfRangeError):
        wal.iter_from(22)
    with pytest.raises(walogs.LsnOutOfRangeError):
        wal.iter_from(0)


def test_atomic_batch_returns_a_range(wal: walogs.Wal) -> None:
    wal.append(b"first")
    r = wal.append_batch([b"a", bytearray(b"b"), memoryview(b"c")])
    assert r == range(2, 5)
    assert len(r) == 3
    assert [wal.read(lsn) for lsn in r] == [b"a", b"b", b"c"]
    assert wal.durable_lsn() == 4


def test_batch_accepts_any_iterable(wal: walogs.Wal) -> None:
    r = wal.append_batch(f"g{i}".encode() for i in range(5))
    assert r == range(1, 6)
    r2 = wal.append_batch((b"t1", b"t2"), atomic=False)
    assert r2 == range(6, 8)
    assert [d for _, d in wal] == [b"g0", b"g1", b"g2", b"g3", b"g4", b"t1", b"t2"]


def test_non_atomic_batch_may_exceed_the_batch_limit(wal: walogs.Wal) -> None:
    big = b"\xab" * (15 * 1024 * 1024)
    entries = [big] * 5  # 75 MiB: over MAX_BATCH_SIZE
    assert 5 * len(big) > walogs.MAX_BATCH_SIZE
    r = wal.append_batch(entries, atomic=False)
    assert r == range(1, 6)
    assert wal.read(3) == big
    assert wal.read(5) == big


def test_rotate_and_segment_count(wal: walogs.Wal, wal_dir: Path) -> None:
    assert wal.segment_count() == 1
    wal.rotate()  # empty active segment: no-op
    assert wal.segment_count() == 1
    wal.append(b"a")
    wal.rotate()
    assert wal.segment_count() == 2
    assert len(segments(wal_dir)) == 2
    wal.append(b"b")
    assert list(wal) == [(1, b"a"), (2, b"b")]


def test_checkpoint_deletes_completed_segments(wal_dir: Path) -> None:
    with walogs.Wal(wal_dir, max_segment_size=200) as wal:
        for i in range(60):
            wal.append(b"%05d" % i + b"." * 30)
        n = wal.segment_count()
        assert n > 5
        assert wal.checkpoint(0) == 0
        deleted = wal.checkpoint(30)
        assert deleted >= 2
        assert wal.segment_count() == n - deleted
        first = wal.first_lsn()
        assert 1 < first <= 31
        assert len(segments(wal_dir)) == n - deleted
        with pytest.raises(walogs.LsnOutOfRangeError) as exc:
            wal.read(1)
        assert exc.value.first == first
        assert [lsn for lsn, _ in wal][0] == first
        # Never the active segment, even when everything is applied.
        wal.checkpoint(10**6)
        assert wal.segment_count() >= 1
        assert wal.read(60) == b"00059" + b"." * 30
    # LSNs are never handed out twice, also after a full checkpoint and reopen.
    with walogs.Wal(wal_dir) as wal:
        assert wal.next_lsn() == 61
        assert wal.append(b"next") == 61


def test_truncate_after(wal: walogs.Wal) -> None:
    for i in range(10):
        wal.append(bytes([i]))
    assert wal.truncate_after(6) == 4
    assert wal.next_lsn() == 7
    assert wal.durable_lsn() <= 6
    with pytest.raises(walogs.LsnOutOfRangeError):
        wal.read(7)
    assert wal.truncate_after(100) == 0
    assert wal.append(b"new") == 7
    assert [d for _, d in wal] == [bytes([i]) for i in range(6)] + [b"new"]


def test_truncate_after_is_durable_across_reopen(wal_dir: Path) -> None:
    with walogs.Wal(wal_dir, max_segment_size=100) as wal:
        for i in range(30):
            wal.append(b"e%03d" % i + b"_" * 20)
        assert wal.segment_count() > 3
        assert wal.truncate_after(5) == 25
    with walogs.Wal(wal_dir) as wal:
        assert wal.next_lsn() == 6
        assert [lsn for lsn, _ in wal] == [1, 2, 3, 4, 5]


def test_reopen_sees_everything(wal_dir: Path) -> None:
    with walogs.Wal(wal_dir) as wal:
        wal.append(b"one")
        wal.append_batch([b"two", b"three"])
    with walogs.Wal(wal_dir) as wal:
        assert list(wal) == [(1, b"one"), (2, b"two"), (3, b"three")]
        assert wal.next_lsn() == 4
        assert wal.tail_state() == walogs.TailState()
        assert wal.tail_state().clean


def test_recovery_report_of_a_fresh_wal(wal: walogs.Wal) -> None:
    r = wal.recovery_report()
    assert isinstance(r, walogs.RecoveryReport)
    assert r.tail.clean
    assert r.bytes_truncated == 0
    assert r.salvaged is None
    assert r.migrated_v1 is False
    assert r.segments == 1
    assert (r.first_lsn, r.next_lsn) == (1, 1)
    assert r.read_only is False


@pytest.mark.parametrize(
    "as_path",
    [str, Path, os.fsencode, lambda p: type("P", (), {"__fspath__": lambda self: str(p)})()],
    ids=["str", "pathlib", "bytes", "PathLike"],
)
def test_paths(tmp_path: Path, as_path: object) -> None:
    d = tmp_path / "nested" / "dirs" / "wal"
    with walogs.Wal(as_path(d)) as wal:  # type: ignore[operator]
        wal.append(b"x")
        assert os.fspath(wal.path) == str(d)
    assert len(segments(d)) == 1


def test_context_manager_closes(wal_dir: Path) -> None:
    with walogs.Wal(wal_dir) as wal:
        assert not wal.closed
        wal.append(b"a")
    assert wal.closed
    with pytest.raises(walogs.ClosedError):
        wal.append(b"b")


def test_context_manager_closes_and_propagates_exceptions(wal_dir: Path) -> None:
    with pytest.raises(KeyError):
        with walogs.Wal(wal_dir) as wal:
            wal.append(b"a")
            raise KeyError("boom")
    assert wal.closed
    with walogs.Wal(wal_dir) as wal2:  # the lock was released
        assert list(wal2) == [(1, b"a")]


def test_close_is_idempotent_and_releases_the_lock(wal_dir: Path) -> None:
    wal = walogs.Wal(wal_dir)
    wal.append(b"a")
    wal.close()
    wal.close()
    assert "closed" in repr(wal)
    with walogs.Wal(wal_dir) as again:
        assert again.read(1) == b"a"


def test_repr_and_properties(wal: walogs.Wal, wal_dir: Path) -> None:
    wal.append(b"a")
    assert repr(wal) == f'<walogs.Wal "{wal_dir}" next_lsn=2>'
    assert wal.read_only is False
    assert wal.poisoned is False
    assert wal.path == str(wal_dir)


def test_module_constants() -> None:
    assert walogs.MAX_ENTRY_SIZE == 16 * 1024 * 1024
    assert walogs.MAX_BATCH_SIZE == 64 * 1024 * 1024
    assert walogs.DEFAULT_MAX_SEGMENT_SIZE == 64 * 1024 * 1024
    assert walogs.__version__


def test_an_iterator_keeps_its_wal_alive(wal_dir: Path) -> None:
    with walogs.Wal(wal_dir) as w:
        w.append_batch([b"a", b"b"])
    it = iter(walogs.Wal(wal_dir))  # the only reference to the WAL is the iterator's
    assert next(it) == (1, b"a")
    with pytest.raises(walogs.LockedError):
        walogs.Wal(wal_dir)
    assert list(it) == [(2, b"b")]
    del it  # the last reference: the WAL closes and unlocks
    with walogs.Wal(wal_dir) as w:
        assert w.next_lsn() == 3


def test_a_handle_dropped_without_close_is_closed(wal_dir: Path) -> None:
    w = walogs.Wal(wal_dir)
    w.append(b"x" * 10)
    del w
    with walogs.Wal(wal_dir) as again:  # the lock was released
        assert list(again) == [(1, b"x" * 10)]
    # A clean close cut the preallocated tail: the segment holds exactly the frame.
    assert segments(wal_dir)[0].stat().st_size == 16 + 10
