"""Retention through walogs.Streams.cleanup: by time (with timestamps injected far in the
past), by the size cap (strict consumers forced past and told so), by what every consumer
passed, the segment files it reclaims, and the background cleaner."""

from __future__ import annotations

import datetime
import time
from pathlib import Path

import pytest

import walogs
from walogs import TopicCleanup

LONG_AGO_MS = 1_000  # one second after the Unix epoch: long expired under any retention


def now_ms() -> int:
    return int(time.time() * 1000)


def test_time_retention_deletes_old_records_and_reports(tmp_path: Path) -> None:
    with walogs.Streams(tmp_path / "s", retention=60) as s:
        s.append_batch("old", [b"o%d" % i for i in range(10)], timestamp_ms=LONG_AGO_MS)
        s.append("old", b"recent")
        s.append("fresh", b"f", timestamp_ms=now_ms())
        report = s.cleanup()
        assert report.records_deleted == 10
        assert report.topics == [TopicCleanup("old", 10, 11, [])]
        assert s.topic_info("old") == walogs.TopicInfo("old", 11, 12, len(b"recent"))
        assert s.topic_info("fresh").first_lsn == 1
        with pytest.raises(walogs.LsnOutOfRangeError) as exc:
            s.read("old", 10)
        assert (exc.value.topic, exc.value.first, exc.value.next) == ("old", 11, 12)
        assert s.read("old", 11).data == b"recent"
        assert s.seek_time("old", 0) == 11
        again = s.cleanup()
        assert (again.records_deleted, again.topics) == (0, [])
    with walogs.Streams(tmp_path / "s") as s:  # the deletion is durable
        assert s.topic_info("old").first_lsn == 11
        assert s.append("old", b"next") == 12


def test_retention_as_timedelta_with_segment_windows(tmp_path: Path) -> None:
    hour = datetime.timedelta(hours=1)
    with walogs.Streams(tmp_path / "s", retention=hour, segment_duration=hour) as s:
        s.append("t", b"a", timestamp_ms=LONG_AGO_MS)
        s.append("t", b"b", timestamp_ms=LONG_AGO_MS + 3_600_000)
        s.append("t", b"c")
        report = s.cleanup()
        assert report.records_deleted == 2 and report.topics[0].first_lsn == 3


def test_cleanup_reclaims_segment_files(tmp_path: Path) -> None:
    d = tmp_path / "s"
    with walogs.Streams(d, retention=60, max_segment_size=4096) as s:
        for i in range(40):
            s.append_batch("old", [b"%03d" % i * 40] * 5, timestamp_ms=LONG_AGO_MS)
        s.append("live", b"keep me")
        files_before = {p.name for p in d.glob("wal-*.log")}
        assert len(files_before) > 3
        report = s.cleanup()
        assert report.records_deleted == 200
        assert report.segments_deleted >= 1 and report.bytes_reclaimed > 0
        files_after = {p.name for p in d.glob("wal-*.log")}
        assert len(files_before - files_after) == report.segments_deleted
        assert s.read("live", 1).data == b"keep me"
    with walogs.Streams(d) as s:
        assert s.topic_info("old").first_lsn == 201
        assert s.read("live", 1).data == b"keep me"


def test_a_consumer_on_a_deleted_range_skips_and_says_so(tmp_path: Path) -> None:
    with walogs.Streams(tmp_path / "s", retention=60) as s:
        s.append_batch("t", [b"%d" % i for i in range(6)], timestamp_ms=LONG_AGO_MS)
        s.append("t", b"live")
        c = s.consumer("t", "late", mode="at_least_once", persist_every=1)
        assert c.position == 1
        assert s.cleanup().records_deleted == 6
        rec = c.next()
        assert rec is not None and (rec.lsn, rec.data) == (7, b"live")
        assert c.skipped == 6
        c.close()


def test_time_retention_stops_at_a_strict_consumer(tmp_path: Path) -> None:
    with walogs.Streams(tmp_path / "s", retention=60) as s:
        s.append_batch("t", [b"%d" % i for i in range(6)], timestamp_ms=LONG_AGO_MS)
        with s.consumer("t", "strict") as c:
            c.next_batch(max_bytes=2)  # delivers 1 and 2
            assert c.position == 3
        report = s.cleanup()
        assert report.topics == [TopicCleanup("t", 2, 3, [])]


def test_size_cap_forces_strict_consumers_past_and_names_them(tmp_path: Path) -> None:
    with walogs.Streams(tmp_path / "s", max_topic_bytes=100) as s:
        s.append("t", b"0" * 10)
        c = s.consumer("t", "reader")
        s.append_batch("t", [b"%d" % (i % 10) * 10 for i in range(1, 20)])  # 20 records, 200 bytes
        report = s.cleanup()
        assert report.records_deleted == 10
        assert report.topics == [TopicCleanup("t", 10, 11, ["reader"])]
        assert s.topic_info("t").bytes == 100
        rec = c.next()
        assert rec is not None and rec.lsn == 11
        assert c.skipped == 10
        c.close()


def test_delete_consumed(tmp_path: Path) -> None:
    with walogs.Streams(tmp_path / "s", delete_consumed=True) as s:
        s.append_batch("t", [b"%d" % i for i in range(10)])
        s.append("no-consumers", b"kept")
        with s.consumer("t", "a") as a, s.consumer("t", "b", mode="at_least_once") as b:
            for _ in range(4):
                a.next()
            for _ in range(6):
                b.next()
            b.commit()
        report = s.cleanup()
        assert report.topics == [TopicCleanup("t", 4, 5, [])]
        assert s.topic_info("no-consumers").first_lsn == 1


def test_background_cleaner(tmp_path: Path) -> None:
    with walogs.Streams(tmp_path / "s", retention=1, cleanup_interval=0.01) as s:
        s.append_batch("t", [b"a", b"b"], timestamp_ms=LONG_AGO_MS)
        s.append("t", b"c", timestamp_ms=now_ms() + 3_600_000)
        # Waits for the cleaner's effect, bounded; nothing here measures time.
        for _ in range(6000):
            if s.topic_info("t").first_lsn == 3:
                break
            time.sleep(0.01)
        assert s.topic_info("t").first_lsn == 3
