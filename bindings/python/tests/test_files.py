"""File-system safety through the binding: an entry planted under a walogs file name (a link
to a file outside the WAL, a FIFO, a socket, a second hard link outside the WAL) is refused
with ``UnsafeFileError`` or, where walogs never writes it, left alone; the file outside keeps
its bytes and time; nothing blocks. Created files are private whatever the umask, for the
log and the streams store."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import pytest

import walogs

# (name, kind, a read-only open opens, a writable open opens); kind: "l" link, "f" FIFO,
# "s" socket, "h" second hard link outside the WAL.
PLANTED = [
    ("wal-000002.log", "l", False, False),
    ("wal-000001.log", "l", False, False),
    ("walogs.lock", "l", True, False),
    ("walogs.meta", "l", False, False),
    ("walogs.user", "l", False, False),
    ("wal.log", "l", False, False),
    ("wal-000002.log", "f", False, False),
    ("walogs.meta", "f", False, False),
    ("walogs.user", "f", False, False),
    ("walogs.lock", "f", True, False),
    ("wal.log", "f", False, False),
    ("wal-000002.log", "s", False, False),
    ("wal-000002.log", "h", True, False),
    ("walogs.lock", "h", True, False),
    ("walogs.user", "h", True, False),
    ("walogs.meta", "h", True, True),  # replaced by a rename, never written
]


def _populate(d: Path) -> None:
    with walogs.Wal(d) as w:
        w.append(b"one")
        w.set_user_data(b"u")
        w.rotate()
        w.append(b"two")


def _snapshot(p: Path) -> tuple[bytes, int]:
    return p.read_bytes(), p.stat().st_mtime_ns


@pytest.mark.parametrize(("name", "kind", "ro_opens", "rw_opens"), PLANTED)
def test_planted_entries_are_refused_or_left_alone(
    tmp_path: Path, name: str, kind: str, ro_opens: bool, rw_opens: bool
) -> None:
    d = tmp_path / "wal"
    if name == "wal.log":
        d.mkdir()
    else:
        _populate(d)
    p = d / name
    outside = tmp_path / "outside"
    if kind == "h":
        os.link(p, outside)
    else:
        outside.write_bytes(b"precious" * 100)
        if os.path.lexists(p):
            p.unlink()
        if kind == "l":
            p.symlink_to(outside)
        elif kind == "f":
            os.mkfifo(p, 0o600)
        else:
            with socket.socket(socket.AF_UNIX) as s:
                s.bind(str(p))
    entry = os.lstat(p)
    before = _snapshot(outside)
    for read_only, opens in ((True, ro_opens), (False, rw_opens)):
        if opens:
            with walogs.Wal(d, read_only=read_only) as w:
                if not read_only:
                    w.rotate()  # writes walogs.meta
        else:
            with pytest.raises(walogs.UnsafeFileError) as exc:
                walogs.Wal(d, read_only=read_only)
            assert exc.value.path == str(p)
        assert _snapshot(outside) == before
    if (name, kind) != ("walogs.meta", "h"):
        after = os.lstat(p)
        assert (after.st_ino, stat.S_IFMT(after.st_mode)) == (entry.st_ino, stat.S_IFMT(entry.st_mode))


@pytest.mark.parametrize("umask", [0o000, 0o077])
def test_created_files_are_private_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        _populate(tmp_path / "wal")
        with walogs.Streams(tmp_path / "streams") as s:
            s.append("t", b"x")
    finally:
        os.umask(old)
    for d in (tmp_path / "wal", tmp_path / "streams"):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in d.iterdir()}
        assert len(modes) >= 2 and set(modes.values()) == {0o600}, modes


def test_a_streams_segment_that_links_outside_is_refused(tmp_path: Path) -> None:
    d = tmp_path / "streams"
    with walogs.Streams(d) as s:
        s.append("t", b"x")
    seg = d / "wal-000001.log"
    outside = tmp_path / "outside"
    seg.rename(outside)
    seg.symlink_to(outside)
    before = _snapshot(outside)
    for read_only in (False, True):
        with pytest.raises(walogs.UnsafeFileError):
            walogs.Streams(d, read_only=read_only)
    assert _snapshot(outside) == before and seg.is_symlink()
