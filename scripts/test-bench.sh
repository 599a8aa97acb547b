#!/usr/bin/env bash
# Smoke test of the benchmark program: its unit tests, then a --quick run (tiny sizes) that
# must exit 0 and print every figure and every target with a verdict. Figures of the quick
# run are not meaningful; scripts/bench.sh is the real measurement.
set -euo pipefail
cd "$(dirname "$0")/.."

# (Its unit and integration tests ran in scripts/test-rust.sh when scripts/test-all.sh says so.)
if [[ "${WALOGS_WORKSPACE_TESTED:-0}" != 1 ]]; then
    cargo test -p walogs-bench
fi
cargo build -p walogs-bench
bench="${CARGO_TARGET_DIR:-target}/debug/walogs-bench"

out="$(mktemp)"
trap 'rm -f "$out"' EXIT
"$bench" --quick >"$out"
cat "$out"

fail=0
need() {
    if ! grep -qF -- "$1" "$out"; then
        echo "test-bench: missing from the output: $1" >&2
        fail=1
    fi
}
# A ratio printed without a goal.
need_info() {
    if ! grep -F -- "$1" "$out" | grep -qE '[0-9]+\.[0-9]+x +- +info$'; then
        echo "test-bench: no info row: $1" >&2
        fail=1
    fi
}

# Every write measurement (rows of the write table).
for label in \
    "raw write+fdatasync, growing file, 128 B" \
    "raw write+fdatasync, growing file, 4 KiB" \
    "raw pwrite+fdatasync, fallocate'd file, 128 B" \
    "raw pwrite+fdatasync, zero-filled+synced file, 128 B" \
    "raw pwrite+fdatasync, fallocate'd file, 4 KiB" \
    "raw pwrite+fdatasync, zero-filled+synced file, 4 KiB" \
    "raw pwrite+fdatasync, fallocate 1 MiB steps, 4 KiB (info)" \
    "raw pwrite+fdatasync, zero-fill+sync 1 MiB steps, 4 KiB (info)" \
    "raw pwrite+fdatasync, fallocate'd file, 64x1 KiB batch frame" \
    "raw pwrite+fdatasync, zero-filled+synced file, 64x1 KiB batch frame" \
    "raw pwrite+fdatasync, fallocate 1 MiB steps, 64x1 KiB batch frame (info)" \
    "raw pwrite+fdatasync, zero-fill+sync 1 MiB steps, 64x1 KiB batch frame (info)" \
    "raw pwrite+fdatasync, zero-filled by a 2nd thread, 64x1 KiB batch frame (info)" \
    "raw write(2) per entry, no sync, 128 B" \
    "raw pwrite(2) per entry, fallocate'd file, no sync, 128 B" \
    "raw pwrite(2) per entry via std (the C library's wrapper), no sync, 128 B (info)" \
    "raw copy into a shared mmap, MADV_POPULATE_WRITE per entry, 128 B (info)" \
    "raw copy into a shared mmap, MADV_POPULATE_WRITE per 64 KiB, 128 B (info)" \
    "raw group commit, 4 threads, 128 B durable" \
    "raw group commit, 16 threads, 128 B durable" \
    "raw group commit on parking_lot, 4 threads, 128 B durable" \
    "raw group commit on parking_lot, 16 threads, 128 B durable" \
    "raw group commit, pipelined, on parking_lot, 4 threads, 128 B durable" \
    "raw group commit, pipelined, on parking_lot, 16 threads, 128 B durable" \
    "walogs-core Wal::append durable, 128 B" \
    "walogs-core Wal::append durable, 4 KiB" \
    "walogs-core Wal::append durable, preallocate(false), 4 KiB (info)" \
    "walogs-core Wal::append_batch durable, 64x1 KiB" \
    "walogs-core Wal::append_batch durable, preallocate(false), 64x1 KiB (info)" \
    "walogs-core Wal::append Durability::None, 128 B" \
    "walogs-streams Streams::append Durability::None, 64 topics, 1 thread, 128 B (info)" \
    "walogs-core SharedWal::append durable, 1 thread, 128 B" \
    "walogs-core SharedWal::append durable, 4 threads, 128 B" \
    "walogs-core SharedWal::append durable, 16 threads, 128 B" \
    "prototype: Wal::append_batch + condvar group commit, 4 threads (info)" \
    "prototype: Wal::append_batch + condvar group commit, 16 threads (info)" \
    "walogs 0.1 Wal::append durable, 128 B" \
    "walogs 0.1 Wal::append durable, 4 KiB" \
    "okaywal commit, 1 thread, 128 B" \
    "okaywal commit, 4 threads, 128 B" \
    "okaywal commit, 16 threads, 128 B" \
    "nano-wal append durable=true, 1 thread, 128 B" \
    "nano-wal append durable=true, 4 threads, 128 B" \
    "nano-wal append durable=true, 16 threads, 128 B" \
    "nano-wal append_batch durable=true, 64x1 KiB" \
    "nano-wal append durable=false, 128 B" \
    "walrus-rust append_for_topic SyncEach, 1 thread, 128 B" \
    "walrus-rust append_for_topic SyncEach, 4 threads, 128 B" \
    "walrus-rust append_for_topic SyncEach, 16 threads, 128 B" \
    "walrus-rust batch_append_for_topic SyncEach, 64x1 KiB" \
    "walrus-rust append_for_topic NoFsync, 128 B" \
    "raft-engine write(sync=true), 1 thread, 128 B" \
    "raft-engine write(sync=true), 4 threads, 128 B" \
    "raft-engine write(sync=true), 16 threads, 128 B" \
    "raft-engine write(sync=true), 64x1 KiB batch" \
    "raft-engine write(sync=false), 128 B" \
    "walogs-streams Streams::append durable, 64 topics, 8 threads, 128 B" \
    "walogs-core SharedWal::append durable, 8 threads, 128 B (one log, no topics)" \
    "walrus-rust append_for_topic SyncEach, 64 topics, 8 threads, 128 B" \
    "nano-wal append durable=true, 64 streams, 8 threads, 128 B"; do
    need "$label"
    # The row must carry figures: ops/s, MB/s, us/op, spread.
    if ! grep -F -- "$label" "$out" | grep -qE '[0-9]+ +[0-9]+\.[0-9]+ +[0-9]+\.[0-9]+ +[0-9]+%'; then
        echo "test-bench: no figures on the row: $label" >&2
        fail=1
    fi
done

# Read passes, middle starts.
for label in \
    "fresh child process, nothing read (baseline)" \
    "raw read(2) of the segment files" \
    "walogs-core Wal::open + cursor_from(first)" \
    "walogs-core Wal::open + iter()" \
    "raft-engine Engine::open + fetch_entries_to, same entries" \
    "walrus-rust open + batch_read_for_topic, same entries" \
    "nano-wal open + read everything, same entries" \
    "iter_from(lsn) + first next()" \
    "cursor_from(lsn) + first next_entry()" \
    "read(lsn)"; do
    need "$label"
done

# Peer recovery rows carry figures (nano-wal's row is a reason: it has no reader).
for label in \
    "raft-engine Engine::open + fetch_entries_to, same entries" \
    "walrus-rust open + batch_read_for_topic, same entries"; do
    if ! grep -F -- "$label" "$out" | grep -qE '[0-9]+\.[0-9] +[0-9]+\.[0-9] +[0-9]+\.[0-9]+ +[0-9]+\.[0-9]+ +[0-9]+\.[0-9]+$'; then
        echo "test-bench: no figures on the row: $label" >&2
        fail=1
    fi
done
if ! grep -qF "nano-wal open + read everything, same entries" "$out" ||
    ! grep -F "nano-wal open + read everything, same entries" "$out" | grep -qF "not measured: "; then
    echo "test-bench: nano-wal recovery row without its reason" >&2
    fail=1
fi

# Cold cache: the figures, or the reason they are missing.
if grep -qF "cold: not measured (needs root)" "$out"; then
    echo "test-bench: (cold cache not measured: not root)"
else
    for label in "raw read(2), cold cache" "walogs-core Wal::open + cursor_from(first), cold cache"; do
        if ! grep -F -- "$label" "$out" | grep -qE '[0-9]+\.[0-9]+ +[0-9]+\.[0-9]+$'; then
            echo "test-bench: no figures on the row: $label" >&2
            fail=1
        fi
    done
    if ! grep -qE '^cold: open \+ iterate \(cursor_from\) / raw read\(2\) = [0-9]+\.[0-9]+x' "$out"; then
        echo "test-bench: no cold ratio" >&2
        fail=1
    fi
fi

# Point reads: p50, p99, count on every measured row; walrus-rust gives its reason.
for label in \
    "raw pread of the frame (open fd), 1 KiB one by one" \
    "walogs-core Wal::read, 1 KiB one by one" \
    "raw pread of the frame (open fd), 128 B by append_many x50000" \
    "walogs-core Wal::read, 128 B by append_many x50000" \
    "raw pread of the frame alone (open fd), 1 KiB one by one" \
    "raw pread beside 8 raw group-commit appenders, 1 KiB one by one" \
    "walogs-core SharedWal::read alone, 1 KiB one by one" \
    "walogs-core SharedWal::read beside 8 durable appenders, 1 KiB one by one" \
    "nano-wal read_at(kept EntryRef), 1 KiB one by one" \
    "raft-engine get_entry(region, index), 1 KiB one by one"; do
    need "$label"
    if ! grep -F -- "$label" "$out" | grep -qE ' [0-9]+\.[0-9]{2} +[0-9]+\.[0-9]{2} +[0-9]+ '; then
        echo "test-bench: no latencies on the row: $label" >&2
        fail=1
    fi
done
if ! grep -F "walrus-rust point read, 1 KiB one by one" "$out" | grep -qF "not measured: "; then
    echo "test-bench: walrus-rust point-read row without its reason" >&2
    fail=1
fi

# The streams section: the write comparison with its ratios, the batch reads with figures.
need "== streams: 64 topics x 8 threads, durable 128 B appends"
for label in \
    "walogs-core SharedWal::append durable, 8 threads, 128 B (one log, no topics)" \
    "walrus-rust append_for_topic SyncEach, 64 topics, 8 threads, 128 B" \
    "nano-wal append durable=true, 64 streams, 8 threads, 128 B"; do
    if ! grep -F -- "$label" "$out" | grep -qE ' [0-9]+\.[0-9]{2}x$'; then
        echo "test-bench: no streams ratio on the row: $label" >&2
        fail=1
    fi
done
for label in \
    "raw read(2) of the store's segment files" \
    "walogs-streams Consumer::next_batch_into(1 MiB), AtLeastOnce" \
    "walogs-streams Consumer::next_batch(1 MiB), owned records" \
    "walrus-rust batch_read_for_topic(1 MiB), same records"; do
    if ! grep -F -- "$label" "$out" | grep -qE '[0-9]+\.[0-9] +[0-9]+\.[0-9]{2}$'; then
        echo "test-bench: no figures on the streams read row: $label" >&2
        fail=1
    fi
done

# Every target, with a number and a verdict.
for target in \
    "durable append 128 B / raw pwrite+fdatasync fallocate'd" \
    "durable append 128 B / raw pwrite+fdatasync zero-filled" \
    "durable append 4 KiB / raw pwrite+fdatasync fallocate'd" \
    "durable append 4 KiB / raw pwrite+fdatasync zero-filled" \
    "durable batch 64x1 KiB MB/s / raw fallocate'd MB/s" \
    "durable batch 64x1 KiB MB/s / raw zero-filled MB/s" \
    "no-fsync append 128 B / one write(2) per entry" \
    "group commit 4 threads / raw group commit" \
    "group commit 4 threads / okaywal 4 threads" \
    "group commit 16 threads / raw group commit" \
    "group commit 16 threads / okaywal 16 threads" \
    "open + iterate (cursor_from) / raw read(2), warm cache" \
    "open + iterate (cursor_from) memory added (VmHWM growth)" \
    "open + iterate (iter) / raw read(2), warm cache" \
    "open + iterate (iter) memory added (VmHWM growth)" \
    "start at a middle LSN, iter_from (median)" \
    "start at a middle LSN, cursor_from (median)" \
    "start at a middle LSN, read (median)" \
    "point read p50, appended one by one / raw pread" \
    "point read p99, appended one by one / raw pread" \
    "point read p50, append_many / raw pread" \
    "point read p99, append_many / raw pread" \
    "point read p99 beside 8 durable appenders / alone" \
    "streams 64 topics x 8 threads / walrus-rust SyncEach" \
    "streams 64 topics x 8 threads / nano-wal durable=true" \
    "streams 64 topics x 8 threads / one SharedWal x 8 threads" \
    "streams next_batch_into 1 MiB / walrus-rust batch_read_for_topic" \
    "streams next_batch_into 1 MiB / raw read(2) of the store"; do
    if ! grep -F -- "$target" "$out" | grep -qE '[0-9]+\.[0-9]+(x| MiB| ms) .*(PASS|MISS)$'; then
        echo "test-bench: target without a figure and verdict: $target" >&2
        fail=1
    fi
done
need "28 targets, "
# The machine's share of the p99 beside appenders: a figure without a goal.
need_info "raw pread p99 beside 8 raw group-commit appenders / alone"

# A second thread zero-filling ahead of the raw batches, against the file zeroed before
# timing and against the inline 1 MiB steps; figures without a goal.
for row in "  raw batches, zero-filled 8 MiB ahead by a second thread / zero-filled before" \
    "  raw batches, zero-filled 8 MiB ahead by a second thread / in 1 MiB steps inline"; do
    need_info "$row"
done

# The no-fsync block's comparisons: the std loop, the streams layer, a memory map instead of
# pwrite; figures without a goal.
for row in "  no-fsync append 128 B / one pwrite(2) per entry via std" \
    "  streams append Durability::None / walogs-core Wal::append Durability::None" \
    "  one copy into a shared mapping per entry / one write(2) per entry" \
    "  the same, pages faulted in per 64 KiB / one write(2) per entry"; do
    need_info "$row"
done

# The same raw group commit on parking_lot's locks: walogs over it, and the pipelined raw
# variant over it; figures without a goal.
for n in 4 16; do
    for row in "  group commit $n threads / raw group commit on parking_lot" \
        "raw pipelined group commit $n threads / raw group commit on parking_lot"; do
        need_info "$row"
    done
done

# The plot: written where the run says, an SVG with one line per system.
plot="$(sed -n 's/^plot: //p' "$out")"
if [ -z "$plot" ] || ! head -c 4 "$plot" | grep -qF "<svg"; then
    echo "test-bench: no SVG plot at '$plot'" >&2
    fail=1
elif [ "$(grep -c '<polyline' "$plot")" -ne 7 ]; then
    echo "test-bench: the plot does not have 7 lines" >&2
    fail=1
fi

# --points-only: the point-read table and its 5 targets, nothing else.
points="$("$bench" --quick --points-only)"
for label in \
    "raw pread beside 8 raw group-commit appenders, 1 KiB one by one" \
    "walogs-core SharedWal::read beside 8 durable appenders, 1 KiB one by one" \
    "5 targets, "; do
    if ! grep -qF -- "$label" <<<"$points"; then
        echo "test-bench: --points-only does not print: $label" >&2
        fail=1
    fi
done
if grep -qF "== write path" <<<"$points"; then
    echo "test-bench: --points-only ran the write suite" >&2
    fail=1
fi

if grep -qiE '(^|[^a-z])(nan|inf)([^a-z]|$)' "$out"; then
    echo "test-bench: NaN or inf in the output" >&2
    fail=1
fi

if [ "$fail" -ne 0 ]; then
    echo "test-bench: FAILED" >&2
    exit 1
fi
echo "test-bench: every figure and target printed"
