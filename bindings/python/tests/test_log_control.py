"""Log control: purge_up_to / purged_up_to, user data, wait_durable, on_durable, read_range,
and iterators racing a purge or a truncation."""

from __future__ import annotations

import datetime
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import walogs
from conftest import run_python, segments

WAIT = 60  # seconds: only a guard against a hang, never a measured duration


def _fill(wal: walogs.Wal, n: int, size: int = 40) -> None:
    for i in range(1, n + 1):
        wal.append(b"%04d" % i + b"." * (size - 4))


def _entry(lsn: int, size: int = 40) -> bytes:
    return b"%04d" % lsn + b"." * (size - 4)


@pytest.fixture
def small(wal_dir: Path) -> Iterator[walogs.Wal]:
    """A WAL whose segments hold two 40-byte entries each."""
    w = walogs.Wal(wal_dir, max_segment_size=120)
    yield w
    w.close()


class Outcomes:
    """Collects what on_durable callbacks receive, and on which thread."""

    def __init__(self) -> None:
        self.got: list[tuple[str, BaseException | None]] = []
        self.threads: set[int] = set()
        self.done = threading.Event()
        self.expected = 1

    def callback(self, name: str) -> Any:
        def cb(outcome: BaseException | None) -> None:
            self.threads.add(threading.get_ident())
            self.got.append((name, outcome))
            if len(self.got) >= self.expected:
                self.done.set()

        return cb

    def wait(self, n: int = 1) -> list[tuple[str, BaseException | None]]:
        # An earlier callback may have set `done` for the old `expected`: clear it, then
        # re-check (a callback running in between sets it again, for the new `expected`).
        self.expected = n
        self.done.clear()
        if len(self.got) >= n:
            self.done.set()
        assert self.done.wait(WAIT), f"callbacks not run: {self.got}"
        return self.got


# ---- purge ----------------------------------------------------------------------------------


def test_purge_makes_entries_unreadable_at_once_and_for_good(small: walogs.Wal, wal_dir: Path) -> None:
    _fill(small, 10)
    assert small.purged_up_to() == 0
    files = len(segments(wal_dir))
    deleted = small.purge_up_to(6)
    assert deleted == files - len(segments(wal_dir)) >= 2
    assert (small.purged_up_to(), small.first_lsn(), small.next_lsn()) == (6, 7, 11)
    for read in (
        lambda: small.read(6),
        lambda: small.iter_from(6),
        lambda: small.read_range(6, 10, 1000),
        lambda: small.truncate_after(5),
    ):
        with pytest.raises(walogs.LsnOutOfRangeError) as exc:
            read()
        assert exc.value.first == 7
    assert list(small) == [(lsn, _entry(lsn)) for lsn in range(7, 11)]
    # Below the floor: nothing happens; LSNs are never reused.
    assert small.purge_up_to(3) == 0
    assert (small.purged_up_to(), small.first_lsn()) == (6, 7)
    assert small.append(_entry(11)) == 11
    small.close()
    with walogs.Wal(wal_dir) as again:
        assert (again.purged_up_to(), again.first_lsn(), again.next_lsn()) == (6, 7, 12)
        assert [lsn for lsn, _ in again] == [7, 8, 9, 10, 11]


def test_purge_past_the_end_restarts_the_log_after_it(wal_dir: Path) -> None:
    with walogs.Wal(wal_dir) as wal:
        _fill(wal, 3)
        wal.purge_up_to(100)  # a Raft snapshot installed at LSN 100
        assert list(wal) == []
        assert (wal.first_lsn(), wal.next_lsn(), wal.purged_up_to()) == (101, 101, 100)
        assert wal.read_range(101, 5, 100) == []
        assert wal.append(b"after the snapshot") == 101
    with walogs.Wal(wal_dir, read_only=True) as ro:
        assert list(ro) == [(101, b"after the snapshot")]
        assert ro.purged_up_to() == 100


def test_iteration_from_the_oldest_entry_goes_on_past_a_purge(small: walogs.Wal) -> None:
    _fill(small, 20)
    oldest = iter(small)
    explicit = small.iter_from(1)
    assert [next(oldest)[0] for _ in range(3)] == [1, 2, 3]
    assert next(explicit)[0] == 1
    small.purge_up_to(12)
    rest = list(oldest)
    assert rest == [(lsn, _entry(lsn)) for lsn in range(13, 21)]
    # An iterator from an explicit LSN does not skip: it stops with an error at the floor.
    with pytest.raises(walogs.LsnOutOfRangeError) as exc:
        next(explicit)
    assert (exc.value.lsn, exc.value.first) == (2, 13)
    assert list(explicit) == []


def test_iteration_never_fails_while_another_thread_purges(wal_dir: Path) -> None:
    with walogs.Wal(wal_dir, max_segment_size=512) as wal:
        _fill(wal, 600, size=20)
        errors: list[BaseException] = []
        stop = threading.Event()

        def iterate() -> None:
            try:
                while not stop.is_set():
                    entries = list(wal)  # a purge may make it skip ahead, never fail
                    assert all(data == _entry(lsn, 20) for lsn, data in entries)
                    lsns = [lsn for lsn, _ in entries]
                    assert lsns == sorted(set(lsns))
                    assert lsns[-1] == 600
            except BaseException as e:  # noqa: BLE001 - checked below
                errors.append(e)

        readers = [threading.Thread(target=iterate) for _ in range(2)]
        for t in readers:
            t.start()
        for floor in range(10, 600, 10):
            wal.purge_up_to(floor)
        stop.set()
        for t in readers:
            t.join(WAIT)
            assert not t.is_alive()
        assert not errors, errors[0]
        assert [lsn for lsn, _ in wal] == list(range(591, 601))


def test_an_iterator_stops_at_a_truncation_made_after_it_started(wal: walogs.Wal) -> None:
    _fill(wal, 10)
    it = iter(wal)
    assert [next(it)[0] for _ in range(3)] == [1, 2, 3]
    assert wal.truncate_after(5) == 5
    assert [next(it)[0] for _ in range(2)] == [4, 5]
    with pytest.raises(walogs.LsnOutOfRangeError) as exc:
        next(it)
    assert exc.value.lsn == 6
    assert list(it) == []


def test_truncate_inside_a_non_atomic_batch_and_reopen(wal_dir: Path) -> None:
    with walogs.Wal(wal_dir) as wal:
        assert wal.append_batch([b"%d" % i for i in range(1, 9)], atomic=False) == range(1, 9)
        assert wal.truncate_after(3) == 5
        assert wal.append_batch([b"x", b"y"]) == range(4, 6)
        assert wal.truncate_after(4) == 1
    with walogs.Wal(wal_dir) as wal:
        assert list(wal) == [(1, b"1"), (2, b"2"), (3, b"3"), (4, b"x")]


# ---- user data ------------------------------------------------------------------------------


def test_user_data_round_trip_and_reopen(wal_dir: Path) -> None:
    with walogs.Wal(wal_dir) as wal:
        assert wal.user_data() == b""
        assert wal.set_user_data(b"term=3 vote=2") is None
        assert wal.user_data() == b"term=3 vote=2"
        wal.set_user_data(bytearray(b"term=4"))
        assert wal.user_data() == b"term=4"
        wal.set_user_data(memoryview(b"--term=5--")[2:-2])
        assert type(wal.user_data()) is bytes
    with walogs.Wal(wal_dir, read_only=True) as ro:
        assert ro.user_data() == b"term=5"
        with pytest.raises(walogs.ReadOnlyError):
            ro.set_user_data(b"x")
    with walogs.Wal(wal_dir) as wal:
        assert wal.user_data() == b"term=5"
        wal.set_user_data(b"")
        assert wal.user_data() == b""


@pytest.mark.parametrize("make", [bytes, bytearray])
def test_user_data_limit(wal: walogs.Wal, make: Any) -> None:
    assert walogs.MAX_USER_DATA == 64 * 1024
    wal.set_user_data(b"keep")
    with pytest.raises(walogs.EntryTooLargeError) as exc:
        wal.set_user_data(make(walogs.MAX_USER_DATA + 1))
    assert (exc.value.size, exc.value.max) == (walogs.MAX_USER_DATA + 1, walogs.MAX_USER_DATA)
    assert wal.user_data() == b"keep"
    wal.set_user_data(make(b"\xff" * walogs.MAX_USER_DATA))
    assert wal.user_data() == b"\xff" * walogs.MAX_USER_DATA


def test_user_data_makes_the_entries_before_it_durable_first(wal_dir: Path) -> None:
    with walogs.Wal(wal_dir, durability="manual") as wal:
        _fill(wal, 3)
        assert wal.durable_lsn() == 0
        wal.set_user_data(b"vote")
        assert wal.durable_lsn() == 3


def test_user_data_wrong_type(wal: walogs.Wal) -> None:
    with pytest.raises(TypeError, match="data must be a bytes-like object.*encode"):
        wal.set_user_data("text")  # type: ignore[arg-type]
    assert wal.user_data() == b""


# ---- wait_durable ---------------------------------------------------------------------------


def test_wait_durable_returns_once_durable(wal: walogs.Wal) -> None:
    lsn = wal.append(b"a")
    assert wal.wait_durable(lsn) is None
    assert wal.wait_durable(0, timeout=0) is None
    with pytest.raises(walogs.LsnOutOfRangeError) as exc:
        wal.wait_durable(lsn + 1)  # never handed out
    assert exc.value.next == lsn + 1


@pytest.mark.parametrize("timeout", [0, 0.0, datetime.timedelta(0), 0.001])
def test_wait_durable_times_out(wal_dir: Path, timeout: Any) -> None:
    with walogs.Wal(wal_dir, durability="manual") as wal:
        lsn = wal.append(b"not synced")
        with pytest.raises(walogs.WalogsTimeoutError) as exc:
            wal.wait_durable(lsn, timeout=timeout)
        e = exc.value
        assert isinstance(e, TimeoutError) and isinstance(e, walogs.WalogsError)
        assert (e.lsn, e.durable) == (lsn, 0)
        assert str(lsn) in str(e)
        wal.sync()
        assert wal.wait_durable(lsn, timeout=timeout) is None


def test_wait_durable_wakes_when_another_thread_syncs(wal_dir: Path) -> None:
    with walogs.Wal(wal_dir, durability="manual") as wal:
        lsn = wal.append(b"a")
        outcome: list[object] = []
        waiter = threading.Thread(target=lambda: outcome.append(wal.wait_durable(lsn)))
        waiter.start()
        assert wal.sync() == lsn
        waiter.join(WAIT)
        assert not waiter.is_alive() and outcome == [None]


def test_wait_durable_for_a_truncated_entry(wal_dir: Path) -> None:
    with walogs.Wal(wal_dir, durability="manual") as wal:
        _fill(wal, 3)
        failed: list[BaseException] = []

        def wait() -> None:
            try:
                wal.wait_durable(3)
            except walogs.LsnOutOfRangeError as e:
                failed.append(e)

        waiter = threading.Thread(target=wait)
        waiter.start()
        wal.truncate_after(1)  # before or after the waiter started: LSN 3 is gone
        waiter.join(WAIT)
        assert not waiter.is_alive()
        assert len(failed) == 1 and failed[0].lsn == 3


def test_wait_durable_bad_timeout(wal: walogs.Wal) -> None:
    wal.append(b"a")
    for bad, exc in [(-1, ValueError), (float("nan"), ValueError), ("1", TypeError), (True, TypeError)]:
        with pytest.raises(exc, match="timeout"):
            wal.wait_durable(1, timeout=bad)  # type: ignore[arg-type]


def test_interval_flusher_makes_entries_durable_without_a_sync(wal_dir: Path) -> None:
    with walogs.Wal(wal_dir, durability="interval", interval=0.01) as wal:
        lsn = wal.append(b"a")
        wal.wait_durable(lsn, timeout=WAIT)  # nothing but the flusher syncs it
        assert wal.durable_lsn() >= lsn


# ---- on_durable -----------------------------------------------------------------------------


def test_on_durable_runs_on_the_notifier_thread(wal: walogs.Wal) -> None:
    seen = Outcomes()
    lsn = wal.append(b"a")
    assert wal.on_durable(lsn, seen.callback("a")) is None
    assert seen.wait() == [("a", None)]
    assert threading.get_ident() not in seen.threads


def test_on_durable_waits_for_the_sync(wal_dir: Path) -> None:
    seen = Outcomes()
    with walogs.Wal(wal_dir, durability="manual") as wal:
        first = wal.append(b"a")
        second = wal.append(b"b")
        wal.on_durable(second, seen.callback("second"))
        wal.on_durable(first, seen.callback("first"))
        assert seen.got == []  # nothing made them durable yet
        wal.sync()
        assert sorted(seen.wait(2)) == [("first", None), ("second", None)]


def test_on_durable_for_an_lsn_never_handed_out_is_refused_at_once(wal: walogs.Wal) -> None:
    seen = Outcomes()
    wal.append(b"a")
    with pytest.raises(walogs.LsnOutOfRangeError):
        wal.on_durable(2, seen.callback("never"))
    wal.close()  # runs every callback still pending: there is none
    assert seen.got == []


def test_on_durable_for_a_truncated_entry_gets_the_error(wal_dir: Path) -> None:
    seen = Outcomes()
    with walogs.Wal(wal_dir, durability="manual") as wal:
        _fill(wal, 3)
        wal.on_durable(3, seen.callback("gone"))
        wal.truncate_after(1)
        [(name, outcome)] = seen.wait()
        assert isinstance(outcome, walogs.LsnOutOfRangeError)
        assert outcome.lsn == 3


def test_close_runs_the_pending_callbacks(wal_dir: Path) -> None:
    seen = Outcomes()
    wal = walogs.Wal(wal_dir, durability="manual")
    lsn = wal.append(b"a")
    wal.on_durable(lsn, seen.callback("at close"))
    assert seen.got == []
    wal.close()  # syncs, then runs what is pending before returning
    assert seen.got == [("at close", None)]


def test_a_raising_callback_is_reported_and_changes_nothing(
    wal: walogs.Wal, monkeypatch: pytest.MonkeyPatch
) -> None:
    reported: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", reported.append)
    seen = Outcomes()

    def bad(outcome: BaseException | None) -> None:
        raise KeyError("from the callback")

    wal.on_durable(wal.append(b"a"), bad)
    wal.on_durable(wal.append(b"b"), seen.callback("after"))
    assert seen.wait() == [("after", None)]  # the notifier went on
    assert len(reported) == 1
    assert isinstance(reported[0].exc_value, KeyError)
    assert reported[0].object is bad
    assert not wal.poisoned
    assert wal.append(b"c") == 3


def test_a_callback_may_call_the_wal(wal: walogs.Wal) -> None:
    seen = Outcomes()

    def chain(outcome: BaseException | None) -> None:
        lsn = wal.append(b"from the callback")
        wal.on_durable(lsn, seen.callback(f"chained {lsn}"))

    wal.on_durable(wal.append(b"a"), chain)
    assert seen.wait() == [("chained 2", None)]
    assert wal.read(2) == b"from the callback"


def test_on_durable_needs_a_callable(wal: walogs.Wal) -> None:
    wal.append(b"a")
    with pytest.raises(TypeError, match="callback must be callable, not int"):
        wal.on_durable(1, 5)  # type: ignore[arg-type]


def test_a_callback_holding_the_last_reference_closes_the_wal(wal_dir: Path) -> None:
    """The callback is released on the notifier thread with the GIL held; when it held the
    last reference, the WAL closes there (and its lock is released)."""
    ran = threading.Event()
    wal = walogs.Wal(wal_dir, durability="interval", interval=0.01)
    lsn = wal.append(b"a")
    wal.on_durable(lsn, lambda outcome, keep=wal: ran.set())  # type: ignore[misc]
    del wal  # the callback's default argument is the only reference left
    assert ran.wait(WAIT)
    deadline = time.monotonic() + WAIT
    while True:
        try:
            again = walogs.Wal(wal_dir)
            break
        except walogs.LockedError:
            assert time.monotonic() < deadline, "the WAL was never closed"
            time.sleep(0.01)
    with again:
        assert list(again) == [(1, b"a")]


_POISONED_WHILE_PENDING = """
import resource, signal, sys, threading, walogs
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
wal = walogs.Wal(sys.argv[1], durability="manual", preallocate=False)
lsn = wal.append(b"a" * 100)  # written, not durable
got = []
done = threading.Event()
wal.on_durable(lsn, lambda outcome: (got.append(outcome), done.set()))
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, hard))
try:
    wal.append(b"b" * 8000)
except walogs.WalogsOSError:
    pass
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
assert done.wait(60)
print(type(got[0]).__name__, "write" in got[0].reason)
try:
    wal.wait_durable(lsn)
except walogs.PoisonedError as e:
    print("wait:", type(e).__name__)
"""


def test_a_poisoned_log_ends_waits_and_callbacks_with_the_poison(wal_dir: Path) -> None:
    p = run_python(_POISONED_WHILE_PENDING, str(wal_dir))
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.splitlines() == ["PoisonedError True", "wait: PoisonedError"]


_EXIT_WITH_PENDING_CALLBACKS = """
import functools, sys, walogs
wal = walogs.Wal(sys.argv[1], durability="manual")
wal.on_durable(wal.append(b"a"), functools.partial(print, "called"))
# Exit without closing: the interpreter finalizes the Wal after the atexit hooks ran; its
# close syncs the entry, which makes the callback due.
"""


def test_interpreter_exit_with_pending_callbacks(wal_dir: Path) -> None:
    """A callback that becomes due while the interpreter shuts down is not called (no thread
    may take the GIL then); the process exits normally and the WAL was closed cleanly."""
    p = run_python(_EXIT_WITH_PENDING_CALLBACKS, str(wal_dir))
    assert (p.returncode, p.stdout, p.stderr) == (0, "", "")
    # A clean close cut the preallocated tail: the segment holds exactly the frame.
    assert segments(wal_dir)[0].stat().st_size == 16 + 1
    with walogs.Wal(wal_dir) as wal:
        assert list(wal) == [(1, b"a")]


# ---- read_range -----------------------------------------------------------------------------


def test_read_range(wal: walogs.Wal) -> None:
    _fill(wal, 10, size=10)
    got = wal.read_range(3, 4, 1000)
    assert got == [(lsn, _entry(lsn, 10)) for lsn in range(3, 7)]
    assert all(type(lsn) is int and type(data) is bytes for lsn, data in got)
    assert [lsn for lsn, _ in wal.read_range(3, 100, 25)] == [3, 4]  # 30 bytes would not fit
    assert [lsn for lsn, _ in wal.read_range(3, 100, 0)] == [3]  # at least one
    assert [lsn for lsn, _ in wal.read_range(8, 100, 10**9)] == [8, 9, 10]
    assert wal.read_range(from_lsn=11, max_entries=5, max_bytes=100) == []
    for outside in (0, 12):
        with pytest.raises(walogs.LsnOutOfRangeError):
            wal.read_range(outside, 5, 100)
    with pytest.raises(walogs.InvalidArgumentError, match="max_entries"):
        wal.read_range(1, 0, 100)


@pytest.mark.parametrize(
    ("args", "exc", "pattern"),
    [
        (("1", 1, 1), TypeError, "from_lsn must be an int"),
        ((1, 1.5, 1), TypeError, "max_entries must be an int"),
        ((1, 1, True), TypeError, "max_bytes must be an int"),
        ((-1, 1, 1), ValueError, "from_lsn must be between"),
        ((1, -1, 1), ValueError, "max_entries must be between"),
        ((1, 1, 2**64), ValueError, "max_bytes must be between"),
    ],
)
def test_read_range_bad_arguments(wal: walogs.Wal, args: Any, exc: type, pattern: str) -> None:
    wal.append(b"a")
    with pytest.raises(exc, match=pattern):
        wal.read_range(*args)
