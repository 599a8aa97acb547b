#!/usr/bin/env python3
"""Durable appends per second: walogs from Python vs the same appends from Rust, vs sqlite3
(WAL mode, synchronous=FULL), vs raw os.write + os.fdatasync, and several threads vs one
thread (group commit), all on the same disk in the same run.

Usage:
    python bench/bench.py [--quick] [--count N] [--payload BYTES] [--threads T]
                          [--rounds R] [--dir DIR] [--strict]

Every workload makes each entry durable before the call returns: walogs with its default
options (one write + one fdatasync per append, shared between concurrent threads), sqlite3
with one INSERT per transaction (autocommit). The Rust side is bench/rust-baseline, built here
with `cargo build --release`: it opens the WAL with the same options as `walogs.Wal(DIR)` and
appends the same payloads through the same SharedWal the Python binding wraps; only the
appends are timed, on both sides.

Method: every workload is opened once (its own directory, its own WAL, database or file; the
Rust baseline is one long-running process taking one measurement per request), then the
workloads take turns, `--count` appends each (twice that for the threaded ones), in each of
`--rounds` rounds, the order reversed every other round (ABBA). Each measurement is short and
its neighbours run right before and after it, so a slow moment of a shared disk hits all of
them alike. A rate is the median over the rounds; a ratio is the median of the per-round
ratios (robust to the disk drifting during the run). The table ends with PASS/MISS against
the targets. --quick (CI) runs tiny counts: its figures show that everything works, not how
fast. Exit status: 0, or 1 with --strict when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import walogs

HERE = Path(__file__).resolve().parent
CRATE = HERE.parent


def cargo_target_dir() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR", CRATE / "target")).resolve()


def build_rust_baseline() -> Path:
    """Build bench/rust-baseline (release) and return the binary's path."""
    target = cargo_target_dir()
    subprocess.run(
        [
            "cargo",
            "build",
            "--release",
            "--quiet",
            "--manifest-path",
            str(CRATE / "Cargo.toml"),
            "-p",
            "walogs-python-rust-baseline",
        ],
        check=True,
    )
    binary = target / "release" / "walogs-rust-baseline"
    if not binary.is_file():
        sys.exit(f"bench: {binary} was not built (is CARGO_TARGET_DIR the same as cargo's?)")
    return binary


def make_payload(size: int) -> bytes:
    """Bytes 0, 1, ..., 255, 0, 1, ...: the payload the Rust baseline appends too."""
    return bytes(i % 256 for i in range(size))


def _run_threads(threads: int, work: Callable[[int], None]) -> float:
    """Run `work(i)` in `threads` threads started together; seconds until all finished."""
    errors: list[BaseException] = []
    start = threading.Barrier(threads + 1)

    def body(i: int) -> None:
        try:
            start.wait()
            work(i)
        except BaseException as e:  # noqa: BLE001 - re-raised below
            errors.append(e)

    ts = [threading.Thread(target=body, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in ts:
        t.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return elapsed


class Workload:
    """One kind of durable appends, opened once; `run(n)` appends `n` entries and returns the
    rate in appends per second. Every workload is used for many short measurements in turn."""

    def __init__(self, key: str, label: str, threads: int) -> None:
        self.key, self.label, self.threads = key, label, threads

    def run(self, n: int) -> float:
        raise NotImplementedError

    def close(self) -> None:
        pass


class RustWalogs(Workload):
    """bench/rust-baseline, serving one measurement per line of its stdin."""

    def __init__(self, key: str, label: str, threads: int, binary: Path, d: Path, size: int):
        super().__init__(key, label, threads)
        self.proc = subprocess.Popen(
            [str(binary), str(d), str(size), str(threads)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(self, n: int) -> float:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{n}\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        key, _, value = line.strip().partition("=")
        if key != "appends_per_sec":
            raise RuntimeError(f"the Rust baseline failed (output {line!r})")
        return float(value)

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        if self.proc.wait(60) != 0:
            raise RuntimeError(f"the Rust baseline exited with {self.proc.returncode}")


class PythonWalogs(Workload):
    """`wal.append(payload)` from `threads` Python threads on one `walogs.Wal`."""

    def __init__(self, key: str, label: str, threads: int, d: Path, payload: bytes):
        super().__init__(key, label, threads)
        self.wal = walogs.Wal(d)
        self.payload = payload

    def run(self, n: int) -> float:
        wal, payload = self.wal, self.payload
        before = wal.next_lsn()
        if self.threads == 1:
            append = wal.append
            t0 = time.perf_counter()
            for _ in range(n):
                append(payload)
            elapsed = time.perf_counter() - t0
        else:
            per = n // self.threads

            def work(_: int) -> None:
                append = wal.append
                for _ in range(per):
                    append(payload)

            elapsed = _run_threads(self.threads, work)
        assert wal.durable_lsn() == wal.next_lsn() - 1 == before + n - 1
        return n / elapsed

    def close(self) -> None:
        self.wal.close()


class RawFdatasync(Workload):
    """os.write + os.fdatasync per entry (with a 16-byte header, like a walogs frame) on a
    growing file: what a hand-written Python log would do."""

    def __init__(self, key: str, label: str, d: Path, payload: bytes):
        super().__init__(key, label, 1)
        d.mkdir()
        self.fd = os.open(d / "raw.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self.frame = b"\0" * 16 + payload

    def run(self, n: int) -> float:
        fd, frame = self.fd, self.frame
        t0 = time.perf_counter()
        for _ in range(n):
            os.write(fd, frame)
            os.fdatasync(fd)
        return n / (time.perf_counter() - t0)

    def close(self) -> None:
        os.close(self.fd)


def _sqlite_connect(db: Path) -> sqlite3.Connection:
    con = sqlite3.connect(db, isolation_level=None, timeout=60, check_same_thread=False)
    mode = con.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    assert mode == "wal", mode
    con.execute("PRAGMA synchronous=FULL")
    assert con.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    return con


class SqliteWalFull(Workload):
    """One INSERT per transaction (autocommit), journal_mode=WAL, synchronous=FULL; with
    several threads, one connection each (SQLite serialises their commits)."""

    def __init__(self, key: str, label: str, threads: int, d: Path, payload: bytes):
        super().__init__(key, label, threads)
        d.mkdir()
        self.check = _sqlite_connect(d / "bench.db")
        self.check.execute("CREATE TABLE log (lsn INTEGER PRIMARY KEY, data BLOB NOT NULL)")
        self.cons = [_sqlite_connect(d / "bench.db") for _ in range(threads)]
        self.payload = payload

    def run(self, n: int) -> float:
        per = n // self.threads
        before = self.check.execute("SELECT count(*) FROM log").fetchone()[0]

        def work(i: int) -> None:
            con, payload = self.cons[i], self.payload
            for _ in range(per):
                con.execute("INSERT INTO log (data) VALUES (?)", (payload,))

        elapsed = _run_threads(self.threads, work)
        assert self.check.execute("SELECT count(*) FROM log").fetchone()[0] == before + n
        return n / elapsed

    def close(self) -> None:
        for c in [self.check, *self.cons]:
            c.close()


@dataclass
class Target:
    label: str
    num: str
    den: str
    minimum: float | None  # None: shown for information


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="tiny run for CI (figures indicative)")
    ap.add_argument("--count", type=int, help="appends per 1-thread measurement (default 500)")
    ap.add_argument("--payload", type=int, default=128, help="bytes per entry (default 128)")
    ap.add_argument("--threads", type=int, default=8, help="threads for the group-commit runs")
    ap.add_argument("--rounds", type=int, help="interleaved rounds, median taken (default 21)")
    ap.add_argument(
        "--dir", type=Path, default=cargo_target_dir(), help="where the WALs go (cargo's target/)"
    )
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = ap.parse_args()
    count = args.count or (100 if args.quick else 500)
    rounds = args.rounds or (5 if args.quick else 21)
    t = args.threads
    if count < 1 or rounds < 1 or t < 2 or args.payload < 0:
        ap.error("need --count >= 1, --rounds >= 1, --threads >= 2, --payload >= 0")

    binary = build_rust_baseline()
    payload = make_payload(args.payload)
    multi = max(t, count * 2 // t * t)  # group commit: twice as many, a multiple of t
    args.dir.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="walogs-bench-", dir=args.dir))
    size = len(payload)
    one, many = "1 thread", f"{t} threads"
    specs: list[tuple[Callable[[], Workload], int]] = [
        (lambda: RustWalogs("rust1", f"rust   walogs           {one}", 1, binary, root / "r1", size), count),
        (lambda: PythonWalogs("py1", f"python walogs           {one}", 1, root / "p1", payload), count),
        (lambda: SqliteWalFull("sq1", f"python sqlite3 WAL FULL {one}", 1, root / "s1", payload), count),
        (lambda: RawFdatasync("raw1", f"python write+fdatasync  {one}", root / "w1", payload), count),
        (lambda: RustWalogs("rustT", f"rust   walogs           {many}", t, binary, root / "rT", size), multi),
        (lambda: PythonWalogs("pyT", f"python walogs           {many}", t, root / "pT", payload), multi),
        (lambda: SqliteWalFull("sqT", f"python sqlite3 WAL FULL {many}", t, root / "sT", payload), multi),
    ]
    targets = [
        Target("python / rust, 1 thread", "py1", "rust1", 0.95),
        Target(f"python / rust, {t} threads", "pyT", "rustT", 0.95),
        Target("python / sqlite3 WAL FULL, 1 thread", "py1", "sq1", 2.0),
        Target(f"python / sqlite3 WAL FULL, {t} threads", "pyT", "sqT", 2.0),
        Target(f"python {t} threads / 1 thread (group commit)", "pyT", "py1", 2.0),
        Target(f"rust {t} threads / 1 thread (group commit)", "rustT", "rust1", None),
        Target("python walogs / python write+fdatasync", "py1", "raw1", None),
    ]

    workloads: list[tuple[Workload, int]] = []
    try:
        for make, n in specs:
            workloads.append((make(), n))
        rates: dict[str, list[float]] = {w.key: [] for w, _ in workloads}
        for w, _ in workloads:  # a short unmeasured batch first: no one pays a cold start
            w.run(w.threads * 20)
        for r in range(rounds):
            for w, n in workloads if r % 2 == 0 else reversed(workloads):
                rates[w.key].append(w.run(n))
    finally:
        for w, _ in workloads:
            w.close()
        shutil.rmtree(root, ignore_errors=True)
    rows = [w for w, _ in workloads]
    counts = {w.key: n for w, n in workloads}

    med = {k: statistics.median(v) for k, v in rates.items()}
    mode = "quick run, figures indicative only" if args.quick else "full run"
    print(
        f"durable appends/s, {args.payload}-byte entries, median of {rounds} interleaved rounds "
        f"({mode}); WALs under {args.dir.resolve()}"
    )
    print(f"  {'workload':<36} {'median/s':>9}  {'min/s':>8}  {'max/s':>8}  appends per round")
    for w in rows:
        v = rates[w.key]
        print(f"  {w.label:<36} {med[w.key]:>9.0f}  {min(v):>8.0f}  {max(v):>8.0f}  {counts[w.key]}")
    print(f"  {'ratio (median of per-round ratios)':<48} {'ratio':>7}  {'target':>7}  verdict")
    missed = []
    for tg in targets:
        ratio = statistics.median(a / b for a, b in zip(rates[tg.num], rates[tg.den]))
        if tg.minimum is None:
            target, verdict = "-", "info"
        else:
            target = f">= {tg.minimum:g}"
            verdict = "PASS" if ratio >= tg.minimum else "MISS"
            if verdict == "MISS":
                missed.append(tg.label)
        print(f"  {tg.label:<48} {ratio:>6.3f}x  {target:>7}  {verdict}")
    print(f"targets: {len([x for x in targets if x.minimum]) - len(missed)} PASS, {len(missed)} MISS")
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
