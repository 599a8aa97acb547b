#!/usr/bin/env bash
# Long runs of the simulated crash-safety harnesses (walogs-sim) and of the libFuzzer
# targets, at full size: about 10 minutes on 2 cores with the defaults. Each harness prints
# its figures one line per tally (plus an indented timing line); they are collected in
# target/soak-sim.log and repeated at the end. CI runs the short version: scripts/test-sim.sh.
#
#   PL_LEN      longest power-loss workload (default 5: 9330 workloads; the 4-op variants
#               with the shared handle and with in-order directories run as well)
#   FAULT_LEN   longest fault-injection workload (default 4)
#   RUNS        random runs per directory mode (default 20000, 300 operations each)
#   FUZZ_SECS   seconds per libFuzzer target, and per structured-fuzz target (default 60)
#   SEED        base seed (default: the date, printed so a run can be repeated)
#
# Known, reported core bugs (walogs-sim/src/harness/known.rs) are tolerated and counted in
# the figures; WALOGS_SIM_STRICT=1 fails on them too.
# A scaled run: PL_LEN=4 FAULT_LEN=3 RUNS=1000 FUZZ_SECS=10 scripts/soak-sim.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PL_LEN="${PL_LEN:-5}"
FAULT_LEN="${FAULT_LEN:-4}"
RUNS="${RUNS:-20000}"
FUZZ_SECS="${FUZZ_SECS:-60}"
SEED="${SEED:-$(date +%Y%m%d)}"
export CARGO_TERM_COLOR=never

if ! command -v c++ >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++ >/dev/null
fi
cargo build --release -p walogs-sim --bins
host="$(rustc -vV | sed -n 's/^host: //p')"
fuzz_target_dir="$PWD/fuzz/target"
CARGO_TARGET_DIR="$fuzz_target_dir" RUSTFLAGS="-Cpasses=sancov-module \
-Cllvm-args=-sanitizer-coverage-level=4 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
-Cllvm-args=-sanitizer-coverage-pc-table -Cllvm-args=-sanitizer-coverage-trace-compares \
--cfg fuzzing" \
    cargo build --release --locked --manifest-path fuzz/Cargo.toml --target "$host"

# A private copy: a rebuild of the shared target dir during the soak must not swap the binary.
mkdir -p target/soak-sim
cp target/release/walogs-sim target/soak-sim/walogs-sim
sim=target/soak-sim/walogs-sim
log=target/soak-sim.log
: >"$log"
status=0
start_all=$SECONDS
echo "soak-sim: SEED=$SEED PL_LEN=$PL_LEN FAULT_LEN=$FAULT_LEN RUNS=$RUNS FUZZ_SECS=$FUZZ_SECS" \
    "strict=${WALOGS_SIM_STRICT:-0}" | tee -a "$log"

step() {
    echo "+ $*" | tee -a "$log"
    local start=$SECONDS out=target/soak-sim-step.log
    if ! "$@" >"$out" 2>&1; then
        status=1
    fi
    cat "$out" >>"$log"
    # The terminal gets the figure lines and the first violations; the log gets everything.
    grep -E '^(power-loss|random|faults|fsyncgate|fuzz|known|  time|VIOLATION|GROUP|KNOWN)' "$out" |
        head -30 || true
    echo "  ($((SECONDS - start)) s)" | tee -a "$log"
}

step "$sim" power-loss max-len="$PL_LEN" seed="$SEED"
step "$sim" power-loss max-len=4 handle=shared seed="$SEED"
step "$sim" power-loss max-len=4 dirs=journaled seed="$SEED"
step "$sim" faults max-len="$FAULT_LEN" seed="$SEED"
step "$sim" random runs="$RUNS" steps=300 seed="$SEED"
step "$sim" random runs="$RUNS" steps=300 seed="$((SEED + 1))" dirs=journaled
step "$sim" fuzz target=decode secs="$FUZZ_SECS" seed="$SEED"
step "$sim" fuzz target=open secs="$FUZZ_SECS" seed="$SEED"
for t in frame_decode open_image; do
    corpus="fuzz/target/corpus/$t"
    mkdir -p "$corpus" fuzz/target/artifacts
    out="target/soak-sim-fuzz-$t.log"
    echo "+ libFuzzer $t -max_total_time=$FUZZ_SECS" | tee -a "$log"
    if "$fuzz_target_dir/$host/release/$t" -max_total_time="$FUZZ_SECS" -rss_limit_mb=2048 \
        -artifact_prefix=fuzz/target/artifacts/ -print_final_stats=1 "$corpus" >"$out" 2>&1; then
        runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$out")"
        cov="$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$out" | tail -1 |
            sed -n 's/.*cov: \([0-9]*\).*/\1/p')"
        echo "fuzz-libfuzzer $t: ${runs:-?} runs in $FUZZ_SECS s, coverage ${cov:-?} edges," \
            "corpus $(find "$corpus" -type f | wc -l) inputs, 0 crashes" | tee -a "$log"
    else
        tail -40 "$out"
        echo "fuzz-libfuzzer $t: FAILED, input in fuzz/target/artifacts/ (log: $out)" | tee -a "$log"
        status=1
    fi
done
step "$sim" known

echo
echo "== walogs-sim soak figures (SEED=$SEED) =="
grep -E '^(power-loss|random|faults|fsyncgate|fuzz|known core bugs)' "$log" || true
echo "soak-sim: $((SECONDS - start_all)) s in all; $(grep -c '^VIOLATION' "$log" || true) violations; log: $log"
exit "$status"
