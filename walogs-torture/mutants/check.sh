#!/usr/bin/env bash
# Proves that the harnesses of walogs-torture bite: for each *.patch in this directory (a
# deliberately broken walogs-core), build walogs-torture against a scratch copy of the
# repository with the patch applied (the checkout itself is never touched), run the
# harnesses the patch names on its first line ("harnesses: ..."), and require that each
# reports violations. Prints one "mutant ...:" line per patch; the patch's second line says
# what is broken.
#
#   group-commit-early-ack.patch     SharedWal acknowledges a group's followers before the
#                                    group's write and fdatasync (concurrent harnesses).
#   cut-inside-unit-unrecorded.patch truncate_after inside a unit does not record the
#                                    deliberate cut (single-threaded harnesses).
#
# Harness names: concurrent-sweep (6 threads on one SharedWal), concurrent-kill (4 threads),
# sweep (single-threaded, Wal), kill (single-threaded, every policy).
#
# Exit status: 0 every mutant caught by every harness it names; 1 a mutant survived one;
# 2 a patch no longer applies to walogs-core (refresh it: apply the change by hand,
# `diff -u`, keep the two header lines).
#   MUTANT_KILLS  kills of the kill harnesses (default 200)
#   SEED          seed of every harness (default 7)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
kills="${MUTANT_KILLS:-200}"
seed="${SEED:-7}"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/walogs-mutant.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
status=0

# run_harness NAME BIN OUT: run one harness, writing its stdout/stderr to OUT.{out,err};
# prints its exit status.
run_harness() {
    local name=$1 bin=$2 out=$3
    set +e
    case "$name" in
    concurrent-sweep)
        "$bin" sweep --work "$scratch/sweep" --seed "$seed" --threads 6 --shared 1 --ops 6 --sticky 0 ;;
    concurrent-kill)
        "$bin" kill --dir "$scratch/kill-$seed" --kills "$kills" --seed "$seed" --threads 4 --max-len 65536 ;;
    sweep)
        "$bin" sweep --work "$scratch/sweep" --seed "$seed" --ops 30 ;;
    kill)
        "$bin" kill --dir "$scratch/kill-$seed" --kills "$kills" --seed "$seed" ;;
    *)
        echo "unknown harness $name" >&2; false ;;
    esac >"$out.out" 2>"$out.err"
    echo $?
    set -e
    rm -rf "$scratch/sweep" "$scratch/kill-$seed"
}

for patch in "$root"/walogs-torture/mutants/*.patch; do
    name=$(basename "$patch" .patch)
    harnesses=$(sed -n '1s/^harnesses: //p' "$patch")
    copy="$scratch/$name"
    mkdir -p "$copy"
    tar -C "$root" -cf - Cargo.toml Cargo.lock walogs-core walogs-testkit walogs-sim walogs-torture |
        tar -C "$copy" -xf -
    # Only the crates walogs-torture needs: the other members need not build for this.
    sed -i 's/^members = .*/members = ["walogs-core", "walogs-testkit", "walogs-sim", "walogs-torture"]/' "$copy/Cargo.toml"
    if [ -z "$harnesses" ] || ! patch -s -p1 -d "$copy" --dry-run <"$patch" >/dev/null; then
        echo "mutant $name: the patch no longer applies to walogs-core (or names no harness); refresh it"
        status=2
        continue
    fi
    patch -s -p1 -d "$copy" <"$patch"
    CARGO_TARGET_DIR="$scratch/target" cargo build --quiet --release \
        --manifest-path "$copy/Cargo.toml" -p walogs-torture
    bin="$scratch/target/release/walogs-torture"
    verdicts=()
    for h in $harnesses; do
        rc=$(run_harness "$h" "$bin" "$scratch/$h")
        v=$(grep -c '^VIOLATION' "$scratch/$h.err" || true)
        if [ "$rc" = 1 ] && [ "$v" -gt 0 ]; then
            verdicts+=("$h caught ($v violations)")
        else
            verdicts+=("$h SURVIVED (exit $rc)")
            [ "$status" = 2 ] || status=1
        fi
        grep -h -m 2 "^VIOLATION" "$scratch/$h.err" | cut -c1-300 || true
    done
    joined=$(printf '%s; ' "${verdicts[@]}")
    echo "mutant $name ($(sed -n 2p "$patch" | cut -c1-90)...): ${joined%; }"
done
exit "$status"
