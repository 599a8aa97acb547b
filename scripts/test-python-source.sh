#!/usr/bin/env bash
# The README's build from source, `pip install ./bindings/python`, with cargo present: a
# release build of the extension for this machine (its glibc, no manylinux tag) through the
# in-tree build backend and maturin, into a fresh venv (target/py-source-venv), then
# bindings/python/tests/smoke_installed.py (Wal and Streams). Not part of
# scripts/test-python.sh, which tests the manylinux wheel instead: this build cannot reuse
# that one's compiled crates (zig links it for another target directory), so it is a second
# release build (about a minute on 2 cores; incremental when run again with the same
# CARGO_TARGET_DIR). Exits non-zero on any failure.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
PKG=$ROOT/bindings/python
VENV=${WALOGS_PY_SOURCE_VENV:-$ROOT/target/py-source-venv}
PYTHON=${PYTHON:-python3}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
export CARGO_TERM_COLOR=never
export PIP_DISABLE_PIP_VERSION_CHECK=1
# The isolated build gets the pinned maturin.
export PIP_CONSTRAINT=$PKG/requirements-dev.txt
start=$(date +%s)

rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
echo "=== pip install ./bindings/python (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
"$VENV/bin/python" -m pip install -q --no-deps "$PKG"
echo "=== the smoke test"
(cd /tmp && "$VENV/bin/python" "$PKG/tests/smoke_installed.py")
echo "=== built from source and smoke-tested in $(($(date +%s) - start))s"
