#!/usr/bin/env bash
# CI run of the real-kernel crash harnesses (walogs-torture): the LD_PRELOAD fault-injection
# sweep (single-threaded on Wal and SharedWal, under the Interval flusher, concurrent
# appenders on one SharedWal), real SIGKILLs (every durability policy; concurrent
# appenders), ENOSPC on a loop-mounted ext4, bit rot and truncation. The workloads include
# the log control (truncate_after, purge_up_to, user data, on_durable, wait_durable). Each
# harness prints its figure as one line; they are repeated at the end. Budget: about 90 s
# on 2 cores with the release build cached (the long runs are scripts/soak-torture.sh).
#
# Needs: Rust stable, a C compiler (cc), and for the ENOSPC harness root, mkfs.ext4
# (e2fsprogs, installed here if missing) and loop devices; without them that harness skips
# with a message (WALOGS_TORTURE_REQUIRE_MOUNT=1 makes the skip a failure).
# WALOGS_STRICT=1 (or its older name WALOGS_TORTURE_STRICT=1) tolerates no known core bug
# (walogs-torture/src/known.rs).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cc >/dev/null 2>&1; then
    echo "test-torture: a C compiler (cc) is needed to build the LD_PRELOAD shim" >&2
    exit 1
fi
if ! command -v mkfs.ext4 >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq e2fsprogs >/dev/null
fi

export WALOGS_TORTURE_KILLS="${WALOGS_TORTURE_KILLS:-100}"
mkdir -p target
log=target/test-torture.log

cargo build --release -p walogs-torture
set +e
cargo test --release -p walogs-torture --no-fail-fast -- --nocapture 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

echo
echo "== walogs-torture figures =="
sed -E 's/^test .* \.\.\. //' "$log" |
    grep -E '^(shim|kill|enospc|bit-rot|truncation)( \([^)]*\))?: |^known core bugs tolerated|tolerated as known core bugs \(first' || true
exit "$status"
