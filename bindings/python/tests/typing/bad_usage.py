"""Misuses the stubs must reject (test_typing.py expects exactly these mypy errors)."""

from __future__ import annotations

import walogs

wal = walogs.Wal("/tmp/never-opened")
wal.append("text")  # E: str is not a buffer
wal.append_batch(b"abc")  # E: a single bytes object is an Iterable[int], not of buffers
wal.read("1")  # E: lsn must be an int
walogs.Wal(123)  # E: not a path
walogs.Wal("/tmp/x", durability="sometimes")  # E: unknown durability
walogs.Wal("/tmp/x", 1024)  # E: options are keyword-only
name: int = wal.path  # E: path is a str
wal.on_durable(1, lambda: None)  # E: the callback takes the outcome
wal.wait_durable(1, timeout="1")  # E: timeout is seconds or a timedelta
pairs: list[bytes] = wal.read_range(1, 10, 100)  # E: read_range gives (lsn, data) pairs
walogs.Wal("/tmp/x", file_mode="0o640")  # E: file_mode is an int
wal.set_user_data("text")  # E: str is not a buffer
s = walogs.Streams("/tmp/never-opened-streams")
s.append(b"topic", b"x")  # E: a topic is a str
s.append("t", "text")  # E: str is not a buffer
s.consumer("t", "c", mode="sometimes")  # E: unknown consumer mode
s.read("t", 1).lsn = 2  # E: records are immutable
walogs.Streams("/tmp/x", "manual")  # E: options are keyword-only
lsns: list[int] = s.append_batch("t", [b"a"])  # E: a batch gives a range
s.consumer("t", "c").next(timeout="1")  # E: timeout is seconds or a timedelta
s.append_batch("t", [(b"x", b"h", "ts")])  # E: a timestamp is an int
