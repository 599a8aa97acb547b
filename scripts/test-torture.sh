#!/usr/bin/env bash
# CI run of the real-kernel crash harnesses (walogs-torture): the LD_PRELOAD fault-injection
# sweep, real SIGKILLs, ENOSPC on a loop-mounted ext4, bit rot and truncation. Each harness
# prints its figure as one line; they are repeated at the end. Budget: under 4 minutes on
# 2 cores including the release build.
#
# Needs: Rust stable, a C compiler (cc), and for the ENOSPC harness root, mkfs.ext4
# (e2fsprogs, installed here if missing) and loop devices; without them that harness skips
# with a message (WALOGS_TORTURE_REQUIRE_MOUNT=1 makes the skip a failure).
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
cargo test --release -p walogs-torture --no-fail-fast -- --nocapture 2>&1 | tee "$log"

echo
echo "== walogs-torture figures =="
grep -E '^(shim|kill|enospc|bit-rot|truncation)( \([A-Za-z]+\))?: ' "$log"
