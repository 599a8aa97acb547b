"""walogs.Streams and walogs.Consumer on bad input and in bad states: each raises the typed
exception its docstring names, with its attributes set, and changes nothing."""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import walogs


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "streams"


@pytest.fixture
def s(store_dir: Path) -> Iterator[walogs.Streams]:
    st = walogs.Streams(store_dir)
    st.append("t", b"one")
    yield st
    st.close()


def test_exception_classes() -> None:
    for cls in (
        walogs.UnknownTopicError,
        walogs.ConsumerModeMismatchError,
        walogs.ConsumerInUseError,
        walogs.NotAStoreError,
        walogs.StoreFormatError,
    ):
        assert issubclass(cls, walogs.WalogsError)
        assert cls.__module__ == "walogs._errors" and cls.__doc__
    assert issubclass(walogs.UnknownTopicError, LookupError)
    assert walogs.LsnOutOfRangeError("x").topic is None  # a plain WAL's has no topic


# ---- names -----------------------------------------------------------------------------------

BAD_NAMES = ["", "x" * (walogs.MAX_TOPIC_NAME + 1), "é" * 128, "a\0b"]


@pytest.mark.parametrize("name", BAD_NAMES, ids=["empty", "256 bytes", "256 utf8 bytes", "nul"])
def test_bad_topic_names_are_refused(s: walogs.Streams, name: str) -> None:
    writes: list[Callable[[], object]] = [
        lambda: s.append(name, b"x"),
        lambda: s.append_batch(name, [b"x"]),
        lambda: s.consumer(name, "c"),
    ]
    for call in writes:
        with pytest.raises(walogs.InvalidArgumentError) as exc:
            call()
        assert isinstance(exc.value, ValueError) and exc.value.reason
    # Lookups refuse the name the same way (no topic can have it).
    lookups: list[Callable[[], object]] = [
        lambda: s.read(name, 1),
        lambda: s.read_range(name, 1),
        lambda: s.topic_info(name),
        lambda: s.seek_time(name, 0),
    ]
    for call in lookups:
        with pytest.raises(walogs.InvalidArgumentError):
            call()
    assert s.topics() == ["t"]


@pytest.mark.parametrize(
    "name", ["", "c" * (walogs.MAX_CONSUMER_NAME + 1), "a\0b"], ids=["empty", "256", "nul"]
)
def test_bad_consumer_names_are_refused(s: walogs.Streams, name: str) -> None:
    with pytest.raises(walogs.InvalidArgumentError):
        s.consumer("t", name)
    assert s.consumers() == []


def test_longest_names_work(s: walogs.Streams) -> None:
    topic = "é" * 127 + "x"  # 255 bytes
    assert len(topic.encode()) == walogs.MAX_TOPIC_NAME
    s.append(topic, b"x")
    s.consumer(topic, "c" * walogs.MAX_CONSUMER_NAME).close()
    assert s.consumers()[0].name == "c" * 255


# ---- sizes -------------------------------------------------------------------------------

@pytest.mark.parametrize("make", [bytes, bytearray], ids=["bytes", "bytearray"])
def test_header_over_the_limit(s: walogs.Streams, make: Callable[[bytes], Any]) -> None:
    big = make(b"h" * (walogs.MAX_HEADER + 1))
    with pytest.raises(walogs.EntryTooLargeError) as exc:
        s.append("t", b"x", header=big)
    assert (exc.value.size, exc.value.max) == (walogs.MAX_HEADER + 1, walogs.MAX_HEADER)
    assert isinstance(exc.value, ValueError)
    with pytest.raises(walogs.EntryTooLargeError):
        s.append_batch("t", [b"ok", (b"x", big)])
    assert s.topic_info("t").next_lsn == 2  # nothing written, not even the batch's first


def test_data_over_the_entry_limit(s: walogs.Streams) -> None:
    with pytest.raises(walogs.EntryTooLargeError):
        s.append("t", bytearray(walogs.MAX_ENTRY_SIZE + 1))
    assert s.topic_info("t").next_lsn == 2


def test_zero_limits(s: walogs.Streams) -> None:
    c = s.consumer("t", "c")
    with pytest.raises(walogs.InvalidArgumentError):
        c.next_batch(max_bytes=0)
    assert c.position == 1  # nothing delivered
    with pytest.raises(walogs.InvalidArgumentError):
        s.append_batch("t", [])
    c.close()


# ---- topics and LSNs ---------------------------------------------------------------------


def test_unknown_topic(s: walogs.Streams) -> None:
    for call in (
        lambda: s.read("nope", 1),
        lambda: s.read_range("nope", 1),
        lambda: s.topic_info("nope"),
        lambda: s.seek_time("nope", 0),
        lambda: s.consumer("nope", "c"),
    ):
        with pytest.raises(walogs.UnknownTopicError) as exc:
            call()
        assert exc.value.topic == "nope"
        assert isinstance(exc.value, LookupError)


@pytest.mark.parametrize("lsn", [0, 2, 100])
def test_lsn_out_of_range(s: walogs.Streams, lsn: int) -> None:
    with pytest.raises(walogs.LsnOutOfRangeError) as exc:
        s.read("t", lsn)
    e = exc.value
    assert (e.topic, e.lsn, e.first, e.next) == ("t", lsn, 1, 2)
    assert isinstance(e, IndexError)


def test_read_range_outside_the_topic(s: walogs.Streams) -> None:
    with pytest.raises(walogs.LsnOutOfRangeError) as exc:
        s.read_range("t", 5)
    assert (exc.value.topic, exc.value.lsn) == ("t", 5)


# ---- consumers ---------------------------------------------------------------------------


def test_mode_mismatch(s: walogs.Streams) -> None:
    s.consumer("t", "c", mode="strict").close()
    with pytest.raises(walogs.ConsumerModeMismatchError) as exc:
        s.consumer("t", "c", mode="at_least_once", persist_every=10)
    e = exc.value
    assert (e.topic, e.consumer, e.existing, e.requested) == ("t", "c", "strict", "at_least_once")
    s.consumer("t", "a", mode="at_least_once").close()
    with pytest.raises(walogs.ConsumerModeMismatchError) as exc:
        s.consumer("t", "a")
    assert (exc.value.existing, exc.value.requested) == ("at_least_once", "strict")
    # persist_every may change.
    s.consumer("t", "a", mode="at_least_once", persist_every=3).close()


def test_consumer_in_use(s: walogs.Streams) -> None:
    c = s.consumer("t", "c")
    with pytest.raises(walogs.ConsumerInUseError) as exc:
        s.consumer("t", "c")
    assert (exc.value.topic, exc.value.consumer) == ("t", "c")
    s.consumer("t", "other").close()  # another name is fine
    c.close()


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"mode": "sometimes"}, walogs.InvalidArgumentError, "unknown consumer mode 'sometimes'"),
        ({"mode": "STRICT"}, walogs.InvalidArgumentError, "unknown consumer mode"),
        ({"mode": 1}, TypeError, "mode must be"),
        ({"mode": "at_least_once", "persist_every": 0}, walogs.InvalidArgumentError, "persist"),
        ({"mode": "at_least_once", "persist_every": -1}, walogs.InvalidArgumentError, "between"),
        ({"mode": "at_least_once", "persist_every": 2**32}, walogs.InvalidArgumentError, "2\\*\\*32"),
        ({"mode": "at_least_once", "persist_every": "5"}, TypeError, "persist_every must be an int"),
        ({"mode": "strict", "persist_every": 5}, walogs.InvalidArgumentError, "only meaningful"),
    ],
)
def test_bad_consumer_modes(
    s: walogs.Streams, kwargs: dict[str, Any], exc: type[Exception], match: str
) -> None:
    with pytest.raises(exc, match=match):
        s.consumer("t", "c", **kwargs)
    assert s.consumers() == []


# ---- types -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda s: s.append(b"t", b"x"), "topic must be a str, not bytes"),
        (lambda s: s.append(None, b"x"), "topic must be a str, not NoneType"),
        (lambda s: s.append("t", "text"), "data must be a bytes-like object, not str"),
        (lambda s: s.append("t", 5), "data must be a bytes-like object"),
        (lambda s: s.append("t", b"x", header="h"), "header must be a bytes-like object"),
        (lambda s: s.append("t", b"x", timestamp_ms="1"), "timestamp_ms must be an int"),
        (lambda s: s.append("t", b"x", timestamp_ms=True), "timestamp_ms must be an int"),
        (lambda s: s.append("t", b"x", timestamp_ms=1.5), "timestamp_ms must be an int"),
        (lambda s: s.append_batch("t", b"xy"), "not a single bytes"),
        (lambda s: s.append_batch("t", 5), "items must be an iterable"),
        (lambda s: s.append_batch("t", [1]), "items\\[0\\] must be a bytes-like"),
        (lambda s: s.append_batch("t", [(b"x",)]), "items\\[0\\] must be \\(data, header\\)"),
        (lambda s: s.append_batch("t", [(b"x", b"h", 1, 2)]), "tuple of 4"),
        (lambda s: s.append_batch("t", [(b"x", "h")]), "items\\[0\\]\\[1\\] must be a bytes"),
        (lambda s: s.append_batch("t", [(b"x", None, "1")]), "items\\[0\\]\\[2\\] must be an int"),
        (lambda s: s.read("t", "1"), "lsn must be an int"),
        (lambda s: s.read_range("t", 1, max_records=None), "max_records must be an int"),
        (lambda s: s.seek_time("t", 1.0), "t_ms must be an int"),
        (lambda s: s.consumer("t", 5), "name must be a str"),
        (lambda s: walogs.Streams(5), "path must be a str, bytes or os.PathLike"),
        (lambda s: walogs.Streams("x", retention="1d"), "retention must be a number of seconds"),
        (lambda s: walogs.Streams("x", durability=1), "durability must be"),
        (lambda s: walogs.Streams("x", max_topic_bytes=1.5), "max_topic_bytes must be an int"),
    ],
)
def test_wrong_types_are_type_errors(
    s: walogs.Streams, call: Callable[[walogs.Streams], object], match: str
) -> None:
    with pytest.raises(TypeError, match=match):
        call(s)
    assert s.topic_info("t").next_lsn == 2


def test_consumer_wrong_types(s: walogs.Streams) -> None:
    with s.consumer("t", "c") as c:
        with pytest.raises(TypeError, match="timeout must be a number of seconds"):
            c.next(timeout="1")
        with pytest.raises(TypeError, match="max_bytes must be an int"):
            c.next_batch(max_bytes=1.0)
        with pytest.raises(walogs.InvalidArgumentError, match="timeout must be a finite"):
            c.next(timeout=-1)
        with pytest.raises(walogs.InvalidArgumentError, match="max_bytes must be between"):
            c.next_batch(max_bytes=-1)
        assert c.position == 1
        # A timedelta is a timeout too.
        rec = c.next(timeout=datetime.timedelta(0))
        assert rec is not None and rec.lsn == 1


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"retention": -1}, "retention must be a finite number of seconds >= 0"),
        ({"segment_duration": -0.5}, "segment_duration must be a finite"),
        ({"cleanup_interval": datetime.timedelta(seconds=-1)}, "cleanup_interval must be a finite"),
        ({"retention": float("nan")}, "finite"),
        ({"max_topic_bytes": -1}, "max_topic_bytes must be between"),
        ({"max_segment_size": 0}, "max_segment_size must be >= 1"),
        ({"durability": "sometimes"}, "unknown durability"),
        ({"durability": "interval"}, "needs interval="),
        ({"durability": "manual", "interval": 1}, "only meaningful"),
        ({"file_mode": -1}, "file_mode must be between"),
    ],
)
def test_bad_option_values(tmp_path: Path, kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(walogs.InvalidArgumentError, match=match) as exc:
        walogs.Streams(tmp_path / "s", **kwargs)
    assert isinstance(exc.value, ValueError) and exc.value.reason
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda s: s.append("t", b"x", timestamp_ms=-1), "timestamp_ms must be between"),
        (lambda s: s.read("t", -1), "lsn must be between"),
        (lambda s: s.read_range("t", 1, max_bytes=-1), "max_bytes must be between"),
        (lambda s: s.seek_time("t", 2**64), "t_ms must be between"),
    ],
)
def test_negative_numbers_are_invalid_arguments(
    s: walogs.Streams, call: Callable[[walogs.Streams], object], match: str
) -> None:
    with pytest.raises(walogs.InvalidArgumentError, match=match):
        call(s)


# ---- closed ------------------------------------------------------------------------------


def test_every_call_after_close_raises_closed(store_dir: Path) -> None:
    s = walogs.Streams(store_dir)
    s.append("t", b"x")
    c = s.consumer("t", "c")
    s.close()
    s.close()  # idempotent
    calls: list[Callable[[], object]] = [
        lambda: s.append("t", b"x"),
        lambda: s.append_batch("t", [b"x"]),
        lambda: s.read("t", 1),
        lambda: s.read_range("t", 1),
        s.topics,
        lambda: s.topic_info("t"),
        lambda: s.seek_time("t", 0),
        lambda: s.consumer("t", "d"),
        s.consumers,
        s.cleanup,
        s.sync,
        s.refresh,
        s.__enter__,
        c.next,
        c.next_batch,
        c.commit,
    ]
    for call in calls:
        with pytest.raises(walogs.ClosedError):
            call()
    assert s.closed and os.path.basename(s.dir) == "streams"
    c.close()  # strict: nothing left to commit, so closing it after the store is fine
    assert c.closed
    c.close()  # idempotent
    s2 = walogs.Streams(store_dir)
    a = s2.consumer("t", "a", mode="at_least_once", persist_every=10)
    assert a.next() is not None
    s2.close()
    with pytest.raises(walogs.ClosedError):  # it could not persist its position: the store closed first
        a.close()
    assert a.closed


def test_calls_on_a_closed_consumer_raise_closed(s: walogs.Streams) -> None:
    c = s.consumer("t", "c")
    c.close()
    for call in (c.next, c.next_batch, c.commit, c.__enter__, lambda: list(c)):
        with pytest.raises(walogs.ClosedError):
            call()
    for prop in ("position", "committed", "skipped"):
        with pytest.raises(walogs.ClosedError):
            getattr(c, prop)
    assert (c.topic, c.name, c.mode, c.closed) == ("t", "c", "strict", True)


# ---- stores ------------------------------------------------------------------------------


def test_a_plain_wal_is_not_a_store(tmp_path: Path) -> None:
    d = tmp_path / "plain"
    with walogs.Wal(d) as wal:
        wal.append(b"not a streams entry")
    with pytest.raises(walogs.NotAStoreError) as exc:
        walogs.Streams(d)
    assert exc.value.reason and Path(exc.value.path).name == "plain"
    with walogs.Wal(d) as wal:  # untouched
        assert wal.read(1) == b"not a streams entry"


def test_an_entry_that_does_not_decode_is_a_format_error(tmp_path: Path) -> None:
    d = tmp_path / "store"
    with walogs.Streams(d) as s:
        s.append("t", b"x")
    with walogs.Wal(d) as wal:  # another program writes into the store's log
        bad = wal.append(b"\xffnot a streams entry")
    with pytest.raises(walogs.StoreFormatError) as exc:
        walogs.Streams(d)
    assert exc.value.log_lsn == bad and exc.value.reason
