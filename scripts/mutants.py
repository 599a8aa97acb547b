#!/usr/bin/env python3
"""Plant realistic bugs in a scratch copy of walogs-core, one at a time, and report whether
the test suites catch each.

Each mutation is one or more exact text replacements in one file of walogs-core/src (and, for
a bug that spans two modules, in further files). When a text it targets is not in its file
exactly once, the mutant is reported STALE and the script fails: the list must follow the
code. Usage:

    scripts/mutants.py [--only NAME ...] [--suites core,streams,sim,torture] [--keep]
    scripts/mutants.py --list        # every mutant, and whether it still applies (no build)

Suites (each a command run in the scratch copy; a mutant is caught when one fails):
    core     cargo test -p walogs-core --release
    streams  cargo test -p walogs-streams --release (the streams layer's mutants)
    sim      cargo test -p walogs-sim --release --test harnesses
    torture  cargo test -p walogs-torture --release (needs the LD_PRELOAD shim's cc; the
             ENOSPC test skips without loop devices)

Some mutants also name crash harnesses of walogs-torture that must catch them, each one
(they prove that harness bites: a bug every other suite misses). Those run the release
walogs-torture binary of the scratch copy and count as catching when it exits 1 with
VIOLATION lines; they run whatever --suites says (--suites '' runs only them):
    concurrent-sweep  6 threads on one SharedWal, a failed write or sync at every call
    concurrent-kill   4 threads on one SharedWal, MUTANT_KILLS SIGKILLs (default 1000: an early
                      group acknowledgement is visible to a kill only in the microseconds
                      before the group's write, and 200 kills can miss it)
    sweep             single-threaded Wal, a failed write or sync at every call
    kill              single-threaded, every durability policy, MUTANT_KILLS SIGKILLs
SEED (default 7) seeds them. The unmutated tree must pass every suite and harness that will
run (a baseline), or nothing means anything.

Prints one line per mutant and a summary; exits 1 when a mutant is missed or stale.
"""

import argparse
import os
import shutil
import subprocess
import sys
import time
from typing import NamedTuple

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


class Mutant(NamedTuple):
    name: str
    file: str  # under walogs-core/src, or a path from the repository root (walogs-streams/...)
    edits: list  # (text to find, replacement) pairs, applied in order
    what: str  # what the bug is
    harnesses: tuple = ()  # crash harnesses that must each catch it
    also: tuple = ()  # (file, edits) of further files the bug spans


# Each mutant: what it breaks, where, and (for some) the crash harnesses that must catch it.
MUTANTS = [
    Mutant("no-append-fdatasync", "writer.rs",
           [("Durability::EveryAppend => true,",
             "Durability::EveryAppend => false,")],
           "skip the per-append fdatasync"),
    Mutant("no-dir-fsync-after-create", "writer.rs",
           [("        if let Err(e) = self.dir.sync() {\n            return Err(self.poison(\"directory fsync\", e));\n        }\n        {\n            let mut v = self.view_mut();\n            let mut sealed",
             "        {\n            let mut v = self.view_mut();\n            let mut sealed")],
           "skip the directory fsync after creating a segment"),
    Mutant("mid-log-damage-as-torn-tail", "recovery/plan.rs",
           [("Some((off, lsn, frames)) if !opts.salvage && !lenient => {",
             "Some((off, lsn, frames)) if false && !opts.salvage && !lenient => {")],
           "treat mid-log damage as a torn tail (cut it silently)"),
    Mutant("no-poison-on-failed-fdatasync", "writer.rs",
           [("        self.poison(\"fdatasync\", e)\n    }",
             "        WalError::from(e)\n    }")],
           "do not poison after a failed fdatasync"),
    Mutant("delete-before-seal", "maintenance.rs",
           [("        self.record_newest_seal()?;\n        for name in &doomed {",
             "        for name in &doomed {")],
           "delete segments before the seal covering them is durable"),
    Mutant("partial-frame-left", "writer.rs",
           [("            if self.file().set_len(offset).is_ok() {",
             "            if false && self.file().set_len(offset).is_ok() {")],
           "leave a partial frame after a failed write"),
    Mutant("lsn-consumed-before-write", "writer.rs",
           [("        if let Err(e) = self.file().write_all_at(frame, offset) {",
             "        self.view_mut().next_lsn = first_lsn + count;\n        if let Err(e) = self.file().write_all_at(frame, offset) {")],
           "consume the LSN before the write succeeded"),
    Mutant("completed-segment-damage-as-tail", "recovery/plan.rs",
           [("        if let Some((d, _)) = &damage\n            && !is_last\n        {",
             "        if let Some((d, _)) = &damage\n            && !is_last\n            && false\n        {")],
           "read damage in a completed segment as a torn tail"),
    Mutant("ack-group-before-sync", "group_commit.rs",
           [("        let r = w.write_frame(&buf, first, n as u64);\n        let mut q = self.lock();",
             "        {\n            let mut q = self.lock();\n            q.tickets_done += n as u64;\n            self.watch.publish(first + n as u64 - 1);\n            self.wake(&q);\n        }\n        let r = w.write_frame(&buf, first, n as u64);\n        let mut q = self.lock();\n        if r.is_ok() {\n            q.tickets_done -= n as u64;\n        }")],
           "acknowledge group-commit followers (and publish durability) before the group's fdatasync"),
    Mutant("no-meta-tmp-fsync", "meta.rs",
           [("    file.sync_data()?;\n    drop(file);\n    dir.rename(META_TMP_FILENAME, META_FILENAME)",
             "    drop(file);\n    dir.rename(META_TMP_FILENAME, META_FILENAME)")],
           "skip the fsync of walogs.meta.tmp before the rename"),
    Mutant("cut-inside-unit-unrecorded", "maintenance.rs",
           [("        Ok(if inside {\n            target - 1",
             "        Ok(if false && inside {\n            target - 1")],
           "truncate inside a unit without recording the deliberate cut in walogs.meta",
           harnesses=("kill", "sweep")),
    Mutant("purge-deletes-before-floor", "maintenance.rs",
           [("        self.write_meta(meta)?;\n        {\n            let mut v = self.view_mut();\n            v.floor = floor;",
             "        {\n            let mut v = self.view_mut();\n            v.floor = floor;")],
           "purge deletes segments without making the floor durable"),
    Mutant("recovery-ignores-floor", "recovery/plan.rs",
           [("    let purge_floor = meta.map_or(0, |m| m.floor);",
             "    let purge_floor = 0;")],
           "recovery ignores the purge floor"),
    Mutant("user-data-same-slot", "user_data.rs",
           [("        let slot = 1 - self.slot;",
             "        let slot = self.slot;")],
           "write user data over the current slot instead of the other one"),
    Mutant("durable-callback-before-sync", "writer.rs",
           [("        if sync_now {\n            self.durable_lsn = first_lsn + count - 1;",
             "        if true {\n            self.durable_lsn = first_lsn + count - 1;")],
           "report entries durable (waiters, callbacks) without a sync under relaxed policies"),
    Mutant("read-only-open-unsettled", "recovery/mod.rs",
           [("        plan_settled(dir, opts)?",
             "        plan::plan(dir, opts)?")],
           "a read-only open believes the first reading beside a live writer"),
    Mutant("no-fork-guard", "fork.rs",
           [("        GENERATION.load(Ordering::Relaxed) == self.generation && current_token() == self.token\n",
             "        true\n")],
           "a forked child may use (and close) the parent's handle"),
    Mutant("follow-symlinks", "vfs/os.rs",
           [("        let base = OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;",
             "        let base = OFlags::NONBLOCK | OFlags::CLOEXEC;")],
           "open files inside the WAL directory through symbolic links"),
    Mutant("no-truncation-intent", "recovery/plan.rs",
           [("        finish_truncation(dir, m.cut_lsn + 1, &mut segments, &mut delete, &mut cut)?;",
             "")],
           "recovery does not finish an interrupted truncation across segments"),
    Mutant("group-commit-early-ack", "group_commit.rs",
           [("            self.wake(&q);\n            if ticket < q.tickets_done {\n                return Ok(lsn);\n            }\n            if let Err(e) = led {\n                q.forget_waiting(ticket);\n                return Err(e);\n            }\n",
             "            self.wake(&q);\n            if let Err(e) = led {\n                q.forget_waiting(ticket);\n                return Err(e);\n            }\n            if ticket < q.tickets_done {\n                return Ok(lsn);\n            }\n"),
            ("        let first = q.first_lsn;\n        q.first_lsn += n as u64;\n        drop(q);\n",
             "        let first = q.first_lsn;\n        q.first_lsn += n as u64;\n        q.tickets_done += n as u64;\n        self.watch.publish(first + n as u64 - 1);\n        drop(q);\n"),
            ("            Ok(()) => {\n                q.tickets_done += n as u64;\n                q.note_group_written();\n            }\n",
             "            Ok(()) => q.note_group_written(),\n")],
           "acknowledge a group's followers (and publish the durable LSN) before the group's write and fdatasync, the leader still returning its own error (passes every single-threaded harness)",
           harnesses=("concurrent-sweep", "concurrent-kill")),
    # The sharper form: the group is written, its followers are acknowledged and the durable
    # LSN published, and only then does the leader fdatasync. A kill cannot see it (the page
    # cache keeps the written group); a power loss with followers can, and a failed fdatasync
    # (the followers were told Ok).
    Mutant("group-ack-after-write-before-sync", "group_commit.rs",
           [("        let r = w.write_frame(&buf, first, n as u64);\n        let mut q = self.lock();\n        self.publish(w);\n        match &r {\n            Ok(()) => {\n                q.tickets_done += n as u64;\n                q.note_group_written();\n            }\n",
             "        crate::writer::DEFER_SYNC.with(|d| d.set(true));\n        let r = w.write_frame(&buf, first, n as u64);\n        crate::writer::DEFER_SYNC.with(|d| d.set(false));\n        if r.is_ok() {\n            let mut q = self.lock();\n            q.tickets_done += n as u64;\n            self.watch.publish(first + n as u64 - 1);\n            self.wake(&q);\n        }\n        let r = r.and_then(|()| w.sync().map(|_| ()));\n        let mut q = self.lock();\n        self.publish(w);\n        match &r {\n            Ok(()) => q.note_group_written(),\n")],
           "acknowledge a group's followers (and publish the durable LSN) after the group's write but before its fdatasync",
           also=(("writer.rs",
                  [("            Durability::EveryAppend => true,",
                    "            Durability::EveryAppend => !DEFER_SYNC.with(|d| d.get()),"),
                   ("#[derive(Debug)]\npub(crate) struct LogWriter {",
                    "thread_local! {\n    pub(crate) static DEFER_SYNC: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };\n}\n\n#[derive(Debug)]\npub(crate) struct LogWriter {")]),)),
    Mutant("streams-strict-position-not-durable", "walogs-streams/src/consumer.rs",
           [("        sh.settle_durably(&wal, queued)?;\n        self.committed = position;",
             "        drop(queued);\n        self.committed = position;")],
           "a strict consumer hands out a record before its new position is durable"),
    Mutant("streams-ack-before-write", "walogs-streams/src/append.rs",
           [("    sh.settle(queued)?;\n    Ok(lsn)",
             "    let log_lsn = queued.lsn().0;\n    drop(queued);\n    sh.publish(&mut sh.lock(), log_lsn);\n    Ok(lsn)")],
           "a streams append returns before its record is written and synced"),
    Mutant("streams-ack-failed-write", "walogs-streams/src/append.rs",
           [("        let (log_lsn, queued) = written?;",
             "        let (log_lsn, queued) = written.unwrap_or((0, None));")],
           "a streams append whose write (or queueing) failed returns Ok with the topic's next LSN"),
    Mutant("recovery-hint-failure-fails-open", "recovery/plan.rs",
           [("    let _ = file.advise_sequential();",
             "    file.advise_sequential()?;")],
           "a failed read-ahead hint fails the open (a hint's failure must change nothing)"),
    Mutant("streams-reclaim-drops-state", "walogs-streams/src/reclaim.rs",
           [("        last = wal.append_batch(&chunk)?.last.0;\n    }\n    if sh.relaxed()",
             "        last = wal.next_lsn().0 - 1 + 0 * chunk.len() as u64;\n    }\n    if sh.relaxed()")],
           "a reclaim purges the log without first re-appending the topic and consumer state it holds"),
]

SUITES = {
    "core": ["cargo", "test", "-q", "-p", "walogs-core", "--release"],
    "streams": ["cargo", "test", "-q", "-p", "walogs-streams", "--release"],
    "sim": ["cargo", "test", "-q", "-p", "walogs-sim", "--release", "--test", "harnesses"],
    "torture": ["cargo", "test", "-q", "-p", "walogs-torture", "--release"],
}

# The crash harnesses a mutant may name: arguments of the walogs-torture binary ({work} is a
# fresh directory, {kills} MUTANT_KILLS, {seed} SEED).
HARNESSES = {
    "concurrent-sweep": ["sweep", "--work", "{work}", "--seed", "{seed}", "--threads", "6",
                         "--shared", "1", "--ops", "6", "--sticky", "0"],
    "concurrent-kill": ["kill", "--dir", "{work}", "--kills", "{kills}", "--seed", "{seed}",
                        "--threads", "4", "--max-len", "65536"],
    "sweep": ["sweep", "--work", "{work}", "--seed", "{seed}", "--ops", "30"],
    "kill": ["kill", "--dir", "{work}", "--kills", "{kills}", "--seed", "{seed}"],
}
for _m in MUTANTS:
    assert all(h in HARNESSES for h in _m.harnesses), _m.name


def copy_tree(dst):
    """A scratch copy of the repository without build outputs. The copies get fresh
    modification times (`shutil.copy`, not `copy2`): cargo decides what to rebuild by them,
    and sources older than the last build in the shared target directory (which may be the
    previous run's last mutant) would leave that mutant's binaries in place."""
    if os.path.exists(dst):
        shutil.rmtree(dst)
    ignore = shutil.ignore_patterns("target", ".git", "__pycache__", "*.whl")
    shutil.copytree(ROOT, dst, ignore=ignore, symlinks=True, copy_function=shutil.copy)


def mutated(tree, m):
    """[(path, original text, mutated text)] of every file mutant m changes in the tree at
    `tree`, or None when one of its texts is not in its file exactly once (stale)."""
    changes = []
    for file, edits in ((m.file, m.edits),) + tuple(m.also):
        if file.startswith("walogs-streams/"):
            path = os.path.join(tree, file)
        else:
            path = os.path.join(tree, "walogs-core", "src", file)
        original = open(path).read()
        text = original
        for old, new in edits:
            if text.count(old) != 1:
                return None
            text = text.replace(old, new)
        changes.append((path, original, text))
    return changes


def run(cmd, cwd, env, log):
    t0 = time.time()
    with open(log, "ab") as out:
        out.write(("\n$ " + " ".join(cmd) + "\n").encode())
        out.flush()
        r = subprocess.run(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    return r.returncode, time.time() - t0


def run_harness(name, scratch, env, log):
    """Build the scratch copy's walogs-torture and run crash harness `name`. Returns
    (caught, what): caught when it exits 1 with VIOLATION lines."""
    rc, _ = run(["cargo", "build", "-q", "--release", "-p", "walogs-torture"], scratch, env, log)
    if rc != 0:
        return False, f"{name}: the build failed (exit {rc})"
    binary = os.path.join(env["CARGO_TARGET_DIR"], "release", "walogs-torture")
    work = os.path.join(os.path.dirname(scratch), "work")
    shutil.rmtree(work, ignore_errors=True)
    fill = {"work": work, "kills": env.get("MUTANT_KILLS", "1000"), "seed": env.get("SEED", "7")}
    args = [a.format(**fill) for a in HARNESSES[name]]
    t0 = time.time()
    r = subprocess.run([binary] + args, cwd=scratch, env=env, capture_output=True, text=True)
    shutil.rmtree(work, ignore_errors=True)
    with open(log, "a") as out:
        out.write(f"\n$ walogs-torture {' '.join(args)}\n{r.stdout}{r.stderr}")
    violations = [l for l in r.stderr.splitlines() if l.startswith("VIOLATION")]
    secs = time.time() - t0
    if r.returncode == 1 and violations:
        return True, f"{name} caught it ({len(violations)} violations, {secs:.0f} s)"
    return False, f"{name} SURVIVED (exit {r.returncode}, {secs:.0f} s)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--suites", default="core,streams,sim,torture")
    ap.add_argument("--keep", action="store_true", help="keep the scratch copy")
    ap.add_argument("--list", action="store_true",
                    help="list the mutants and whether each still applies; build nothing")
    args = ap.parse_args()
    suites = [s for s in args.suites.split(",") if s]
    for s in suites:
        if s not in SUITES:
            sys.exit(f"unknown suite {s}")
    names = {m.name for m in MUTANTS}
    for n in args.only or []:
        if n not in names:
            sys.exit(f"unknown mutant {n}")
    chosen = [m for m in MUTANTS if args.only is None or m.name in args.only]
    if args.list:
        stale = 0
        for m in chosen:
            ok = mutated(ROOT, m) is not None
            stale += not ok
            also = f" [harnesses: {', '.join(m.harnesses)}]" if m.harnesses else ""
            print(f"{'applies' if ok else 'STALE  '} {m.name}: {m.what}{also}")
        print(f"mutants: {len(chosen)} listed, {stale} stale")
        sys.exit(1 if stale else 0)
    scratch = os.path.join(ROOT, "target", "mutants", "tree")
    logdir = os.path.join(ROOT, "target", "mutants", "logs")
    os.makedirs(logdir, exist_ok=True)
    copy_tree(scratch)
    env = dict(os.environ)
    # One target directory for every mutant: each rebuild recompiles the core and its users.
    env["CARGO_TARGET_DIR"] = os.path.join(ROOT, "target", "mutants", "cargo")
    env["WALOGS_NO_SKIP"] = env.get("WALOGS_NO_SKIP", "")
    # The unmutated tree must pass every suite and harness that will run, or nothing below
    # means anything.
    harnesses = sorted({h for m in chosen for h in m.harnesses})
    log = os.path.join(logdir, "baseline.log")
    open(log, "w").close()
    for s in suites:
        rc, secs = run(SUITES[s], scratch, env, log)
        if rc != 0:
            sys.exit(f"baseline: suite {s} fails without any mutation (see {log})")
    for h in harnesses:
        caught, what = run_harness(h, scratch, env, log)
        if caught:
            sys.exit(f"baseline: harness {what} without any mutation (see {log})")
    print(f"baseline: {', '.join(suites + harnesses) or 'nothing'} pass without mutations")
    caught = missed = stale = 0
    for m in chosen:
        changes = mutated(scratch, m)
        if changes is None:
            files = ", ".join([m.file] + [f for f, _ in m.also])
            print(f"STALE   {m.name}: the code it mutates ({files}) changed")
            stale += 1
            continue
        for path, _, text in changes:
            open(path, "w").write(text)
        log = os.path.join(logdir, f"{m.name}.log")
        open(log, "w").close()
        failing = []
        verdicts = []
        try:
            for s in suites:
                rc, secs = run(SUITES[s], scratch, env, log)
                if rc != 0:
                    failing.append(s)
                    break  # caught: the other suites need not run
            # Every harness the mutant names must catch it on its own.
            for h in m.harnesses:
                verdicts.append(run_harness(h, scratch, env, log))
        finally:
            for path, original, _ in changes:
                open(path, "w").write(original)
        by = ([f"by {failing[0]}"] if failing else []) + [w for _, w in verdicts]
        if (failing or not suites) and all(c for c, _ in verdicts):
            caught += 1
            print(f"CAUGHT  {m.name}: {m.what} — {'; '.join(by)}")
        else:
            missed += 1
            why = "; ".join(by) if by else "every suite passed"
            print(f"MISSED  {m.name}: {m.what} — {why} (log: {log})")
    print(f"mutants: {caught} caught, {missed} missed, {stale} stale, of {len(chosen)}")
    if not args.keep:
        shutil.rmtree(scratch, ignore_errors=True)
    sys.exit(0 if missed == 0 and stale == 0 else 1)


if __name__ == "__main__":
    main()
