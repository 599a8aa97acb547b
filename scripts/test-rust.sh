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
# The examples and the CLI binary as `cargo test --workspace` just built them (a `cargo run
# -p` of one package would build its dependencies again with that package's features).
bin=${CARGO_TARGET_DIR:-target}/debug
"$bin/examples/quickstart"
"$bin/examples/raft_kv" --short
bash scripts/check-readme.sh
lap examples
# One version everywhere, and the check's own self-test.
WALOGS_CLI="$bin/walogs" bash scripts/check-version.sh
bash scripts/check-version.sh --self-test
lap check-version
# Every planted bug of the mutation script still applies to the code (no build: a text check).
python3 scripts/mutants.py --list >/dev/null
# The crates.io packages of the publishable crates: walogs-core and walogs-streams are built
# from their packaged sources (as `cargo publish` would; about 15 s, in a target directory of
# their own, see below); walogs-cli and walogs-openraft are packaged without that build (it costs
# minutes cold: openraft, tokio, clap). WALOGS_PUBLISH_VERIFY_ALL=1 verifies all four.
publishable=(-p walogs-core -p walogs-streams -p walogs-cli -p walogs-openraft)
# Cargo verifies a package against its siblings through a temporary registry under the target
# directory: it unpacks them into $CARGO_HOME/registry/src/-<hash of that path>/ and treats
# what it built from there as immutable, like any registry crate. With a reused checkout path
# and an unchanged version number, an earlier run's unpacked sources and artifacts would be
# verified instead of these, so the verification builds in a target directory of its own,
# and the unpacked copies it leaves are removed afterwards.
verify_dir=$(mktemp -d)
registry_src=${CARGO_HOME:-$HOME/.cargo}/registry/src
unpacked_before=$(ls -d "$registry_src"/-* 2>/dev/null || true)
cleanup_verify() {
  rm -rf -- "$verify_dir"
  local d
  for d in "$registry_src"/-*; do
    [[ -d $d ]] || continue
    if ! grep -qxF -- "$d" <<<"$unpacked_before"; then rm -rf -- "$d"; fi
  done
}
trap cleanup_verify EXIT
if [[ ${WALOGS_PUBLISH_VERIFY_ALL:-0} == 1 ]]; then
  CARGO_TARGET_DIR=$verify_dir cargo publish -q --dry-run --allow-dirty --locked "${publishable[@]}"
else
  CARGO_TARGET_DIR=$verify_dir cargo publish -q --dry-run --allow-dirty --locked \
    -p walogs-core -p walogs-streams
  cargo package -q --no-verify --allow-dirty --locked "${publishable[@]}"
fi
lap package
