#!/usr/bin/env python3
"""Plant realistic bugs in a scratch copy of walogs-core, one at a time, and report whether
the test suites catch each (a caught mutant makes at least one suite fail).

Each mutation is an exact text replacement in one file of walogs-core/src. When the text it
targets is no longer in the file, the mutant is reported STALE and the script fails: the list
must follow the code. Usage:

    scripts/mutants.py [--only NAME ...] [--suites core,sim,torture] [--keep]

Suites (each a command run in the scratch copy; a mutant is caught when one fails):
    core     cargo test -p walogs-core --release
    sim      cargo test -p walogs-sim --release --test harnesses
    torture  cargo test -p walogs-torture --release (needs the LD_PRELOAD shim's cc; the
             ENOSPC test skips without loop devices)
Prints one line per mutant and a summary; exits 1 when a mutant is missed or stale.
"""

import argparse
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))

# (name, file under walogs-core/src, text to find, replacement, what the bug is)
MUTANTS = [
    ("no-append-fdatasync", "writer.rs",
     "Durability::EveryAppend => true,", "Durability::EveryAppend => false,",
     "skip the per-append fdatasync"),
    ("no-dir-fsync-after-create", "writer.rs",
     "        if let Err(e) = self.dir.sync() {\n            return Err(self.poison(\"directory fsync\", e));\n        }\n        {\n            let mut v = self.view_mut();\n            let sealed",
     "        {\n            let mut v = self.view_mut();\n            let sealed",
     "skip the directory fsync after creating a segment"),
    ("mid-log-damage-as-torn-tail", "recovery/plan.rs",
     "Some((off, lsn, frames)) if !opts.salvage && !lenient => {",
     "Some((off, lsn, frames)) if false && !opts.salvage && !lenient => {",
     "treat mid-log damage as a torn tail (cut it silently)"),
    ("no-poison-on-failed-fdatasync", "writer.rs",
     "        self.poison(\"fdatasync\", e)\n    }",
     "        WalError::from(e)\n    }",
     "do not poison after a failed fdatasync"),
    ("delete-before-seal", "maintenance.rs",
     "        self.record_newest_seal()?;\n        for name in &doomed {",
     "        for name in &doomed {",
     "delete segments before the seal covering them is durable"),
    ("partial-frame-left", "writer.rs",
     "            if self.file().set_len(offset).is_ok() {",
     "            if false && self.file().set_len(offset).is_ok() {",
     "leave a partial frame after a failed write"),
    ("lsn-consumed-before-write", "writer.rs",
     "        if let Err(e) = self.file().write_all_at(frame, offset) {",
     "        self.view_mut().next_lsn = first_lsn + count;\n        if let Err(e) = self.file().write_all_at(frame, offset) {",
     "consume the LSN before the write succeeded"),
    ("completed-segment-damage-as-tail", "recovery/plan.rs",
     "        if let Some((d, _)) = &damage\n            && !is_last\n        {",
     "        if let Some((d, _)) = &damage\n            && !is_last\n            && false\n        {",
     "read damage in a completed segment as a torn tail"),
    ("ack-group-before-sync", "group_commit.rs",
     "        let r = w.write_frame(&buf, first, n as u64);\n        let mut q = self.lock();",
     "        {\n            let mut q = self.lock();\n            q.tickets_done += n as u64;\n            self.watch.publish(first + n as u64 - 1);\n            self.wake(&q);\n        }\n        let r = w.write_frame(&buf, first, n as u64);\n        let mut q = self.lock();\n        if r.is_ok() {\n            q.tickets_done -= n as u64;\n        }",
     "acknowledge group-commit followers (and publish durability) before the group's fdatasync"),
    ("no-meta-tmp-fsync", "meta.rs",
     "    file.sync_data()?;\n    drop(file);\n    dir.rename(META_TMP_FILENAME, META_FILENAME)",
     "    drop(file);\n    dir.rename(META_TMP_FILENAME, META_FILENAME)",
     "skip the fsync of walogs.meta.tmp before the rename"),
    ("cut-inside-unit-unrecorded", "maintenance.rs",
     "        Ok(if inside {\n            target - 1",
     "        Ok(if false && inside {\n            target - 1",
     "truncate inside a unit without recording the deliberate cut in walogs.meta"),
    ("purge-deletes-before-floor", "maintenance.rs",
     "        self.write_meta(meta)?;\n        {\n            let mut v = self.view_mut();\n            v.floor = floor;",
     "        {\n            let mut v = self.view_mut();\n            v.floor = floor;",
     "purge deletes segments without making the floor durable"),
    ("recovery-ignores-floor", "recovery/plan.rs",
     "    let purge_floor = meta.map_or(0, |m| m.floor);",
     "    let purge_floor = 0;",
     "recovery ignores the purge floor"),
    ("user-data-same-slot", "user_data.rs",
     "        let slot = 1 - self.slot;",
     "        let slot = self.slot;",
     "write user data over the current slot instead of the other one"),
    ("durable-callback-before-sync", "writer.rs",
     "        if sync_now {\n            self.durable_lsn = first_lsn + count - 1;",
     "        if true {\n            self.durable_lsn = first_lsn + count - 1;",
     "report entries durable (waiters, callbacks) without a sync under relaxed policies"),
    ("read-only-open-unsettled", "recovery/mod.rs",
     "        plan_settled(dir, opts)?",
     "        plan::plan(dir, opts)?",
     "a read-only open believes the first reading beside a live writer"),
    ("no-fork-guard", "fork.rs",
     "        GENERATION.load(Ordering::Relaxed) == self.generation\n",
     "        true\n",
     "a forked child may use (and close) the parent's handle"),
    ("follow-symlinks", "vfs/os.rs",
     "        let base = OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;",
     "        let base = OFlags::NONBLOCK | OFlags::CLOEXEC;",
     "open files inside the WAL directory through symbolic links"),
    ("no-truncation-intent", "recovery/plan.rs",
     "        finish_truncation(dir, m.cut_lsn + 1, &mut segments, &mut delete, &mut cut)?;",
     "",
     "recovery does not finish an interrupted truncation across segments"),
]

SUITES = {
    "core": ["cargo", "test", "-q", "-p", "walogs-core", "--release"],
    "sim": ["cargo", "test", "-q", "-p", "walogs-sim", "--release", "--test", "harnesses"],
    "torture": ["cargo", "test", "-q", "-p", "walogs-torture", "--release"],
}


def copy_tree(dst):
    """A scratch copy of the repository without build outputs."""
    if os.path.exists(dst):
        shutil.rmtree(dst)
    ignore = shutil.ignore_patterns("target", ".git", "__pycache__", "*.whl")
    shutil.copytree(ROOT, dst, ignore=ignore, symlinks=True)


def run(cmd, cwd, env, log):
    t0 = time.time()
    with open(log, "ab") as out:
        out.write(("\n$ " + " ".join(cmd) + "\n").encode())
        out.flush()
        r = subprocess.run(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    return r.returncode, time.time() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--suites", default="core,sim,torture")
    ap.add_argument("--keep", action="store_true", help="keep the scratch copy")
    args = ap.parse_args()
    suites = [s for s in args.suites.split(",") if s]
    for s in suites:
        if s not in SUITES:
            sys.exit(f"unknown suite {s}")
    chosen = [m for m in MUTANTS if args.only is None or m[0] in args.only]
    scratch = os.path.join(ROOT, "target", "mutants", "tree")
    logdir = os.path.join(ROOT, "target", "mutants", "logs")
    os.makedirs(logdir, exist_ok=True)
    copy_tree(scratch)
    env = dict(os.environ)
    # One target directory for every mutant: each rebuild recompiles the core and its users.
    env["CARGO_TARGET_DIR"] = os.path.join(ROOT, "target", "mutants", "cargo")
    env["WALOGS_NO_SKIP"] = env.get("WALOGS_NO_SKIP", "")
    # The unmutated tree must pass, or nothing below means anything.
    log = os.path.join(logdir, "baseline.log")
    open(log, "w").close()
    for s in suites:
        rc, secs = run(SUITES[s], scratch, env, log)
        if rc != 0:
            sys.exit(f"baseline: suite {s} fails without any mutation (see {log})")
    print(f"baseline: {', '.join(suites)} pass without mutations")
    caught = missed = stale = 0
    for name, rel, old, new, what in chosen:
        path = os.path.join(scratch, "walogs-core", "src", rel)
        original = open(path).read()
        if original.count(old) != 1:
            print(f"STALE   {name}: the code it mutates ({rel}) changed")
            stale += 1
            continue
        open(path, "w").write(original.replace(old, new))
        log = os.path.join(logdir, f"{name}.log")
        open(log, "w").close()
        failing = []
        try:
            for s in suites:
                rc, secs = run(SUITES[s], scratch, env, log)
                if rc != 0:
                    failing.append(s)
                    break  # caught: the other suites need not run
        finally:
            open(path, "w").write(original)
        if failing:
            caught += 1
            print(f"CAUGHT  {name}: {what} — by {failing[0]}")
        else:
            missed += 1
            print(f"MISSED  {name}: {what} — every suite passed (log: {log})")
    print(f"mutants: {caught} caught, {missed} missed, {stale} stale, of {len(chosen)}")
    if not args.keep:
        shutil.rmtree(scratch, ignore_errors=True)
    sys.exit(0 if missed == 0 and stale == 0 else 1)


if __name__ == "__main__":
    main()
