#!/usr/bin/env bash
# Tests of the `walogs` command-line tool: lint (fmt, clippy, rustdoc), the integration tests
# (every subcommand and exit code on healthy, torn and damaged logs; purge and truncate; links,
# FIFOs and permissions in the WAL directory; the read-only commands beside a live writer
# process; SIGKILL of a writer), and a short run of the demo (scripts/demo.sh, the README's
# first command).
#
# Needs only Rust stable with rustfmt and clippy (added with rustup if missing).
# Set WALOGS_SKIP_DEMO=1 to skip the demo (it builds the CLI in release mode).
# scripts/test-all.sh sets WALOGS_WORKSPACE_TESTED=1 once scripts/test-rust.sh (which lints and
# tests the whole workspace, walogs-cli included) passed: then only the demo runs here.
set -euo pipefail
cd "$(dirname "$0")/.."

for comp in rustfmt clippy; do
  if ! cargo "${comp/rustfmt/fmt}" --version >/dev/null 2>&1; then
    rustup component add "$comp"
  fi
done

if [[ "${WALOGS_WORKSPACE_TESTED:-0}" == 1 ]]; then
  echo "== walogs-cli: fmt, clippy, rustdoc and tests ran in scripts/test-rust.sh (whole workspace) in this run"
else
  echo "== walogs-cli: fmt, clippy, rustdoc"
  cargo fmt -p walogs-cli --check
  cargo clippy -p walogs-cli --all-targets --quiet -- -D warnings
  RUSTDOCFLAGS="-D warnings" cargo doc -p walogs-cli --no-deps --quiet

  echo "== walogs-cli: tests"
  cargo test -p walogs-cli
fi

if [[ "${WALOGS_SKIP_DEMO:-0}" != 1 ]]; then
  echo "== scripts/demo.sh (3 rounds)"
  DEMO_ROUNDS=3 scripts/demo.sh
fi
echo "walogs-cli: all tests passed"
