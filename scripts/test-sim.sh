#!/usr/bin/env bash
# CI run of the simulated crash-safety harnesses (walogs-sim) and a short coverage-guided
# fuzz of the two libFuzzer targets in fuzz/. Each harness prints its figures one line per
# tally (states checked, seeds, violations); they are repeated in a summary at the end.
# Budget: about 100 s on 2 cores including the builds. Full sizes: scripts/soak-sim.sh.
#
#   power-loss      every crash point of every workload of up to 4 operations, 4 resolutions
#                   each, then every crash point inside the recovering open (2 resolutions);
#                   3-op variants with the shared handle and with in-order directories;
#                   relaxed durability (Manual, 3 ops; Interval(1 ms), 2 ops) with sync() calls
#   power-loss[control]  the log-control workloads: every crash point of every workload of
#                   up to 3 of append/batch/append_many/truncate (inside a unit, at a
#                   boundary, across segments)/purge (inside, segment boundary, past the
#                   end)/user data/reopen; 2-op variants on the shared handle and under Manual
#                   (with sync() and durability notifications)
#   random          150 seeded runs x 300 operations (log control included), tiny segments,
#                   crashes pile up, for unordered and in-order directory operations; 100
#                   runs under relaxed policies
#   faults          EIO/ENOSPC at every write/sync/metadata/read call of every 3-op workload,
#                   and of every log-control workload of 2 ops after a batch and an
#                   append_many; faults-in-place: next_lsn() and the segment files right
#                   after each failure; fsyncgate
#   concurrent      2-6 threads appending to one SharedWal (group-commit followers), a
#                   watcher waiting for durability, a truncate_after between the halves:
#                   every crash point of 40 runs, and 300 runs with one fault each
#   bitrot          a bit or byte of every acknowledged frame flipped in every crash state of
#                   every 4-op workload (3-op Manual workloads on the shared handle, 3-op
#                   log-control workloads)
#   known bugs      every tolerated core bug still reproduces (the fixed ones, B1-B7, are
#                   regression tests in walogs-core/tests/sim_regressions.rs)
#   fuzz            structured fuzzer (in the tests); libFuzzer only with FUZZ_SECS > 0 (its
#                   coverage build of the core takes minutes on a fresh machine: CI leaves it
#                   to scripts/soak-sim.sh, which builds and runs it for FUZZ_SECS (60) per
#                   target)
#
# Needs: Rust stable and a C++ compiler for libFuzzer's runtime (g++ installed if missing).
# Known, reported core bugs (walogs-sim/src/harness/known.rs) are tolerated and listed in the
# summary; WALOGS_STRICT=1 (or its older name WALOGS_SIM_STRICT=1) fails on them too. With no
# known bug left, the run is strict.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECS="${FUZZ_SECS:-0}"
export CARGO_TERM_COLOR=never
mkdir -p target
log=target/test-sim.log
: >"$log"
t_start=$(date +%s)
status=0

if ! command -v c++ >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "test-sim: installing g++ (libFuzzer's runtime is C++)"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++ >/dev/null
    else
        echo "test-sim: a C++ compiler (c++) is needed to build libFuzzer" >&2
        exit 1
    fi
fi

# The fuzz crate is not a workspace member: it has its own lock file, used --locked.
if [ ! -f fuzz/Cargo.lock ]; then
    echo "test-sim: fuzz/Cargo.lock is missing (generate it and commit it)" >&2
    exit 1
fi
if ! cargo metadata --locked --format-version 1 --manifest-path fuzz/Cargo.toml >/dev/null; then
    echo "test-sim: fuzz/Cargo.lock does not match the dependencies of walogs-core/walogs-sim;" \
        "run 'cargo update --manifest-path fuzz/Cargo.toml --workspace' and commit it" >&2
    exit 1
fi

# ---- the harnesses (cargo tests) -----------------------------------------------------------
cargo build --release -p walogs-sim --bins --tests
if ! cargo test --release --no-fail-fast -p walogs-sim -- --nocapture --test-threads=1 2>&1 | tee -a "$log"; then
    status=1
fi
if ! "${CARGO_TARGET_DIR:-target}/release/walogs-sim" known 2>&1 | tee -a "$log"; then
    status=1
fi
t_tests=$(date +%s)

# ---- libFuzzer (scripts/libfuzzer.sh: stable-Rust coverage build, one figure per target) ---
if [ "$FUZZ_SECS" -gt 0 ]; then
    bash scripts/libfuzzer.sh build
    if ! bash scripts/libfuzzer.sh run "$FUZZ_SECS" test-sim 2>&1 | tee -a "$log"; then
        status=1
    fi
else
    echo "fuzz-libfuzzer: not run (FUZZ_SECS=0; scripts/soak-sim.sh runs it)" | tee -a "$log"
fi
t_end=$(date +%s)

# ---- summary ------------------------------------------------------------------------------
echo
echo "== walogs-sim summary =="
figures="$(sed -E 's/^test [a-z_0-9]+ \.\.\. //' "$log")"
for prefix in power-loss random faults fsyncgate concurrent bitrot fuzz-structured fuzz-libfuzzer 'known '; do
    grep -E "^$prefix" <<<"$figures" || true
done
grep -E '^test result: ' "$log" | awk '{p += $4; f += $6; i += $8} END {
    printf "cargo tests: %d passed, %d failed, %d ignored%s\n", p, f, i, (i ? " (open core bugs)" : "") }'
states="$( (grep -E '^(power-loss|random|faults|fsyncgate|concurrent|bitrot)' <<<"$figures" || true) |
    sed -E 's/^[^:]*: ([0-9]+) .*/\1/' | awk '{s += $1} END {print s + 0}')"
violations="$(grep -c '^VIOLATION' "$log" || true)"
tolerated="$( (grep -oE 'not counted above: [^)]*' "$log" || true) |
    sed 's/not counted above: //' | paste -sd ';' -)"
mode="strict (no known core bug tolerated)"
if [ "${WALOGS_STRICT:-}" != 1 ] && [ "${WALOGS_SIM_STRICT:-}" != 1 ] && grep -q '^known core bugs: [1-9]' "$log"; then
    mode="tolerating the listed known core bugs${tolerated:+ (hit: $tolerated)}"
fi
echo "sim: $states crash states and fault runs checked, $violations violations reported; $mode"
echo "sim: tests $((t_tests - t_start)) s, fuzz build + run $((t_end - t_tests)) s, total $((t_end - t_start)) s"
if [ "$status" -ne 0 ]; then
    echo "test-sim: FAILED (see the VIOLATION / FAILED lines above, full log: $log)" >&2
fi
exit "$status"
