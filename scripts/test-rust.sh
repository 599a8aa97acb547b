#!/usr/bin/env bash
# Rust: formatting, lints, docs and every workspace test except the long crash harnesses
# (those have their own scripts, run in release mode).
set -euo pipefail
cd "$(dirname "$0")/.."
rustup component add rustfmt clippy >/dev/null 2>&1 || true
t0=$(date +%s)
lap() { echo "=== test-rust: $1 done at $(($(date +%s) - t0))s"; }
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
lap clippy
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked
lap doc
cargo test --workspace --locked --exclude walogs-sim --exclude walogs-torture
lap test
cargo run -q --locked -p walogs-core --example quickstart
cargo run -q --locked -p walogs-openraft --example raft_kv -- --short
bash scripts/check-readme.sh
