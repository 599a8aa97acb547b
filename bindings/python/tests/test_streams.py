"""walogs.Streams and walogs.Consumer: every method, the value types, reopen, consumers'
delivery guarantees, threads, and the runnable example."""

from __future__ import annotations

import dataclasses
import datetime
import gc
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import walogs
from walogs import CleanupReport, ConsumerInfo, Record, TopicCleanup, TopicInfo

from conftest import run_python

REPO_ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = REPO_ROOT / "examples" / "python" / "streams.py"


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    """A store directory that does not exist yet (opening creates it)."""
    return tmp_path / "streams"


@pytest.fixture
def s(store_dir: Path) -> Iterator[walogs.Streams]:
    """A fresh store with default options, closed after the test."""
    st = walogs.Streams(store_dir)
    yield st
    st.close()


# ---- appends and reads ---------------------------------------------------------------------


def test_append_gives_dense_lsns_per_topic(s: walogs.Streams) -> None:
    assert s.append("a", b"a1") == 1
    assert s.append("b", b"b1") == 1
    assert s.append("a", b"a2") == 2
    assert s.append("a", bytearray(b"a3")) == 3
    assert s.append("b", memoryview(b"b2")) == 2
    assert [s.read("a", i).data for i in (1, 2, 3)] == [b"a1", b"a2", b"a3"]
    assert [s.read("b", i).data for i in (1, 2)] == [b"b1", b"b2"]


def test_record_round_trips_header_and_timestamp(s: walogs.Streams) -> None:
    before = int(time.time() * 1000)
    s.append("t", b"data", header=b"k=v", timestamp_ms=1234)
    s.append("t", b"more", b"positional-header", 5678)
    s.append("t", b"now")
    after = int(time.time() * 1000)
    r1, r2, r3 = (s.read("t", i) for i in (1, 2, 3))
    assert r1 == Record(lsn=1, data=b"data", header=b"k=v", timestamp_ms=1234)
    assert r2 == Record(2, b"more", b"positional-header", 5678)
    assert r3.header == b""
    assert before <= r3.timestamp_ms <= after
    assert isinstance(r1.data, bytes) and isinstance(r1.header, bytes)


def test_record_is_immutable_comparable_hashable(s: walogs.Streams) -> None:
    s.append("t", b"x", header=b"h", timestamp_ms=7)
    rec = s.read("t", 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        rec.lsn = 2  # type: ignore[misc]
    assert rec == s.read("t", 1) and rec != Record(1, b"y", b"h", 7)
    assert hash(rec) == hash(Record(1, b"x", b"h", 7))
    assert repr(rec) == "Record(lsn=1, data=b'x', header=b'h', timestamp_ms=7)"
    big = Record(1, b"z" * 1000, b"", 0)
    assert "(1000 bytes)" in repr(big) and len(repr(big)) < 200


def test_header_at_the_limit_round_trips(s: walogs.Streams) -> None:
    header = bytes(range(256)) * (walogs.MAX_HEADER // 256)
    assert len(header) == walogs.MAX_HEADER == 64 * 1024
    s.append("t", b"", header=header)
    assert s.read("t", 1).header == header
    assert s.read("t", 1).data == b""


def test_append_batch_returns_a_range_and_takes_tuples(s: walogs.Streams) -> None:
    s.append("t", b"first")
    r = s.append_batch(
        "t",
        [b"a", (b"b", b"hb"), (b"c", None, 99), (bytearray(b"d"), memoryview(b"hd"), None)],
        timestamp_ms=42,
    )
    assert r == range(2, 6)
    recs = s.read_range("t", 2)
    assert [(x.lsn, x.data, x.header, x.timestamp_ms) for x in recs] == [
        (2, b"a", b"", 42),
        (3, b"b", b"hb", 42),
        (4, b"c", b"", 99),
        (5, b"d", b"hd", 42),
    ]
    assert s.append_batch("other", iter([b"x", b"y"])) == range(1, 3)


def test_read_range_limits(s: walogs.Streams) -> None:
    s.append_batch("t", [b"%d" % i * 10 for i in range(10)])  # 10 records of 10 bytes
    assert [r.lsn for r in s.read_range("t", 1)] == list(range(1, 11))
    assert [r.lsn for r in s.read_range("t", 3, max_records=2)] == [3, 4]
    assert [r.lsn for r in s.read_range("t", 3, 100, 25)] == [3, 4]
    # At least one, even if it alone is over max_bytes.
    assert [r.lsn for r in s.read_range("t", 5, max_bytes=1)] == [5]
    assert s.read_range("t", 11) == []


def test_topics_sorted_and_topic_info(s: walogs.Streams) -> None:
    assert s.topics() == []
    for name in ["zeta", "alpha", "Mid", "é"]:
        s.append(name, b"x")
    assert s.topics() == sorted(["zeta", "alpha", "Mid", "é"])
    s.append("alpha", b"12345", header=b"hh")
    info = s.topic_info("alpha")
    assert info == TopicInfo(name="alpha", first_lsn=1, next_lsn=3, bytes=1 + 5 + 2)
    assert repr(info) == "TopicInfo(name='alpha', first_lsn=1, next_lsn=3, bytes=8)"


def test_names_that_are_not_file_names_work(s: walogs.Streams) -> None:
    names = ["a/b", "..", ".", "x" * walogs.MAX_TOPIC_NAME, "заказы", "🦀 orders", " "]
    for i, name in enumerate(names):
        assert s.append(name, b"%d" % i) == 1
    assert s.topics() == sorted(names)
    for i, name in enumerate(names):
        assert s.read(name, 1).data == b"%d" % i


def test_seek_time(s: walogs.Streams) -> None:
    for ts in (1000, 2000, 3000):
        s.append("t", b"x", timestamp_ms=ts)
    assert s.seek_time("t", 0) == 1
    assert s.seek_time("t", 1000) == 1
    assert s.seek_time("t", 1500) == 2
    assert s.seek_time("t", 3000) == 3
    assert s.seek_time("t", 3001) == 4  # none is: the next LSN


def test_seek_time_with_out_of_order_timestamps(s: walogs.Streams) -> None:
    for ts in (1000, 5000, 2000, 6000):
        s.append("t", b"x", timestamp_ms=ts)
    assert s.seek_time("t", 4000) == 2
    assert s.seek_time("t", 5500) == 4
    assert s.seek_time("t", 7000) == 5


def test_everything_survives_reopen(store_dir: Path) -> None:
    with walogs.Streams(store_dir) as s:
        s.append("a", b"1", header=b"h", timestamp_ms=10)
        s.append_batch("a", [b"2", b"3"])
        s.append("b", b"x")
    with walogs.Streams(store_dir) as s:
        assert s.topics() == ["a", "b"]
        assert s.read("a", 1) == Record(1, b"1", b"h", 10)
        assert s.append("a", b"4") == 4
        assert s.append("b", b"y") == 2
        assert [r.data for r in s.read_range("a", 1)] == [b"1", b"2", b"3", b"4"]


def test_relaxed_durability_and_sync(store_dir: Path) -> None:
    with walogs.Streams(store_dir, durability="manual") as s:
        assert s.append("t", b"a") == 1
        s.sync()
        assert s.read("t", 1).data == b"a"
    with walogs.Streams(
        store_dir, durability=walogs.Durability.INTERVAL, interval=datetime.timedelta(seconds=1)
    ) as s:
        assert s.append("t", b"b") == 2
        s.sync()
    with walogs.Streams(store_dir, durability="none") as s:
        assert [r.data for r in s.read_range("t", 1)] == [b"a", b"b"]


def test_options_are_accepted(store_dir: Path) -> None:
    with walogs.Streams(
        os.fspath(store_dir).encode(),
        segment_duration=datetime.timedelta(hours=1),
        retention=7 * 24 * 3600,
        max_topic_bytes=1 << 30,
        delete_consumed=True,
        cleanup_interval=3600.0,
        max_segment_size=1 << 20,
        file_mode=0o640,
    ) as s:
        assert s.append("t", b"x") == 1
        assert not s.read_only
        assert os.path.samefile(s.dir, store_dir)
    assert {p.stat().st_mode & 0o777 for p in store_dir.iterdir()} == {0o640}


def test_dir_repr_and_context_manager(store_dir: Path) -> None:
    s = walogs.Streams(store_dir)
    assert os.path.samefile(s.dir, store_dir)
    assert repr(s).startswith("<walogs.Streams ") and not s.closed
    with s as entered:
        assert entered is s
    assert s.closed and "closed" in repr(s)
    s.close()  # idempotent


# ---- consumers -----------------------------------------------------------------------------


def test_consumer_delivers_in_order_and_iterates(s: walogs.Streams) -> None:
    s.append_batch("t", [b"a", b"b", b"c"])
    with s.consumer("t", "c1") as c:
        assert (c.topic, c.name, c.mode, c.persist_every) == ("t", "c1", "strict", None)
        assert c.position == 1
        first = c.next()
        assert first is not None and (first.lsn, first.data) == (1, b"a")
        assert [r.data for r in c] == [b"b", b"c"]
        assert c.next() is None  # polls: nothing more
        assert c.next(timeout=0.01) is None
        assert c.next_batch() == []
        assert c.position == c.committed == 4
        assert "c1" in repr(c) and "position=4" in repr(c)
    assert c.closed and "closed" in repr(c)


def test_next_batch_respects_max_bytes(s: walogs.Streams) -> None:
    s.append_batch("t", [(b"x" * 10, b"h" * 5)] * 6)  # 15 bytes each
    with s.consumer("t", "c") as c:
        assert [r.lsn for r in c.next_batch(max_bytes=30)] == [1, 2]
        assert [r.lsn for r in c.next_batch(1)] == [3]  # at least one
        assert [r.lsn for r in c.next_batch()] == [4, 5, 6]
        assert c.position == 7


def test_strict_consumer_never_redelivers_across_reopen(store_dir: Path) -> None:
    delivered: list[int] = []
    for round_ in range(4):
        with walogs.Streams(store_dir) as s:
            s.append_batch("t", [b"r%d-%d" % (round_, i) for i in range(5)])
            c = s.consumer("t", "strict")
            # Not closed: the store closes under it (as a crash would leave it).
            got = c.next_batch(max_bytes=1)
            got += [r for r in (c.next(), c.next()) if r is not None]
            delivered += [r.lsn for r in got]
    assert delivered == sorted(set(delivered)), "a strict consumer redelivered a record"
    assert delivered == list(range(1, len(delivered) + 1)), "a strict consumer skipped one"


def test_strict_consumer_never_redelivers_after_a_kill(store_dir: Path) -> None:
    """A child delivers records strictly and is SIGKILLed (no close, no finalizers) right
    after printing what it got; the reopened consumer goes on after the last one."""
    with walogs.Streams(store_dir) as s:
        s.append_batch("t", [b"%d" % i for i in range(20)])
    child = """
import os, signal, sys, walogs
s = walogs.Streams(sys.argv[1])
c = s.consumer("t", "k")
for _ in range(7):
    print(c.next().lsn, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""
    p = run_python(child, str(store_dir))
    assert p.returncode == -9, p.stderr
    got = [int(x) for x in p.stdout.split()]
    assert got == list(range(1, 8))
    with walogs.Streams(store_dir) as s:
        with s.consumer("t", "k") as c:
            assert c.position == 8
            nxt = c.next()
            assert nxt is not None and nxt.lsn == 8


@pytest.mark.parametrize("persist_every", [1, 3, 5])
def test_at_least_once_resumes_at_most_n_back_after_a_kill(
    store_dir: Path, persist_every: int
) -> None:
    with walogs.Streams(store_dir) as s:
        s.append_batch("t", [b"%d" % i for i in range(30)])
    child = """
import os, signal, sys, walogs
s = walogs.Streams(sys.argv[1])
c = s.consumer("t", "alo", mode="at_least_once", persist_every=int(sys.argv[2]))
for _ in range(int(sys.argv[3])):
    print(c.next().lsn, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""
    start = 1
    for delivered in (7, 4, 11):
        p = run_python(child, str(store_dir), str(persist_every), str(delivered))
        assert p.returncode == -9, p.stderr
        got = [int(x) for x in p.stdout.split()]
        assert got == list(range(start, start + delivered))
        last = got[-1]
        with walogs.Streams(store_dir) as s:
            with s.consumer("t", "alo", mode="at_least_once", persist_every=persist_every) as c:
                # Never skips one; goes back at most persist_every records.
                assert last + 1 - persist_every <= c.position <= last + 1
                assert c.committed == c.position
                c.next()
                c.commit()
                assert c.committed == c.position
                start = c.position


def test_at_least_once_commit_and_close_persist(store_dir: Path) -> None:
    with walogs.Streams(store_dir) as s:
        s.append_batch("t", [b"%d" % i for i in range(10)])
        c = s.consumer("t", "alo", "at_least_once", 100)
        assert (c.mode, c.persist_every) == ("at_least_once", 100)
        c.next()
        c.next()
        assert c.position == 3 and c.committed == 1
        c.commit()
        assert c.committed == 3
        c.next()
        c.close()  # commits
        assert s.consumers() == [ConsumerInfo("t", "alo", "at_least_once", 4)]
        assert s.consumers()[0].persist_every == 100
    with walogs.Streams(store_dir) as s:
        with s.consumer("t", "alo", mode="at_least_once") as c:
            assert c.position == 4


def test_consumers_lists_registered_ones(s: walogs.Streams) -> None:
    assert s.consumers() == []
    s.append("a", b"1")
    s.append("b", b"1")
    s.consumer("a", "x").close()
    with s.consumer("b", "y", mode="at_least_once", persist_every=2) as c:
        c.next()
        c.commit()
    infos = sorted(s.consumers(), key=lambda i: (i.topic, i.name))
    assert infos == [ConsumerInfo("a", "x", "strict", 1), ConsumerInfo("b", "y", "at_least_once", 2)]
    assert infos[0].persist_every is None and infos[1].persist_every == 2
    assert "ConsumerInfo(topic='a', name='x', mode='strict', position=1" in repr(infos[0])


def test_consumer_can_be_reopened_after_close_or_collection(s: walogs.Streams) -> None:
    s.append("t", b"x")
    c = s.consumer("t", "c")
    with pytest.raises(walogs.ConsumerInUseError):
        s.consumer("t", "c")
    c.close()
    c.close()  # idempotent
    c2 = s.consumer("t", "c")
    del c2  # collected: the name is released
    s.consumer("t", "c").close()


def test_consumer_keeps_its_store_object_alive(store_dir: Path) -> None:
    with walogs.Streams(store_dir) as s:
        s.append("t", b"x")
    c = walogs.Streams(store_dir).consumer("t", "c")  # only the consumer refers to the store
    gc.collect()
    rec = c.next()
    assert rec is not None and rec.data == b"x"
    with pytest.raises(walogs.LockedError):
        walogs.Streams(store_dir)
    del c, rec
    gc.collect()
    with walogs.Streams(store_dir) as s2:  # the store was collected, and closed
        assert s2.consumers() == [ConsumerInfo("t", "c", "strict", 2)]
        consumer = s2.consumer("t", "c")
    with pytest.raises(walogs.ClosedError):  # it keeps the object alive, not the store open
        consumer.next()


def test_consumer_waits_and_wakes_on_an_append_from_another_thread(s: walogs.Streams) -> None:
    s.append("t", b"before")
    c = s.consumer("t", "tail")
    assert c.next() is not None
    waiting = threading.Event()
    result: list[Record | None] = []

    def wait() -> None:
        waiting.set()
        result.append(c.next(timeout=60))

    t = threading.Thread(target=wait)
    t.start()
    waiting.wait()
    s.append("t", b"after")
    t.join()
    assert result[0] is not None and (result[0].lsn, result[0].data) == (2, b"after")
    c.close()


def test_next_batch_waits_and_wakes(s: walogs.Streams) -> None:
    s.append("t", b"0")
    c = s.consumer("t", "tail")
    c.next_batch()
    result: list[list[Record]] = []
    t = threading.Thread(target=lambda: result.append(c.next_batch(timeout=60)))
    t.start()
    s.append("t", b"1")
    t.join()
    assert [r.data for r in result[0]] == [b"1"]
    c.close()


def test_close_wakes_a_waiting_consumer_with_closed_error(store_dir: Path) -> None:
    s = walogs.Streams(store_dir)
    s.append("t", b"x")
    c = s.consumer("t", "c")
    c.next()
    outcome: list[object] = []
    started = threading.Event()

    def wait() -> None:
        started.set()
        try:
            outcome.append(c.next(timeout=60))
        except walogs.ClosedError as e:
            outcome.append(e)

    t = threading.Thread(target=wait)
    t.start()
    started.wait()
    s.close()
    t.join()
    assert len(outcome) == 1 and isinstance(outcome[0], walogs.ClosedError), outcome


def test_a_consumer_in_use_by_a_thread_refuses_another(s: walogs.Streams) -> None:
    s.append("t", b"x")
    c = s.consumer("t", "c")
    c.next()
    got: list[Record | None] = []
    t = threading.Thread(target=lambda: got.append(c.next(timeout=60)))
    t.start()
    # Until the thread is waiting inside next(), this thread may still use the consumer.
    refused = None
    for _ in range(60_000):
        try:
            assert c.position == 2
        except RuntimeError as e:
            refused = e
            break
        time.sleep(0.001)
    assert refused is not None and "another thread" in str(refused)
    s.append("t", b"y")
    t.join()
    assert got[0] is not None and got[0].data == b"y"
    c.close()


# ---- threads ---------------------------------------------------------------------------------


def test_threads_times_topics_appends_are_dense(s: walogs.Streams) -> None:
    threads, topics, per = 8, 4, 40
    got: dict[tuple[int, int], list[int]] = {}
    barrier = threading.Barrier(threads)

    def work(tid: int) -> None:
        barrier.wait()
        for i in range(per):
            for t in range(topics):
                lsn = s.append(f"topic-{t}", b"%d:%d" % (tid, i))
                got.setdefault((tid, t), []).append(lsn)

    ts = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for t in range(topics):
        name = f"topic-{t}"
        info = s.topic_info(name)
        assert (info.first_lsn, info.next_lsn) == (1, threads * per + 1)
        lsns = sorted(lsn for (tid, tt), ls in got.items() if tt == t for lsn in ls)
        assert lsns == list(range(1, threads * per + 1))
        records = s.read_range(name, 1, max_records=10_000, max_bytes=1 << 30)
        assert sorted(r.data for r in records) == sorted(
            b"%d:%d" % (tid, i) for tid in range(threads) for i in range(per)
        )
        for tid in range(threads):  # one thread's records keep its order
            mine = [int(r.data.split(b":")[1]) for r in records if r.data.startswith(b"%d:" % tid)]
            assert mine == list(range(per))


def test_batches_from_threads_are_contiguous(s: walogs.Streams) -> None:
    ranges: list[range] = []

    def work(tid: int) -> None:
        for i in range(10):
            ranges.append(s.append_batch("t", [b"%d-%d-%d" % (tid, i, j) for j in range(5)]))

    ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert sorted(lsn for r in ranges for lsn in r) == list(range(1, 201))
    for r in ranges:
        datas = [s.read("t", lsn).data for lsn in r]
        prefix = datas[0].rsplit(b"-", 1)[0]
        assert datas == [prefix + b"-%d" % j for j in range(5)]


# ---- two handles, read-only ------------------------------------------------------------------


def test_second_open_in_this_process_is_locked(s: walogs.Streams, store_dir: Path) -> None:
    with pytest.raises(walogs.LockedError) as exc:
        walogs.Streams(store_dir)
    assert exc.value.path
    s.append("t", b"still fine")


def test_second_open_from_another_process_is_locked(s: walogs.Streams, store_dir: Path) -> None:
    code = """
import sys, walogs
try:
    walogs.Streams(sys.argv[1])
except walogs.LockedError as e:
    print("locked", e.holder)
"""
    p = run_python(code, str(store_dir))
    assert p.returncode == 0, p.stderr
    assert p.stdout.split()[0] == "locked"
    assert p.stdout.split()[1] == str(os.getpid())


def test_read_only_beside_a_writer_and_refresh(s: walogs.Streams, store_dir: Path) -> None:
    s.append("t", b"one", header=b"h")
    with walogs.Streams(store_dir, read_only=True) as ro:
        assert ro.read_only and "read-only" in repr(ro)
        assert ro.topics() == ["t"]
        assert ro.read("t", 1) == s.read("t", 1)
        s.append("t", b"two")
        s.append("u", b"new topic")
        ro.refresh()
        assert ro.read("t", 2).data == b"two"
        assert ro.topics() == ["t", "u"]
        assert ro.topic_info("t").next_lsn == 3
        with pytest.raises(walogs.ReadOnlyError):
            ro.append("t", b"no")
        with pytest.raises(walogs.ReadOnlyError):
            ro.append_batch("t", [b"no"])
        with pytest.raises(walogs.ReadOnlyError):
            ro.consumer("t", "c")
        with pytest.raises(walogs.ReadOnlyError):
            ro.cleanup()


def test_read_only_sees_a_writer_in_another_process(store_dir: Path) -> None:
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, walogs\n"
            "s = walogs.Streams(sys.argv[1])\n"
            "s.append('t', b'from child')\n"
            "print('ready', flush=True)\n"
            "sys.stdin.readline()\n"
            "s.append('t', b'second')\n"
            "print('done', flush=True)\n"
            "sys.stdin.readline()\n"
            "s.close()\n",
            str(store_dir),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdin is not None and writer.stdout is not None
    try:
        assert writer.stdout.readline().strip() == "ready"
        with walogs.Streams(store_dir, read_only=True) as ro:
            assert ro.read("t", 1).data == b"from child"
            writer.stdin.write("\n")
            writer.stdin.flush()
            assert writer.stdout.readline().strip() == "done"
            ro.refresh()
            assert [r.data for r in ro.read_range("t", 1)] == [b"from child", b"second"]
        writer.stdin.write("\n")
        writer.stdin.flush()
        assert writer.wait(timeout=60) == 0
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()


# ---- the example ---------------------------------------------------------------------------


def test_the_example_runs(tmp_path: Path) -> None:
    p = subprocess.run(
        [sys.executable, str(EXAMPLE), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stderr == ""
    assert p.stdout.splitlines() == [
        "orders batch got LSNs [3, 4]",
        "topics: ['orders', 'payments']",
        "orders/2: b'order 2' b'customer=9'",
        "billing got 1 b'order 1'",
        "billing got 2 b'order 2'",
        "billing position: 3",
        "after reopen billing gets [3, 4]",
        "tail woke with 5 b'order 5'",
        "consumers: [('orders', 'billing', 'strict', 6)]",
        "orders holds LSNs 1..5",
    ]


def test_value_types_by_hand() -> None:
    tc = TopicCleanup("t", 3, 4, ["c"])
    report = CleanupReport(3, 100, 1, [tc])
    assert report == CleanupReport(3, 100, 1, [TopicCleanup("t", 3, 4, ["c"])])
    assert hash(report) == hash(CleanupReport(3, 100, 1, [TopicCleanup("t", 3, 4, ["c"])]))
    assert "forced_past=['c']" in repr(report)
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.records_deleted = 0  # type: ignore[misc]
