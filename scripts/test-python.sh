#!/usr/bin/env bash
# Test the Python package (bindings/python) on a fresh machine with only Rust and Python:
#   1. a venv in target/py-venv (installs Debian's python3-venv if the venv module is missing),
#      with the pinned tools of bindings/python/requirements-dev.txt (maturin, pytest, mypy);
#      then rustfmt and clippy -D warnings on the binding crate and the Rust bench baseline;
#   2. `pip install ./bindings/python`, exactly what the README tells users (maturin builds the
#      abi3 extension; the Rust build goes to the shared target/ so compiled deps are reused);
#      then checks the installed wheel (abi3 tag, py.typed, the .pyi stubs);
#   3. pytest on bindings/python/tests: every method and exception, bad input, threads and
#      group commit, log control and durability callbacks, file modes, forked children
#      (test_fork.py), every blocking call releasing the GIL (test_gil.py), SIGKILL recovery,
#      the README's examples, and the typing checks (mypy --strict on
#      tests/typing/usage.py, mypy rejecting tests/typing/bad_usage.py, stubtest);
#      a skipped test counts as a failure here (WALOGS_NO_SKIP=1);
#   4. a quick run of bench/bench.py (Python vs Rust vs sqlite3, threads vs one thread),
#      which prints its figures. Quick figures are indicative only; a MISS does not fail CI.
# Idempotent; runs from any directory; exits non-zero on any failure.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
PKG=$ROOT/bindings/python
VENV=${WALOGS_PY_VENV:-$ROOT/target/py-venv}
PYTHON=${PYTHON:-python3}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
export CARGO_TERM_COLOR=never
export PIP_DISABLE_PIP_VERSION_CHECK=1
export PIP_CONSTRAINT=$PKG/requirements-dev.txt
start=$(date +%s)

step() { printf '\n=== %s (%ss)\n' "$*" "$(($(date +%s) - start))"; }

# ---- 1. venv + tools ---------------------------------------------------------------------
step "venv at ${VENV#"$ROOT"/}"
if ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
  if ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    echo "the venv module is missing: installing python3-venv"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq python3-venv >/dev/null
  fi
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
fi
PY=$VENV/bin/python
"$PY" -m pip install -q -r "$PKG/requirements-dev.txt"
"$PY" --version
"$PY" -m pip list --format=freeze 2>/dev/null | grep -iE '^(maturin|pytest|mypy)=='

# ---- Rust lints of the binding (its own workspace: the root one excludes it) ---------------
step "cargo fmt --check, cargo clippy -D warnings (bindings/python workspace)"
rustup component add rustfmt clippy >/dev/null 2>&1 || true
# Only the binding's own packages: `--all` would also walk walogs-core's path dependencies
# (the simulator, the torture harness, ...), which other suites check.
(cd "$PKG" && cargo fmt -p walogs-python -p walogs-python-rust-baseline -- --check)
(cd "$PKG" && PYO3_PYTHON=$PY cargo clippy --quiet --workspace --all-targets -- -D warnings)

# ---- 2. pip install ./bindings/python ------------------------------------------------------
step "pip install ./bindings/python (maturin, release build, CARGO_TARGET_DIR=${CARGO_TARGET_DIR})"
t0=$(date +%s)
# --force-reinstall: the version number does not change between edits; --no-deps: it has none.
"$PY" -m pip install -q --force-reinstall --no-deps "$PKG"
echo "built and installed in $(($(date +%s) - t0))s"

step "the installed package: abi3 wheel, py.typed, stubs, importable outside the source tree"
(cd /tmp && "$PY" - <<'EOF'
import importlib.metadata as md
import pathlib
import walogs, walogs._walogs

dist = md.distribution("walogs")
wheel = (pathlib.Path(str(dist.locate_file(""))) / f"walogs-{dist.version}.dist-info" / "WHEEL")
tags = [l.split(":", 1)[1].strip() for l in wheel.read_text().splitlines() if l.startswith("Tag:")]
assert tags and all("-abi3-" in t for t in tags), f"not an abi3 wheel: {tags}"
pkg = pathlib.Path(walogs.__file__).parent
for f in ("py.typed", "_walogs.pyi", "__init__.py"):
    assert (pkg / f).is_file(), f"{f} missing from the installed package {pkg}"
assert "site-packages" in walogs._walogs.__file__, walogs._walogs.__file__
print(f"walogs {walogs.__version__}: {', '.join(tags)}; {pkg}")
EOF
)

step "the README's Python quickstart runs as printed (on a scratch directory)"
readme_dir=$(mktemp -d)
python3 - "$readme_dir" <<'EOF' | (cd /tmp && "$PY" -)
import re, sys
blocks = re.findall(r"```python\n(.*?)```", open("README.md").read(), re.S)
assert len(blocks) == 1 and blocks[0].strip(), f"README must hold one Python quickstart, found {len(blocks)}"
print(blocks[0].replace('"/tmp/pywal"', repr(sys.argv[1] + "/pywal")))
EOF
rm -rf "$readme_dir"

# ---- 3. pytest -----------------------------------------------------------------------------
step "pytest bindings/python/tests (typing checks included; skips fail)"
(cd "$PKG" && WALOGS_NO_SKIP=1 "$PY" -m pytest tests -q -p no:cacheprovider --durations=5)

# ---- 4. benchmark smoke run ----------------------------------------------------------------
step "bench/bench.py --quick"
(cd "$PKG" && "$PY" bench/bench.py --quick)

step "python suite passed in $(($(date +%s) - start))s"
