#!/usr/bin/env bash
# The full walogs benchmark: release build, one run, one disk.
# Prints the write, read, cold-cache, latency and point-read tables (with the peers) and the
# targets with PASS/MISS, and writes the throughput plot (target/bench/throughput.svg).
# Extra arguments go to the benchmark (try --help); e.g. scripts/bench.sh --dir /mnt/ssd
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p walogs-bench
exec ./target/release/walogs-bench "$@"
