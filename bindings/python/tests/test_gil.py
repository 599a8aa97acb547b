"""Every blocking call releases the GIL: checked one call at a time, deterministically.

The probe uses CPython's forced switching: a thread that has waited a whole switch interval
for the GIL sets a drop request, and a thread that then releases the GIL (as a C extension
does around blocking work) waits until the waiting thread has taken it.

1. A helper thread is made to wait for the GIL, with a very short switch interval.
2. The main thread runs, entirely in C (no bytecode, so no chance to hand the GIL over at an
   instruction boundary): a few milliseconds of sorting (the helper's drop request is set
   meanwhile), `marks.append("in")`, the call under test, `marks.append("out")`.
3. The helper records the last mark when it gets the GIL.

If the call releases the GIL, the helper runs during it and records "in". If the call holds
the GIL throughout, the helper can only run after the main thread is back in bytecode and
records "out". The call must therefore be a C callable (a method of a walogs object, or a
functools.partial of one): a Python function would hand the GIL over at its first
instruction. A helper that was too slow to queue (the OS preempted it) records nothing
useful, so each check is repeated a few times.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from functools import partial
from operator import methodcaller
from pathlib import Path
from typing import Any

import pytest

import walogs

ATTEMPTS = 20
_CALL = methodcaller("__call__")


@pytest.fixture(autouse=True)
def short_switch_interval() -> Iterator[None]:
    old = sys.getswitchinterval()
    gc.disable()  # a collection could run Python finalizers (bytecode) inside the window
    sys.setswitchinterval(0.0005)
    try:
        yield
    finally:
        sys.setswitchinterval(old)
        gc.enable()


class Probe:
    """Tells whether a call lets another thread run while it is in progress."""

    def __init__(self) -> None:
        # Sorting these takes milliseconds of C code that holds the GIL.
        self.data = [(i * 7919) % 100_003 for i in range(100_000)]

    def once(self, call: Callable[[], object]) -> str | None:
        """The mark the helper saw: "in" (it ran during `call`), "out", or None."""
        fn = getattr(call, "func", call)
        assert not isinstance(fn, (types.FunctionType, types.MethodType)), (
            "the probe needs a C callable, not Python code"
        )
        marks: list[str] = []
        seen: list[str | None] = []
        gate = threading.Lock()
        gate.acquire()

        def helper() -> None:
            gate.acquire()  # waits (GIL released) until the main thread opens the gate
            seen.append(marks[-1] if marks else None)

        t = threading.Thread(target=helper)
        t.start()  # returns when the helper blocks on the gate
        gate.release()  # the helper wakes up and waits for the GIL
        steps = [
            partial(sorted, self.data),
            partial(marks.append, "in"),
            call,
            partial(marks.append, "out"),
        ]
        results = list(map(_CALL, steps))  # all in C: no bytecode until it returns
        t.join(30)
        assert not t.is_alive()
        del results
        return seen[0]


@pytest.fixture
def probe() -> Probe:
    return Probe()


def test_probe_sees_a_call_that_releases_the_gil(probe: Probe) -> None:
    sleep = partial(time.sleep, 0.002)
    assert any(probe.once(sleep) == "in" for _ in range(ATTEMPTS))


def test_probe_never_sees_inside_a_call_that_holds_the_gil(probe: Probe) -> None:
    # C code that holds the GIL for milliseconds, like a blocking call that forgot to
    # release it.
    data = list(reversed(probe.data))
    assert [probe.once(partial(sorted, data)) for _ in range(10)] == ["out"] * 10


def test_every_blocking_call_releases_the_gil(tmp_path: Path, probe: Probe) -> None:
    wal = walogs.Wal(tmp_path / "main", max_segment_size=4096)
    wal.append_batch([b"x" * 200] * 50, atomic=False)
    n = [0]

    def fresh(name: str) -> Path:
        n[0] += 1
        return tmp_path / f"{name}-{n[0]}"

    # name -> a function making a fresh C callable for each attempt (setup runs outside the
    # observed window).
    checks: dict[str, Callable[[], Callable[[], Any]]] = {
        "open": lambda: partial(walogs.Wal, fresh("open")),
        "open(read_only=True)": lambda: partial(walogs.Wal, tmp_path / "main", read_only=True),
        "append": lambda: partial(wal.append, b"a" * 100),
        "append_batch": lambda: partial(wal.append_batch, [b"b"] * 10),
        "append_batch(atomic=False)": lambda: partial(wal.append_batch, [b"c"] * 3, atomic=False),
        "sync": lambda: wal.sync,
        "read": lambda: partial(wal.read, 3),
        "iter": lambda: partial(iter, wal),
        "iter_from": lambda: partial(wal.iter_from, 10),
        "next(iterator)": lambda: partial(next, iter(wal)),
        "rotate": lambda: (wal.append(b"r"), wal.rotate)[1],
        "checkpoint": lambda: partial(wal.checkpoint, 5),
        "truncate_after": lambda: partial(wal.truncate_after, wal.append(b"t") - 1),
        "read_range": lambda: partial(wal.read_range, 10, 5, 1000),
        "purge_up_to": lambda: partial(wal.purge_up_to, 2),
        "set_user_data": lambda: partial(wal.set_user_data, b"user data"),
        "user_data": lambda: wal.user_data,
        "wait_durable": lambda: partial(wal.wait_durable, wal.append(b"w")),
        "on_durable": lambda: partial(wal.on_durable, wal.append(b"d"), id),
        "tail_state": lambda: wal.tail_state,
        "recovery_report": lambda: wal.recovery_report,
        "next_lsn": lambda: wal.next_lsn,
        "first_lsn": lambda: wal.first_lsn,
        "segment_count": lambda: wal.segment_count,
        "poisoned": lambda: partial(getattr, wal, "poisoned"),
        "repr": lambda: partial(repr, wal),
        "close": lambda: walogs.Wal(fresh("close")).close,
        "__exit__": lambda: partial(walogs.Wal(fresh("exit")).__exit__, None, None, None),
    }
    held = []
    for name, make in checks.items():
        if not any(probe.once(make()) == "in" for _ in range(ATTEMPTS)):
            held.append(name)
    assert not held, f"these calls held the GIL throughout ({ATTEMPTS} attempts each): {held}"
    assert [d for _, d in wal][-1] == b"d"  # still consistent after all that
    assert wal.user_data() == b"user data"
    wal.close()


def test_non_blocking_calls_need_not_release_it(tmp_path: Path, probe: Probe) -> None:
    """The control: lock-free getters are observed holding the GIL (so the probe can fail)."""
    with walogs.Wal(tmp_path / "w") as wal:
        assert probe.once(wal.durable_lsn) == "out"
        assert probe.once(partial(getattr, wal, "closed")) == "out"


def test_a_handle_collected_without_close_closes_without_the_gil(
    tmp_path: Path, probe: Probe
) -> None:
    """Dropping the last reference closes the WAL (write + fdatasync) with the GIL released."""
    holder: list[walogs.Wal] = []
    for i in range(ATTEMPTS):
        holder.append(walogs.Wal(tmp_path / f"w{i}"))
        holder[0].append(b"data")
        if probe.once(holder.clear) == "in":  # the last reference goes inside the call
            break
    else:
        pytest.fail("dropping an open Wal held the GIL throughout")
    with walogs.Wal(tmp_path / f"w{i}") as again:  # it was closed: the lock is free again
        assert list(again) == [(1, b"data")]
