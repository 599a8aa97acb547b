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
