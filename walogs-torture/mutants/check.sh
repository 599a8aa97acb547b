#!/usr/bin/env bash
# Proves that the concurrent harnesses of walogs-torture bite: for each *.patch in this
# directory (a deliberately broken walogs-core), build walogs-torture against a scratch copy
# of the repository with the patch applied (the checkout itself is never touched), run the
# concurrent shim sweep and the concurrent kill harness against it, and require that each
# reports violations. Prints one "mutant ...:" line per patch.
#
#   group-commit-early-ack.patch  SharedWal acknowledges a group's followers (and publishes
#                                 the durable LSN) before the group's write and fdatasync;
#                                 the leader still returns its own error. Passes every
#                                 single-threaded harness.
#
# Exit status: 0 every mutant caught by both harnesses; 1 a mutant survived one; 2 a patch
# no longer applies to walogs-core (refresh it: apply the change by hand, `diff -u`).
#   MUTANT_KILLS  kills of the concurrent kill harness (default 200)
#   SEED          seed of both harnesses (default 7)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
kills="${MUTANT_KILLS:-200}"
seed="${SEED:-7}"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/walogs-mutant.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
status=0
for patch in "$root"/walogs-torture/mutants/*.patch; do
    name=$(basename "$patch" .patch)
    copy="$scratch/$name"
    mkdir -p "$copy"
    tar -C "$root" -cf - Cargo.toml Cargo.lock walogs-core walogs-torture | tar -C "$copy" -xf -
    # Only the two crates: the other members need not build for this.
    sed -i 's/^members = .*/members = ["walogs-core", "walogs-torture"]/' "$copy/Cargo.toml"
    if ! patch -s -p1 -d "$copy" --dry-run <"$patch" >/dev/null; then
        echo "mutant $name: the patch no longer applies to walogs-core; refresh it"
        status=2
        continue
    fi
    patch -s -p1 -d "$copy" <"$patch"
    CARGO_TARGET_DIR="$scratch/target" cargo build --quiet --release \
        --manifest-path "$copy/Cargo.toml" -p walogs-torture
    bin="$scratch/target/release/walogs-torture"
    set +e
    "$bin" sweep --work "$scratch/sweep" --seed "$seed" --threads 6 --shared 1 --ops 6 --sticky 0 \
        >"$scratch/sweep.out" 2>"$scratch/sweep.err"
    sweep_rc=$?
    "$bin" kill --dir "$scratch/kill" --kills "$kills" --seed "$seed" --threads 4 --max-len 65536 \
        >"$scratch/kill.out" 2>"$scratch/kill.err"
    kill_rc=$?
    set -e
    sweep_v=$(grep -c '^VIOLATION' "$scratch/sweep.err" || true)
    kill_v=$(grep -c '^VIOLATION' "$scratch/kill.err" || true)
    verdict() { # exit status, violations
        if [ "$1" = 1 ] && [ "$2" -gt 0 ]; then echo "caught ($2 violations)"; else echo "SURVIVED (exit $1)"; fi
    }
    echo "mutant $name: concurrent shim sweep $(verdict "$sweep_rc" "$sweep_v"); concurrent kill harness ($kills kills) $(verdict "$kill_rc" "$kill_v")"
    grep -h -m 3 "^VIOLATION" "$scratch/sweep.err" "$scratch/kill.err" | cut -c1-300 || true
    if [ "$sweep_rc" != 1 ] || [ "$kill_rc" != 1 ] || [ "$sweep_v" = 0 ] || [ "$kill_v" = 0 ]; then
        [ "$status" = 2 ] || status=1
    fi
done
exit "$status"
