"""Smoke test of an installed walogs, run by scripts/test-python.sh in a fresh venv that has
only the wheel (no Rust toolchain on PATH, no source tree on ``sys.path``).

It checks that the package imports from that venv's site-packages, that the native module
loads there, and that a `Wal` and a `Streams` work end to end: write, close, reopen, read
back. It prints one line and exits 0, or raises. Not collected by pytest (no ``test_``
prefix): the pytest suite runs against the developers' venv.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import walogs
import walogs._walogs


def main() -> None:
    """Run the checks; raise AssertionError (or a walogs error) on the first failure."""
    native = Path(walogs._walogs.__file__).resolve()
    prefix = Path(sys.prefix).resolve()
    assert prefix in native.parents and "site-packages" in native.parts, (
        f"walogs._walogs loaded from {native}, not from the venv at {prefix}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        wal_dir = Path(tmp) / "wal"
        with walogs.Wal(wal_dir) as wal:
            batch = wal.append_batch([b"a", b"b"])
            last = wal.append(b"c")
            wal.set_user_data(b"term=1")
            assert (list(batch), last) == ([1, 2], 3)
        with walogs.Wal(wal_dir, read_only=True) as wal:
            assert list(wal) == [(1, b"a"), (2, b"b"), (3, b"c")]
            assert wal.user_data() == b"term=1"

        store_dir = Path(tmp) / "streams"
        with walogs.Streams(store_dir) as store:
            assert store.append("orders", b"order 1", header=b"k=v") == 1
            assert store.append("orders", b"order 2") == 2
            with store.consumer("orders", "billing") as consumer:
                first = consumer.next()
                assert first is not None and (first.lsn, first.data, first.header) == (
                    1,
                    b"order 1",
                    b"k=v",
                )
        with walogs.Streams(store_dir) as store:
            with store.consumer("orders", "billing") as consumer:
                assert [r.data for r in consumer] == [b"order 2"]
    print(f"smoke OK: walogs {walogs.__version__} from {native}")


if __name__ == "__main__":
    main()
