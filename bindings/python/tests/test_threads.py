"""Threads: the GIL is released around blocking calls, so concurrent durable appends share
fdatasyncs (group commit); every caller still gets its own, correct LSN."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import walogs

THREADS = 8
PER_THREAD = 200


def _run_threads(n: int, target: Callable[[int], None], timeout: float = 120) -> None:
    errors: list[BaseException] = []

    def wrap(i: int) -> None:
        try:
            target(i)
        except BaseException as e:  # noqa: BLE001 - re-raised in the main thread
            errors.append(e)

    threads = [threading.Thread(target=wrap, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
        assert not t.is_alive(), "a thread hung (deadlock?)"
    if errors:
        raise errors[0]


def test_threads_share_fdatasyncs(tmp_path: Path) -> None:
    """8 threads x 200 durable appends finish well before 1600 sequential ones.

    This is also the proof that `append` releases the GIL: holding it through the
    fdatasync would serialise the threads and give a ratio of about 1.
    """
    payload = b"p" * 100
    with walogs.Wal(tmp_path / "seq") as wal:
        t0 = time.perf_counter()
        for _ in range(THREADS * PER_THREAD):
            wal.append(payload)
        sequential = time.perf_counter() - t0

    with walogs.Wal(tmp_path / "par") as wal:

        def work(_: int) -> None:
            for _ in range(PER_THREAD):
                wal.append(payload)

        t0 = time.perf_counter()
        _run_threads(THREADS, work)
        parallel = time.perf_counter() - t0
        assert wal.next_lsn() == THREADS * PER_THREAD + 1
        assert wal.durable_lsn() == THREADS * PER_THREAD

    ratio = sequential / parallel
    print(f"\n{THREADS}x{PER_THREAD} threaded: {parallel:.3f}s, sequential: {sequential:.3f}s, ratio {ratio:.1f}x")
    assert ratio >= 1.5, f"threads were only {ratio:.2f}x faster than sequential appends"


def test_concurrent_appends_get_unique_lsns_and_their_own_data(wal: walogs.Wal) -> None:
    got: dict[int, bytes] = {}
    lock = threading.Lock()

    def work(t: int) -> None:
        for i in range(100):
            data = f"t{t}-i{i}".encode() * (i % 5 + 1)
            if i % 10 == 0:
                r = wal.append_batch([data, data + b"!"])
                pairs = list(zip(r, [data, data + b"!"]))
            else:
                pairs = [(wal.append(data), data)]
            assert wal.durable_lsn() >= pairs[-1][0]
            with lock:
                for lsn, d in pairs:
                    assert lsn not in got
                    got[lsn] = d

    _run_threads(THREADS, work)
    total = THREADS * 110
    assert sorted(got) == list(range(1, total + 1))
    assert dict(wal) == got


def test_mixed_operations_from_many_threads_do_not_deadlock(tmp_path: Path) -> None:
    """Appenders, readers, iterators, rotations and queries all at once."""
    with walogs.Wal(tmp_path / "w", max_segment_size=4096) as wal:
        wal.append(b"seed")
        stop = threading.Event()

        def appender(t: int) -> None:
            for i in range(150):
                if i % 7 == 0:
                    wal.append_batch([b"b%d" % i] * 3, atomic=i % 2 == 0)
                else:
                    wal.append(b"a%d-%d" % (t, i))

        def reader(_: int) -> None:
            while not stop.is_set():
                n = 0
                last = 0
                for lsn, _data in wal:
                    assert lsn == last + 1 or last == 0
                    last = lsn
                    n += 1
                assert n >= 1
                assert wal.read(1) == b"seed"
                wal.tail_state()
                wal.segment_count()
                wal.recovery_report()
                wal.first_lsn()
                wal.next_lsn()

        def rotator(_: int) -> None:
            while not stop.is_set():
                wal.rotate()
                wal.sync()
                time.sleep(0.005)

        bg_errors: list[BaseException] = []

        def background(fn: Callable[[int], None]) -> threading.Thread:
            def body() -> None:
                try:
                    fn(0)
                except BaseException as e:  # noqa: BLE001 - checked below
                    bg_errors.append(e)

            return threading.Thread(target=body)

        workers = [background(reader), background(reader), background(rotator)]
        for w in workers:
            w.start()
        try:
            _run_threads(4, appender)
        finally:
            stop.set()
            for w in workers:
                w.join(60)
                assert not w.is_alive()
        if bg_errors:
            raise bg_errors[0]
        assert wal.segment_count() > 1
        lsns = [lsn for lsn, _ in wal]
        assert lsns == list(range(1, wal.next_lsn()))


def test_one_iterator_used_from_two_threads_raises_instead_of_deadlocking(wal: walogs.Wal) -> None:
    for i in range(2000):
        wal.append(b"x" * 1000)
    it = iter(wal)
    seen: list[int] = []
    busy: list[RuntimeError] = []

    def consume(_: int) -> None:
        while True:
            try:
                item = next(it)
            except StopIteration:
                return
            except RuntimeError as e:
                busy.append(e)
                continue
            seen.append(item[0])

    _run_threads(2, consume)
    assert sorted(seen) == list(range(1, 2001))
    assert all("another thread" in str(e) for e in busy)
