#!/usr/bin/env bash
# Rust: formatting, lints, docs and every workspace test except the long crash harnesses
# (those have their own scripts, run in release mode).
set -euo pipefail
cd "$(dirname "$0")/.."
rustup component add rustfmt clippy >/dev/null 2>&1 || true
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked
cargo test --workspace --locked --exclude walogs-sim --exclude walogs-torture
cargo run -q --locked -p walogs-core --example quickstart
cargo run -q --locked -p walogs-openraft --example raft_kv -- --short
bash scripts/check-readme.sh
