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

Method: the workloads run interleaved, one after another in each of `--rounds` rounds (the
order reversed every other round), each on a new directory after an `os.sync()`, so a slow
moment of the disk hits all of them alike. A rate is the median over the rounds; a ratio is
the median of the per-round ratios (robust to the disk drifting between rounds). The table
ends with PASS/MISS against the targets. --quick (CI) runs tiny counts: its figures show
that everything works, not how fast. Exit status: 0, or 1 with --strict when a target is
missed.
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


class Baseline:
    def __init__(self, binary: Path) -> None:
        self.binary = binary

    def __call__(self, d: Path, count: int, payload: bytes, threads: int) -> float:
        out = subprocess.run(
            [str(self.binary), str(d), str(count), str(len(payload)), str(threads)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        key, _, value = out.strip().partition("=")
        if key != "appends_per_sec":
            raise RuntimeError(f"unexpected output of the Rust baseline: {out!r}")
        return float(value)


def python_walogs(d: Path, count: int, payload: bytes, threads: int) -> float:
    """`wal.append(payload)` `count` times in total from `threads` threads."""
    with walogs.Wal(d) as wal:
        if threads == 1:
            append = wal.append
            t0 = time.perf_counter()
            for _ in range(count):
                append(payload)
            elapsed = time.perf_counter() - t0
        else:
            per = count // threads

            def work(_: int) -> None:
                append = wal.append
                for _ in range(per):
                    append(payload)

            elapsed = _run_threads(threads, work)
        assert wal.durable_lsn() == count == wal.next_lsn() - 1
    return count / elapsed


def raw_fdatasync(d: Path, count: int, payload: bytes, threads: int) -> float:
    """os.write + os.fdatasync per entry (with a 16-byte header, like a walogs frame), on a
    growing file: what a hand-written Python log would do."""
    assert threads == 1
    d.mkdir()
    fd = os.open(d / "raw.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    frame = b"\0" * 16 + payload
    try:
        t0 = time.perf_counter()
        for _ in range(count):
            os.write(fd, frame)
            os.fdatasync(fd)
        return count / (time.perf_counter() - t0)
    finally:
        os.close(fd)


def _sqlite_connect(db: Path) -> sqlite3.Connection:
    con = sqlite3.connect(db, isolation_level=None, timeout=60, check_same_thread=False)
    mode = con.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    assert mode == "wal", mode
    con.execute("PRAGMA synchronous=FULL")
    assert con.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    return con


def sqlite_wal_full(d: Path, count: int, payload: bytes, threads: int) -> float:
    """One INSERT per transaction (autocommit), journal_mode=WAL, synchronous=FULL; with
    several threads, one connection each (SQLite serialises their commits)."""
    d.mkdir()
    db = d / "bench.db"
    setup = _sqlite_connect(db)
    setup.execute("CREATE TABLE log (lsn INTEGER PRIMARY KEY, data BLOB NOT NULL)")
    cons = [_sqlite_connect(db) for _ in range(threads)]
    per = count // threads

    def work(i: int) -> None:
        con = cons[i]
        for _ in range(per):
            con.execute("INSERT INTO log (data) VALUES (?)", (payload,))

    try:
        elapsed = _run_threads(threads, work)
        assert setup.execute("SELECT count(*) FROM log").fetchone()[0] == per * threads
        return per * threads / elapsed
    finally:
        for c in [setup, *cons]:
            c.close()


Workload = Callable[[Path, int, bytes, int], float]


@dataclass
class Row:
    key: str
    label: str
    fn: Workload
    count: int
    threads: int


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
    ap.add_argument("--count", type=int, help="appends per single-thread run (default 1000)")
    ap.add_argument("--payload", type=int, default=128, help="bytes per entry (default 128)")
    ap.add_argument("--threads", type=int, default=8, help="threads for the group-commit runs")
    ap.add_argument("--rounds", type=int, help="interleaved rounds, median taken (default 9)")
    ap.add_argument(
        "--dir", type=Path, default=cargo_target_dir(), help="where the WALs go (cargo's target/)"
    )
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = ap.parse_args()
    count = args.count or (200 if args.quick else 1000)
    rounds = args.rounds or (3 if args.quick else 9)
    t = args.threads
    if count < 1 or rounds < 1 or t < 2 or args.payload < 0:
        ap.error("need --count >= 1, --rounds >= 1, --threads >= 2, --payload >= 0")

    rust = Baseline(build_rust_baseline())
    payload = make_payload(args.payload)
    multi = max(t, count * 2 // t * t)  # group commit: twice as many, a multiple of t
    rows = [
        Row("rust1", "rust   walogs          1 thread", rust, count, 1),
        Row("py1", "python walogs          1 thread", python_walogs, count, 1),
        Row("sq1", "python sqlite3 WAL FULL 1 thread", sqlite_wal_full, count, 1),
        Row("raw1", "python write+fdatasync 1 thread", raw_fdatasync, count, 1),
        Row("rustT", f"rust   walogs          {t} threads", rust, multi, t),
        Row("pyT", f"python walogs          {t} threads", python_walogs, multi, t),
        Row("sqT", f"python sqlite3 WAL FULL {t} threads", sqlite_wal_full, multi, t),
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

    rates: dict[str, list[float]] = {r.key: [] for r in rows}
    args.dir.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="walogs-bench-", dir=args.dir))
    try:
        # One short unmeasured pass first, so no workload pays for a cold start.
        for r in rows:
            d = root / f"warmup-{r.key}"
            r.fn(d, r.threads * 20, payload, r.threads)
            shutil.rmtree(d)
        for n in range(rounds):
            for r in rows if n % 2 == 0 else reversed(rows):
                os.sync()  # start each workload on a quiet disk
                d = root / f"{n}-{r.key}"
                rates[r.key].append(r.fn(d, r.count, payload, r.threads))
                shutil.rmtree(d)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    med = {k: statistics.median(v) for k, v in rates.items()}
    mode = "quick run, figures indicative only" if args.quick else "full run"
    print(
        f"durable appends/s, {args.payload}-byte entries, median of {rounds} interleaved rounds "
        f"({mode}); WALs under {args.dir.resolve()}"
    )
    print(f"  {'workload':<36} {'appends/s':>10}  {'appends':>7}  runs")
    for r in rows:
        runs = " ".join(f"{x:.0f}" for x in rates[r.key])
        print(f"  {r.label:<36} {med[r.key]:>10.0f}  {r.count:>7}  {runs}")
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
