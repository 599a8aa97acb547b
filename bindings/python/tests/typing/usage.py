"""A small program using walogs, type-checked with `mypy --strict` against the package's
stubs (test_typing.py). It is also run, so the stubs and the runtime cannot drift apart."""

from __future__ import annotations

import datetime
import os
import sys
import tempfile
from pathlib import Path

import walogs
from walogs import Durability, RecoveryReport, TailState, Wal, WalIterator


def fill(wal: Wal) -> range:
    first: int = wal.append(b"bytes")
    wal.append(bytearray(b"bytearray"))
    wal.append(memoryview(b"memoryview"))
    batch: range = wal.append_batch([b"a", b"b"])
    more: range = wal.append_batch((bytes([i]) for i in range(3)), atomic=False)
    assert first == 1 and batch.start == 4 and more.stop == 9
    return range(first, more.stop)


def inspect(wal: Wal) -> dict[int, bytes]:
    out: dict[int, bytes] = {}
    for lsn, data in wal:
        out[lsn] = data
    it: WalIterator = wal.iter_from(2)
    second: tuple[int, bytes] = next(it)
    assert second[0] == 2 and it.next_lsn == 3
    tail: TailState = wal.tail_state()
    report: RecoveryReport = wal.recovery_report()
    offset: int | None = tail.truncated_at
    assert tail.clean and offset is None and report.salvaged is None
    counts: list[int] = [wal.next_lsn(), wal.first_lsn(), wal.segment_count(), wal.durable_lsn()]
    assert all(c >= 0 for c in counts)
    return out


def log_control(wal: Wal) -> None:
    lsn = wal.append(b"entry")
    wal.wait_durable(lsn)
    wal.wait_durable(lsn, timeout=0.5)
    wal.wait_durable(lsn, datetime.timedelta(seconds=1))
    outcomes: list[walogs.WalogsError | None] = []
    wal.on_durable(lsn, outcomes.append)

    def report(outcome: BaseException | None) -> None:
        if outcome is not None:
            raise outcome

    wal.on_durable(lsn, report)
    entries: list[tuple[int, bytes]] = wal.read_range(1, max_entries=10, max_bytes=1 << 20)
    assert entries[0][0] == 1
    wal.set_user_data(b"term=1")
    wal.set_user_data(bytearray(b"term=2"))
    blob: bytes = wal.user_data()
    assert blob == b"term=2" and len(blob) <= walogs.MAX_USER_DATA
    deleted: int = wal.purge_up_to(lsn)
    floor: int = wal.purged_up_to()
    assert deleted >= 0 and floor == lsn
    try:
        wal.wait_durable(wal.next_lsn() + 1, timeout=0)
    except walogs.LsnOutOfRangeError:
        pass
    except walogs.WalogsTimeoutError as e:
        waited: tuple[int, int] = (e.lsn, e.durable)
        assert waited[0] > 0


def damage(e: walogs.CorruptError) -> str:
    where: tuple[str | None, int | None] = (e.file, e.offset)
    lsns: tuple[int | None, int | None, int] = (e.last_good_lsn, e.first_lsn_after, e.frames_after)
    return f"{e.kind} {where} {lsns} {e.salvageable}"


def streams(root: Path) -> None:
    hour = datetime.timedelta(hours=1)
    with walogs.Streams(
        root / "streams",
        durability="every_append",
        segment_duration=hour,
        retention=100 * 365 * 24 * 3600,  # nothing here is that old
        max_topic_bytes=None,
        delete_consumed=False,
        cleanup_interval=None,
        max_segment_size=1 << 20,
        file_mode=0o600,
    ) as s:
        lsn: int = s.append("orders", b"one", header=b"k=v", timestamp_ms=1000)
        s.append("orders", bytearray(b"two"), None, None)
        batch: range = s.append_batch(
            "orders", [b"a", (b"b", b"h"), (b"c", None, 5)], timestamp_ms=7
        )
        assert lsn == 1 and list(batch) == [3, 4, 5]
        rec: walogs.Record = s.read("orders", 1)
        fields: tuple[int, bytes, bytes, int] = (rec.lsn, rec.data, rec.header, rec.timestamp_ms)
        assert fields == (1, b"one", b"k=v", 1000)
        recs: list[walogs.Record] = s.read_range("orders", 1, max_records=10, max_bytes=1 << 20)
        names: list[str] = s.topics()
        info: walogs.TopicInfo = s.topic_info("orders")
        first: int = s.seek_time("orders", 0)
        assert len(recs) == 5 and names == ["orders"] and info.next_lsn == 6 and first == 1
        with s.consumer("orders", "billing", mode="strict") as c:
            got: walogs.Record | None = c.next(timeout=0)
            more: list[walogs.Record] = c.next_batch(max_bytes=1 << 20, timeout=None)
            rest: list[walogs.Record] = list(c)
            assert got is not None and len(more) + len(rest) == 4
            state: tuple[int, int, int] = (c.position, c.committed, c.skipped)
            who: tuple[str, str, str, int | None] = (c.topic, c.name, c.mode, c.persist_every)
            assert state == (6, 6, 0) and who == ("orders", "billing", "strict", None)
        alo = s.consumer("orders", "audit", "at_least_once", persist_every=10)
        alo.next(datetime.timedelta(seconds=0))
        alo.commit()
        alo.close()
        infos: list[walogs.ConsumerInfo] = s.consumers()
        assert {i.mode for i in infos} == {"strict", "at_least_once"}
        report: walogs.CleanupReport = s.cleanup()
        per_topic: list[walogs.TopicCleanup] = report.topics
        assert report.records_deleted == 0 and per_topic == []
        s.sync()
        where: str = s.dir
        flags: tuple[bool, bool] = (s.read_only, s.closed)
        assert where and flags == (False, False)
        try:
            s.consumer("nope", "c")
        except walogs.UnknownTopicError as e:
            missing: str = e.topic
            assert missing == "nope"
        try:
            s.read("orders", 100)
        except walogs.LsnOutOfRangeError as e:
            topic: str | None = e.topic
            assert topic == "orders"
    with walogs.Streams(root / "streams", read_only=True) as ro:
        ro.refresh()
        assert ro.read_only and ro.topics() == ["orders"]
    limits: int = walogs.MAX_HEADER + walogs.MAX_TOPIC_NAME + walogs.MAX_CONSUMER_NAME
    assert limits > 0


def main(root: Path) -> int:
    with Wal(root / "a", max_segment_size=None, durability=Durability.EVERY_APPEND) as wal:
        lsns = fill(wal)
        entries = inspect(wal)
        assert list(entries) == list(lsns)
        synced: int = wal.sync()
        wal.rotate()
        removed: int = wal.truncate_after(synced - 3)
        deleted: int = wal.checkpoint(1)
        assert removed == 3 and deleted == 0
        data: bytes = wal.read(1)
        assert data == b"bytes"
        flags: tuple[bool, bool, bool] = (wal.closed, wal.read_only, wal.poisoned)
        assert flags == (False, False, False)
        where: str = wal.path
        assert where == str(root / "a")
    manual = Wal(str(root / "b"), durability="manual", salvage=False, preallocate=False)
    manual.close()
    with Wal(root / "e", file_mode=0o640) as shared:
        log_control(shared)
    timed = Wal(os.fsencode(root / "c"), durability="interval", interval=0.5)
    timed.close()
    later = Wal(root / "d", durability="interval", interval=datetime.timedelta(seconds=1))
    later.close()
    try:
        Wal(root / "a", read_only=True).append(b"x")
    except walogs.ReadOnlyError:
        pass
    try:
        Wal(root / "a").read(10**6)
    except walogs.LsnOutOfRangeError as e:
        bounds: tuple[int, int, int] = (e.lsn, e.first, e.next)
        assert bounds[0] == 10**6
    except walogs.WalogsError:
        raise
    streams(root)
    limit: int = walogs.MAX_ENTRY_SIZE + walogs.MAX_BATCH_SIZE + walogs.DEFAULT_MAX_SEGMENT_SIZE
    return 0 if limit > 0 else 1


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as d:
        sys.exit(main(Path(d)))
