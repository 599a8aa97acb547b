#!/usr/bin/env bash
# Long runs of the simulated crash-safety harnesses (walogs-sim) and of the libFuzzer
# targets, at full size: about 15 minutes on 2 cores with the defaults. Each harness prints
# its figures one line per tally (plus an indented timing line); they are collected in
# target/soak-sim.log and repeated at the end. CI runs the short version: scripts/test-sim.sh.
#
#   PL_LEN      longest power-loss workload (default 5: 9330 workloads; the 4-op variants
#               with the shared handle and with in-order directories run as well)
#   CTL_LEN     longest log-control power-loss workload (default 4: 11110 workloads of
#               appends, batches, append_many, truncations, purges, user data, reopens; one
#               less on the shared handle and under Manual and None, which add sync() and
#               durability notifications; the bit-rot sweep of these workloads too)
#   RELAXED_LEN longest power-loss workload under Interval(1 h), Manual and None (default
#               4: 2800 workloads each, with sync()); one less under Interval(1 ms), whose
#               flusher runs between and during the operations (not replayed exactly)
#   FAULT_LEN   longest fault-injection workload (default 4; one less for the log-control
#               workloads, which run after a batch and an append_many)
#   RUNS        random runs per directory mode (default 20000, 300 operations each); a
#               quarter as many under relaxed policies
#   CONC_RUNS   concurrent-appender runs with power loss at every crash point (default
#               2000, 2-8 threads x 8 calls, a watcher waiting for durability, a
#               truncation between the halves); ten times as many fault runs
#   ROT_LEN     longest bit-rot workload (default 5 under the default policy, one less under
#               Manual and Interval(1 ms); CTL_LEN for the log-control workloads)
#   FUZZ_SECS   seconds per libFuzzer target, and per structured-fuzz target (default 60)
#   SEED        base seed (default: the date, printed so a run can be repeated)
#
# Known, reported core bugs (walogs-sim/src/harness/known.rs) are tolerated and counted in
# the figures; WALOGS_STRICT=1 (or its older name WALOGS_SIM_STRICT=1) fails on them too.
# A scaled run: PL_LEN=4 CTL_LEN=3 RELAXED_LEN=3 FAULT_LEN=3 RUNS=1000 CONC_RUNS=200 ROT_LEN=4 FUZZ_SECS=10 scripts/soak-sim.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PL_LEN="${PL_LEN:-5}"
CTL_LEN="${CTL_LEN:-4}"
RELAXED_LEN="${RELAXED_LEN:-4}"
FAULT_LEN="${FAULT_LEN:-4}"
RUNS="${RUNS:-20000}"
CONC_RUNS="${CONC_RUNS:-2000}"
ROT_LEN="${ROT_LEN:-5}"
FUZZ_SECS="${FUZZ_SECS:-60}"
SEED="${SEED:-$(date +%Y%m%d)}"
export CARGO_TERM_COLOR=never

if ! command -v c++ >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++ >/dev/null
fi
cargo build --release -p walogs-sim --bins
bash scripts/libfuzzer.sh build

# A private copy: a rebuild of the shared target dir during the soak must not swap the binary.
mkdir -p target/soak-sim
cp target/release/walogs-sim target/soak-sim/walogs-sim
sim=target/soak-sim/walogs-sim
log=target/soak-sim.log
: >"$log"
status=0
start_all=$SECONDS
echo "soak-sim: SEED=$SEED PL_LEN=$PL_LEN CTL_LEN=$CTL_LEN RELAXED_LEN=$RELAXED_LEN FAULT_LEN=$FAULT_LEN RUNS=$RUNS" \
    "CONC_RUNS=$CONC_RUNS ROT_LEN=$ROT_LEN FUZZ_SECS=$FUZZ_SECS strict=${WALOGS_STRICT:-${WALOGS_SIM_STRICT:-0}}" | tee -a "$log"

step() {
    echo "+ $*" | tee -a "$log"
    local start=$SECONDS out=target/soak-sim-step.log
    if ! "$@" >"$out" 2>&1; then
        status=1
    fi
    cat "$out" >>"$log"
    # The terminal gets the figure lines and the first violations; the log gets everything.
    grep -E '^(power-loss|random|faults|fsyncgate|concurrent|bitrot|fuzz|known|  time|VIOLATION|GROUP|KNOWN)' "$out" |
        head -30 || true
    echo "  ($((SECONDS - start)) s)" | tee -a "$log"
}

step "$sim" power-loss max-len="$PL_LEN" seed="$SEED"
step "$sim" power-loss max-len=4 handle=shared seed="$SEED"
step "$sim" power-loss max-len=4 dirs=journaled seed="$SEED"
for d in interval-3600000ms manual none; do
    step "$sim" power-loss max-len="$RELAXED_LEN" durability="$d" seed="$SEED"
done
step "$sim" power-loss max-len="$((RELAXED_LEN - 1))" durability=interval-1ms seed="$SEED"
step "$sim" power-loss ops=control max-len="$CTL_LEN" seed="$SEED"
step "$sim" power-loss ops=control max-len="$((CTL_LEN - 1))" handle=shared seed="$SEED"
for d in manual none; do
    step "$sim" power-loss ops=control max-len="$((CTL_LEN - 1))" durability="$d" rres=1 seed="$SEED"
done
step "$sim" faults max-len="$FAULT_LEN" seed="$SEED"
step "$sim" faults ops=control max-len="$((FAULT_LEN - 1))" seed="$SEED"
step "$sim" random runs="$RUNS" steps=300 seed="$SEED"
step "$sim" random runs="$RUNS" steps=300 seed="$((SEED + 1))" dirs=journaled
step "$sim" random runs="$((RUNS / 4))" steps=300 seed="$((SEED + 2))" relaxed=1
step "$sim" concurrent runs="$CONC_RUNS" appenders=8 calls=8 seed="$SEED"
step "$sim" concurrent runs="$((CONC_RUNS * 10))" appenders=8 calls=8 faults=1 seed="$SEED"
step "$sim" bitrot max-len="$ROT_LEN" flips=4 seed="$SEED"
step "$sim" bitrot max-len="$((ROT_LEN - 1))" flips=4 durability=manual handle=shared seed="$SEED"
step "$sim" bitrot max-len="$((ROT_LEN - 1))" flips=4 durability=interval-1ms seed="$SEED"
step "$sim" bitrot ops=control max-len="$CTL_LEN" flips=4 seed="$SEED"
step "$sim" fuzz target=decode secs="$FUZZ_SECS" seed="$SEED"
step "$sim" fuzz target=open secs="$FUZZ_SECS" seed="$SEED"
if ! bash scripts/libfuzzer.sh run "$FUZZ_SECS" soak-sim 2>&1 | tee -a "$log"; then
    status=1
fi
step "$sim" known

echo
echo "== walogs-sim soak figures (SEED=$SEED) =="
grep -E '^(power-loss|random|faults|fsyncgate|concurrent|bitrot|fuzz|known core bugs)' "$log" || true
echo "soak-sim: $((SECONDS - start_all)) s in all; $(grep -c '^VIOLATION' "$log" || true) violations; log: $log"
exit "$status"
