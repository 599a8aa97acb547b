"""A Wal inherited across os.fork() belongs to the parent: in the child every call raises
ForkedError (close() too), and when the child's interpreter exits and finalizes the inherited
Wal nothing is written and nothing is printed. The parent goes on as if nothing happened."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_python

# The parent appends, forks a child that does nothing special and exits normally, forks a
# child that calls every method, then appends more and checks everything after a reopen.
# Each child's stdout and stderr go to its own file.
_SCRIPT = r'''
import os, sys, walogs

d, policy, out = sys.argv[1], sys.argv[2], sys.argv[3]
options = {"durability": "interval", "interval": 3600} if policy == "interval" else {}
wal = walogs.Wal(d, **options)
for i in range(50):
    wal.append(b"parent-%d" % i)
callbacks = []
# A callback registered before the fork (pending under "interval": nothing synced it yet).
wal.on_durable(wal.append(b"parent-50"), callbacks.append)
it = iter(wal)
assert next(it) == (1, b"parent-0")
parent = os.getpid()


def files():
    """Every file of the WAL directory: name -> (mode, bytes)."""
    return {
        name: (os.stat(os.path.join(d, name)).st_mode, open(os.path.join(d, name), "rb").read())
        for name in sorted(os.listdir(d))
    }


def to_file(path):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def child_calls():
    """In the second child: every call raises ForkedError naming the parent."""
    calls = {
        "append": lambda: wal.append(b"child"),
        "append_batch": lambda: wal.append_batch([b"c1", b"c2"]),
        "append_batch(atomic=False)": lambda: wal.append_batch([b"c"], atomic=False),
        "sync": wal.sync,
        "durable_lsn": wal.durable_lsn,
        "iter": lambda: iter(wal),
        "iter_from": lambda: wal.iter_from(1),
        "next(iterator made before the fork)": lambda: next(it),
        "read": lambda: wal.read(1),
        "read_range": lambda: wal.read_range(1, 10, 1000),
        "rotate": wal.rotate,
        "checkpoint": lambda: wal.checkpoint(1),
        "truncate_after": lambda: wal.truncate_after(1),
        "purge_up_to": lambda: wal.purge_up_to(1),
        "purged_up_to": wal.purged_up_to,
        "set_user_data": lambda: wal.set_user_data(b"child"),
        "user_data": wal.user_data,
        "wait_durable": lambda: wal.wait_durable(1, timeout=0),
        "on_durable": lambda: wal.on_durable(1, print),
        "tail_state": wal.tail_state,
        "recovery_report": wal.recovery_report,
        "next_lsn": wal.next_lsn,
        "first_lsn": wal.first_lsn,
        "segment_count": wal.segment_count,
        "closed": lambda: wal.closed,
        "poisoned": lambda: wal.poisoned,
        "with": lambda: wal.__enter__(),
        "__exit__": lambda: wal.__exit__(None, None, None),
        "close": wal.close,
        "close again": wal.close,
    }
    bad = []
    for name, call in calls.items():
        try:
            call()
            bad.append(f"{name}: no error")
        except walogs.ForkedError as e:
            if e.opened_by != parent or str(parent) not in str(e):
                bad.append(f"{name}: {e!r}")
        except BaseException as e:
            bad.append(f"{name}: {e!r}")
    assert "fork" in repr(wal), repr(wal)
    assert (wal.read_only, wal.path) == (False, d)
    print("child calls:", "ok" if not bad else bad, len(calls))


def wait(pid):
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status


def parent_goes_on():
    before = files()
    quiet = os.fork()
    if quiet == 0:
        to_file(out + ".quiet")
        return  # nothing special: the interpreter exits normally and finalizes `wal`
    wait(quiet)
    assert files() == before, "the quiet child changed the WAL directory"
    caller = os.fork()
    if caller == 0:
        to_file(out + ".calls")
        child_calls()
        return  # exits normally too
    wait(caller)
    assert files() == before, "the calling child changed the WAL directory"
    try:
        walogs.Wal(d)
        raise AssertionError("the directory is no longer locked by the parent")
    except walogs.LockedError:
        pass
    assert next(it) == (2, b"parent-1")
    for i in range(51, 101):
        wal.append(b"parent-%d" % i)
    wal.sync()
    wal.close()
    assert callbacks == [None], callbacks
    with walogs.Wal(d) as again:
        got = list(again)
    assert got == [(i + 1, b"parent-%d" % i) for i in range(101)], got[:3]
    print("parent: ok")


parent_goes_on()
'''


@pytest.mark.parametrize("policy", ["every_append", "interval"])
def test_forked_children_cannot_touch_the_parents_wal(tmp_path: Path, policy: str) -> None:
    out = tmp_path / "child"
    p = run_python(_SCRIPT, str(tmp_path / "wal"), policy, str(out))
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.splitlines() == ["parent: ok"], p.stdout + p.stderr
    # The child that did nothing special printed nothing at all while exiting (no
    # "Exception ignored in ..." from finalizing the inherited Wal).
    assert (tmp_path / "child.quiet").read_text() == ""
    assert (tmp_path / "child.calls").read_text() == "child calls: ok 30\n"
