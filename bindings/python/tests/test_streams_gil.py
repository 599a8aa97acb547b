"""Every blocking call of walogs.Streams and walogs.Consumer releases the GIL, checked with
the deterministic probe of test_gil.py (see its docstring for how it works)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import walogs

from test_gil import ATTEMPTS, Probe, probe, short_switch_interval  # noqa: F401 (fixtures)


def test_every_blocking_streams_call_releases_the_gil(tmp_path: Path, probe: Probe) -> None:
    s = walogs.Streams(tmp_path / "main", max_segment_size=4096)
    s.append_batch("t", [b"x" * 200] * 50)
    ro = walogs.Streams(tmp_path / "main", read_only=True)
    n = [0]

    def fresh(name: str) -> Path:
        n[0] += 1
        return tmp_path / f"{name}-{n[0]}"

    def consumer() -> walogs.Consumer:
        n[0] += 1
        return s.consumer("t", f"c{n[0]}")

    tailing = s.consumer("t", "tail")
    tailing.next_batch(max_bytes=1 << 30)
    checks: dict[str, Callable[[], Callable[[], Any]]] = {
        "open": lambda: partial(walogs.Streams, fresh("open")),
        "open(read_only=True)": lambda: partial(walogs.Streams, tmp_path / "main", read_only=True),
        "append": lambda: partial(s.append, "t", b"a" * 100, b"h"),
        "append_batch": lambda: partial(s.append_batch, "t", [b"b"] * 10),
        "read": lambda: partial(s.read, "t", 3),
        "read_range": lambda: partial(s.read_range, "t", 10, 5, 1000),
        "topics": lambda: s.topics,
        "topic_info": lambda: partial(s.topic_info, "t"),
        "seek_time": lambda: partial(s.seek_time, "t", 0),
        "consumer": lambda: partial(s.consumer, "t", f"new{n[0]}"),
        "consumers": lambda: s.consumers,
        "cleanup": lambda: s.cleanup,
        "sync": lambda: s.sync,
        "refresh": lambda: ro.refresh,
        "Consumer.next": lambda: consumer().next,
        "Consumer.next_batch": lambda: consumer().next_batch,
        "Consumer.next(timeout)": lambda: partial(tailing.next, 0.002),
        "Consumer.commit": lambda: s.consumer("t", "alo", mode="at_least_once").commit,
        "Consumer.close": lambda: consumer().close,
        "close": lambda: walogs.Streams(fresh("close")).close,
        "__exit__": lambda: partial(walogs.Streams(fresh("exit")).__exit__, None, None, None),
    }
    held = []
    for name, make in checks.items():
        if not any(probe.once(make()) == "in" for _ in range(ATTEMPTS)):
            held.append(name)
    assert not held, f"these calls held the GIL throughout ({ATTEMPTS} attempts each): {held}"
    ro.close()
    s.close()
