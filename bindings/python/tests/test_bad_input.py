"""Bad input: wrong types raise TypeError with a clear message, wrong values ValueError, and
nothing is written; no input crashes the interpreter."""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import walogs


@pytest.mark.parametrize(
    ("value", "shown"),
    [("text", "str"), (None, "NoneType"), (12, "int"), ([b"a"], "list"), (object(), "object")],
)
def test_append_wrong_type(wal: walogs.Wal, value: Any, shown: str) -> None:
    with pytest.raises(TypeError, match=f"data must be a bytes-like object.*{shown}"):
        wal.append(value)
    assert wal.next_lsn() == 1


def test_append_str_suggests_encoding(wal: walogs.Wal) -> None:
    with pytest.raises(TypeError, match=r"encode"):
        wal.append("text")  # type: ignore[arg-type]


@pytest.mark.parametrize("entries", [b"abc", bytearray(b"abc"), memoryview(b"abc"), "abc"])
def test_batch_of_a_single_buffer_is_refused(wal: walogs.Wal, entries: Any) -> None:
    with pytest.raises(TypeError, match="iterable of bytes-like objects, not a single"):
        wal.append_batch(entries)
    assert wal.next_lsn() == 1


def test_batch_not_iterable(wal: walogs.Wal) -> None:
    with pytest.raises(TypeError, match="iterable of bytes-like objects, not int"):
        wal.append_batch(5)  # type: ignore[arg-type]


def test_batch_with_a_bad_item_names_it_and_writes_nothing(wal: walogs.Wal) -> None:
    for atomic in (True, False):
        with pytest.raises(TypeError, match=r"entries\[2\] must be a bytes-like object"):
            wal.append_batch([b"a", b"b", 3], atomic=atomic)  # type: ignore[list-item]
    assert wal.next_lsn() == 1


def test_batch_iterable_that_raises_writes_nothing(wal: walogs.Wal) -> None:
    def gen() -> Iterator[bytes]:
        yield b"a"
        raise RuntimeError("source failed")

    with pytest.raises(RuntimeError, match="source failed"):
        wal.append_batch(gen())
    assert wal.next_lsn() == 1
    assert list(wal) == []


LSN_METHODS = ["read", "iter_from", "checkpoint", "truncate_after", "purge_up_to", "wait_durable"]


@pytest.mark.parametrize("method", LSN_METHODS)
@pytest.mark.parametrize("value", ["1", 1.0, None, True, b"1"])
def test_lsn_wrong_type(wal: walogs.Wal, method: str, value: Any) -> None:
    wal.append(b"a")
    with pytest.raises(TypeError, match="lsn must be an int"):
        getattr(wal, method)(value)
    assert list(wal) == [(1, b"a")]


@pytest.mark.parametrize("method", LSN_METHODS)
@pytest.mark.parametrize("value", [-1, 2**64, -(2**70)])
def test_lsn_out_of_u64(wal: walogs.Wal, method: str, value: int) -> None:
    wal.append(b"a")
    with pytest.raises(ValueError, match="lsn must be between 0 and 2\\*\\*64-1"):
        getattr(wal, method)(value)
    assert list(wal) == [(1, b"a")]


@pytest.mark.parametrize("path", [123, None, 1.5, [b"x"]])
def test_path_wrong_type(path: Any) -> None:
    with pytest.raises(TypeError, match="path must be a str, bytes or os.PathLike"):
        walogs.Wal(path)


def test_path_fspath_that_raises_propagates_its_exception(tmp_path: Path) -> None:
    """As with open(): the exception of the object's own __fspath__ is not replaced."""
    error = RuntimeError("no path today")

    class Bad:
        def __fspath__(self) -> str:
            raise error

    with pytest.raises(RuntimeError) as exc:
        walogs.Wal(Bad())  # type: ignore[arg-type]
    assert exc.value is error
    with pytest.raises(RuntimeError) as exc_open:
        open(Bad())  # type: ignore[call-overload]
    assert exc_open.value is error

    class Raises(os.PathLike[str]):
        def __fspath__(self) -> str:
            raise TypeError("my own TypeError")

    with pytest.raises(TypeError, match="^my own TypeError$"):
        walogs.Wal(Raises())
    assert list(tmp_path.iterdir()) == []


def test_path_fspath_returning_a_wrong_type(tmp_path: Path) -> None:
    class Wrong:
        def __fspath__(self) -> int:
            return 5

    with pytest.raises(TypeError, match=r"Wrong.__fspath__\(\) to return str or bytes, not int"):
        walogs.Wal(Wrong())  # type: ignore[arg-type]


def test_empty_path() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        walogs.Wal("")


@pytest.mark.parametrize("path", ["a\0b", b"a\0b"])
def test_a_path_with_a_nul_byte_is_an_invalid_argument(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: "str | bytes"
) -> None:
    """As in Go and as Python's own os functions (ValueError): C would see a shorter name."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(walogs.InvalidArgumentError, match="NUL byte"):
        walogs.Wal(path)
    with pytest.raises(walogs.InvalidArgumentError, match="NUL byte"):
        walogs.Streams(path)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    ("kwargs", "exc", "pattern"),
    [
        ({"durability": 1}, TypeError, "durability must be a walogs.Durability"),
        ({"durability": None}, TypeError, "durability must be a walogs.Durability"),
        ({"durability": "sometimes"}, ValueError, "unknown durability 'sometimes'"),
        ({"durability": "interval"}, ValueError, "needs interval="),
        ({"durability": "manual", "interval": 1.0}, ValueError, "only meaningful"),
        ({"durability": "interval", "interval": -1.0}, ValueError, "finite number of seconds"),
        ({"durability": "interval", "interval": float("nan")}, ValueError, "finite"),
        ({"durability": "interval", "interval": float("inf")}, ValueError, "finite"),
        ({"durability": "interval", "interval": "1"}, TypeError, "interval must be a number"),
        ({"durability": "interval", "interval": True}, TypeError, "not bool"),
        ({"max_segment_size": "big"}, TypeError, "max_segment_size must be an int, not str"),
        ({"max_segment_size": 1.5}, TypeError, "max_segment_size must be an int"),
        ({"max_segment_size": 0}, ValueError, "use None to never rotate"),
        ({"max_segment_size": -5}, ValueError, "max_segment_size must be between"),
        ({"read_only": "yes"}, TypeError, "read_only"),
        ({"salvage": 1}, TypeError, "salvage"),
        ({"preallocate": None}, TypeError, "preallocate"),
        ({"file_mode": "0o640"}, TypeError, "file_mode must be an int, not str"),
        ({"file_mode": 0o640 + 0.5}, TypeError, "file_mode must be an int"),
        ({"file_mode": True}, TypeError, "file_mode must be an int, not bool"),
        ({"file_mode": -1}, ValueError, "file_mode must be between 0 and"),
        ({"file_mode": 2**40}, ValueError, "file_mode must be permission bits"),
        ({"bogus": 1}, TypeError, "bogus"),
    ],
)
def test_bad_options(wal_dir: Path, kwargs: dict[str, Any], exc: type, pattern: str) -> None:
    with pytest.raises(exc, match=pattern):
        walogs.Wal(wal_dir, **kwargs)
    assert not wal_dir.exists()  # refused before touching the disk


def test_options_are_keyword_only(wal_dir: Path) -> None:
    with pytest.raises(TypeError):
        walogs.Wal(wal_dir, 1024)  # type: ignore[misc]


def test_batch_atomic_is_keyword_only_and_bool(wal: walogs.Wal) -> None:
    with pytest.raises(TypeError):
        wal.append_batch([b"a"], False)  # type: ignore[misc]
    with pytest.raises(TypeError):
        wal.append_batch([b"a"], atomic="no")  # type: ignore[arg-type]
    assert wal.next_lsn() == 1


def test_wrong_arity(wal: walogs.Wal) -> None:
    with pytest.raises(TypeError):
        wal.append()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        wal.append(b"a", b"b")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        wal.read()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        walogs.Wal()  # type: ignore[call-arg]


def test_cannot_subclass_or_pickle(wal: walogs.Wal) -> None:
    import pickle

    with pytest.raises(TypeError):
        type("Sub", (walogs.Wal,), {})
    with pytest.raises(TypeError):
        pickle.dumps(wal)


def test_many_odd_objects_never_crash(wal: walogs.Wal) -> None:
    odd: list[Any] = [
        None, 0, -1, 2**200, 1.5, float("nan"), "", "x", b"", bytearray(), memoryview(b""),
        [], (), {}, set(), object(), wal, iter([]), datetime.timedelta(1), type, ..., NotImplemented,
    ]
    calls = ["append", "read", "iter_from", "checkpoint", "truncate_after", "append_batch"]
    for name in calls:
        for value in odd:
            try:
                getattr(wal, name)(value)
            except (TypeError, ValueError, walogs.WalogsError):
                pass
    assert wal.next_lsn() in (1, 2, 3)  # only b"" and memoryview(b"") are valid entries
