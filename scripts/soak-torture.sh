#!/usr/bin/env bash
# Long runs of the real-kernel crash harnesses (walogs-torture), printing each figure as one
# line and collecting them in target/soak-torture.log.
#
#   KILLS        SIGKILLs of single-threaded children (appends, batches, append_many,
#                truncations, purges, user data, durability callbacks and waits), cycling
#                Wal/SharedWal and the four durability policies (default 10000, the goal;
#                about 15 minutes)
#   GROUP_KILLS  SIGKILLs of children appending from 4 threads to one SharedWal while one
#                thread runs the log control (default KILLS / 2)
#   SWEEP_SEEDS  shim sweeps per workload, each with a different seed (default 5): Wal and
#                SharedWal (120 operations), 8 concurrent appenders (24 operations each),
#                a relaxed durability policy single-threaded (interval, manual, none in
#                turn; writes and syncs, held to what was reported durable) and with 8
#                concurrent appenders (writes only)
#   ROT_SEEDS    bit-rot sweeps, each a different 3-segment log (default 5)
#   MUTANTS      1 (default): also run the mutants of scripts/mutants.py that name crash
#                harnesses (a broken core each; every harness it names must catch it)
#
# Violations that a known core bug explains (walogs-torture/src/known.rs) are tolerated and
# counted; STRICT=1 tolerates none.
#   SEED         base seed (default: the date, printed so a run can be repeated)
#
# A scaled run: KILLS=1000 SWEEP_SEEDS=1 ROT_SEEDS=1 scripts/soak-torture.sh
set -euo pipefail
cd "$(dirname "$0")/.."

KILLS="${KILLS:-10000}"
GROUP_KILLS="${GROUP_KILLS:-$((KILLS / 2))}"
SWEEP_SEEDS="${SWEEP_SEEDS:-5}"
ROT_SEEDS="${ROT_SEEDS:-5}"
MUTANTS="${MUTANTS:-1}"
SEED="${SEED:-$(date +%Y%m%d)}"
if [ "${STRICT:-0}" = 1 ]; then
    export WALOGS_STRICT=1
fi

if ! command -v mkfs.ext4 >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq e2fsprogs >/dev/null
fi
cargo build --release -p walogs-torture
work=target/soak-torture
log=target/soak-torture.log
rm -rf "$work"
mkdir -p "$work"
# A private copy of the binary: a rebuild of the shared target directory cannot swap it
# mid-soak.
bin="$work/walogs-torture"
cp target/release/walogs-torture "$bin"
: >"$log"
status=0

step() {
    echo "+ $*" | tee -a "$log"
    local start=$SECONDS
    if ! "$@" 2>&1 | tee -a "$log"; then
        status=1
    fi
    echo "  ($((SECONDS - start)) s)" | tee -a "$log"
}

policies=(interval manual none)
echo "soak-torture: seed $SEED, $KILLS + $GROUP_KILLS kills, $SWEEP_SEEDS sweeps per workload, $ROT_SEEDS bit-rot logs" | tee -a "$log"
step "$bin" kill --dir "$work/kill" --kills "$KILLS" --seed "$SEED"
step "$bin" kill --dir "$work/group-kill" --kills "$GROUP_KILLS" --seed "$SEED" --threads 4 --max-len 65536
for i in $(seq 1 "$SWEEP_SEEDS"); do
    s=$((SEED + i))
    step "$bin" sweep --work "$work/sweep" --ops 120 --seed "$s"
    step "$bin" sweep --work "$work/sweep" --ops 120 --seed "$s" --shared 1 --sticky 0
    step "$bin" sweep --work "$work/sweep" --ops 24 --seed "$s" --threads 8 --shared 1
    step "$bin" sweep --work "$work/sweep" --ops 120 --seed "$s" --policy "${policies[$((i % 3))]}" --shared "$((i % 2))"
    step "$bin" sweep --work "$work/sweep" --ops 24 --seed "$s" --threads 8 --shared 1 --policy "${policies[$(((i + 1) % 3))]}"
done
step "$bin" enospc --work "$work" --seed "$SEED"
for i in $(seq 1 "$ROT_SEEDS"); do
    step "$bin" bitrot --work "$work" --seed "$((SEED + i))"
done
if [ "$MUTANTS" = 1 ]; then
    step env SEED="$SEED" MUTANT_KILLS=1000 python3 scripts/mutants.py --suites '' \
        --only cut-inside-unit-unrecorded group-commit-early-ack
fi
rm -rf "$work"

echo
echo "== walogs-torture soak figures (seed $SEED) =="
grep -E '^(shim|kill|enospc|bit-rot|truncation)( \([^)]*\))?[ :]|^(CAUGHT|MISSED|STALE) |^mutants: ' "$log"
echo "violations tolerated as known core bugs: $(grep -c '^tolerated (known core bug' "$log" || true) ($(grep -o '^tolerated (known core bug T[0-9]*' "$log" | sort | uniq -c | sed 's/tolerated (known core bug //' | tr '\n' ' '))"
exit "$status"
