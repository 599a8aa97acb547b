#!/usr/bin/env bash
# Long runs of the real-kernel crash harnesses (walogs-torture), printing each figure as one
# line and collecting them in target/soak-torture.log.
#
#   KILLS        SIGKILLs of the kill harness (default 10000, the goal; about 10 minutes)
#   SWEEP_SEEDS  shim sweeps, each a different 120-operation workload (default 5)
#   ROT_SEEDS    bit-rot sweeps, each a different 3-segment log (default 5)
#   SEED         base seed (default: the date, printed so a run can be repeated)
#
# A scaled run: KILLS=1000 SWEEP_SEEDS=1 ROT_SEEDS=1 scripts/soak-torture.sh
set -euo pipefail
cd "$(dirname "$0")/.."

KILLS="${KILLS:-10000}"
SWEEP_SEEDS="${SWEEP_SEEDS:-5}"
ROT_SEEDS="${ROT_SEEDS:-5}"
SEED="${SEED:-$(date +%Y%m%d)}"

if ! command -v mkfs.ext4 >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq e2fsprogs >/dev/null
fi
cargo build --release -p walogs-torture
bin=target/release/walogs-torture
work=target/soak-torture
log=target/soak-torture.log
rm -rf "$work"
mkdir -p "$work"
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

echo "soak-torture: seed $SEED, $KILLS kills, $SWEEP_SEEDS sweeps, $ROT_SEEDS bit-rot logs" | tee -a "$log"
step "$bin" kill --dir "$work/kill" --kills "$KILLS" --seed "$SEED"
for i in $(seq 1 "$SWEEP_SEEDS"); do
    step "$bin" sweep --work "$work/sweep" --ops 120 --seed "$((SEED + i))"
done
step "$bin" enospc --work "$work" --seed "$SEED"
for i in $(seq 1 "$ROT_SEEDS"); do
    step "$bin" bitrot --work "$work" --seed "$((SEED + i))"
done
rm -rf "$work"

echo
echo "== walogs-torture soak figures (seed $SEED) =="
grep -E '^(shim|kill|enospc|bit-rot|truncation)( \([A-Za-z]+\))?: ' "$log"
exit "$status"
