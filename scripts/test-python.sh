#!/usr/bin/env bash
# Test the Python package (bindings/python) on a fresh machine with only Rust and Python:
#   1. a venv in target/py-venv (installs Debian's python3-venv if the venv module is missing),
#      with the pinned tools of bindings/python/requirements-dev.txt (maturin, pytest, mypy);
#      then rustfmt and clippy -D warnings on the binding crate and the Rust bench baseline;
#   2. scripts/build-wheels.sh: the sdist, and the abi3 manylinux_2_17 wheel built from it
#      (so the sdist builds with cargo present; the Rust build goes to the shared target dir,
#      so compiled dependencies are reused), checked by auditwheel; THAT wheel is installed
#      into the venv (one release build of the extension in the whole run), then checked
#      (abi3 and manylinux tags, py.typed, the .pyi stubs);
#      then a fresh venv with the Rust toolchain hidden (PATH without cargo and rustc;
#      CARGO, RUSTUP_HOME, CARGO_HOME unset): the wheel installs and
#      tests/smoke_installed.py runs (Wal and Streams); the sdist and
#      `pip install ./bindings/python` each fail with the in-tree build backend's one
#      sentence, without a traceback or a toolchain download. (`pip install
#      ./bindings/python` with cargo present, a second release build, for this machine's
#      glibc, is scripts/test-python-source.sh, not run here);
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

# ---- 2. the wheel and the sdist; the wheel installed ----------------------------------------
step "scripts/build-wheels.sh (sdist, the manylinux wheel built from it, auditwheel)"
t0=$(date +%s)
"$ROOT/scripts/build-wheels.sh"
echo "built and checked in $(($(date +%s) - t0))s"
shopt -s nullglob
wheels=("$CARGO_TARGET_DIR"/wheels/walogs-*.whl)
sdists=("$CARGO_TARGET_DIR"/wheels/walogs-*.tar.gz)
shopt -u nullglob
[ "${#wheels[@]}" -eq 1 ] && [ "${#sdists[@]}" -eq 1 ] \
  || { echo "expected one wheel and one sdist in $CARGO_TARGET_DIR/wheels" >&2; exit 1; }
WHEEL=${wheels[0]}
SDIST=${sdists[0]}

step "pip install ${WHEEL#"$CARGO_TARGET_DIR"/} into ${VENV#"$ROOT"/}"
# --force-reinstall: the version number does not change between edits; --no-deps: it has none.
"$PY" -m pip install -q --force-reinstall --no-deps "$WHEEL"

step "the installed package: abi3 manylinux wheel, py.typed, stubs, importable outside the source tree"
(cd /tmp && "$PY" - <<'EOF'
import importlib.metadata as md
import pathlib
import walogs, walogs._walogs

dist = md.distribution("walogs")
wheel = (pathlib.Path(str(dist.locate_file(""))) / f"walogs-{dist.version}.dist-info" / "WHEEL")
tags = [l.split(":", 1)[1].strip() for l in wheel.read_text().splitlines() if l.startswith("Tag:")]
assert tags and all("-abi3-" in t for t in tags), f"not an abi3 wheel: {tags}"
assert any("-manylinux_2_17_" in t for t in tags), f"not a manylinux_2_17 wheel: {tags}"
pkg = pathlib.Path(walogs.__file__).parent
for f in ("py.typed", "_walogs.pyi", "__init__.py"):
    assert (pkg / f).is_file(), f"{f} missing from the installed package {pkg}"
assert "site-packages" in walogs._walogs.__file__, walogs._walogs.__file__
print(f"walogs {walogs.__version__}: {', '.join(tags)}; {pkg}")
EOF
)

step "a fresh venv with the Rust toolchain hidden: the wheel installs, the smoke test runs"
norust_path=
IFS=: read -ra path_dirs <<<"$PATH"
for d in "${path_dirs[@]}"; do
  if [ -n "$d" ] && [ ! -e "$d/cargo" ] && [ ! -e "$d/rustc" ]; then
    norust_path+=${norust_path:+:}$d
  fi
done
norust() {
  env -u CARGO -u RUSTC -u RUSTUP_HOME -u RUSTUP_TOOLCHAIN -u CARGO_HOME -u CARGO_TARGET_DIR \
    PATH="$norust_path" "$@"
}
if norust sh -c 'command -v cargo || command -v rustc'; then
  echo "cargo or rustc is still reachable with the toolchain hidden" >&2
  exit 1
fi
NORUST_VENV=$ROOT/target/py-norust-venv
rm -rf "$NORUST_VENV"
norust "$PYTHON" -m venv "$NORUST_VENV"
norust "$NORUST_VENV/bin/python" -m pip install -q --no-index --no-deps "$WHEEL"
(cd /tmp && norust "$NORUST_VENV/bin/python" "$PKG/tests/smoke_installed.py")

step "without Rust, the sdist and pip install ./bindings/python each fail with one sentence"
for src in "$SDIST" "$PKG"; do
  echo "pip install ${src#"$ROOT"/}:"
  if out=$(cd /tmp && norust "$NORUST_VENV/bin/python" -m pip install --no-deps "$src" 2>&1); then
    echo "pip install $src succeeded without cargo" >&2
    exit 1
  fi
  printf '%s\n' "$out" | sed 's/^/    | /'
  # The build backend's sentence, alone in pip's frame ("1 lines of output"); neither a
  # traceback nor maturin fetching a toolchain.
  grep -qF 'walogs: building from source needs a Rust toolchain' <<<"$out" \
    || { echo "the build backend's sentence is missing" >&2; exit 1; }
  grep -qF '[1 lines of output]' <<<"$out" \
    || { echo "the build backend printed more than its sentence" >&2; exit 1; }
  if grep -qiE 'traceback|puccinialin|installing into a temporary' <<<"$out"; then
    echo "a traceback, or an attempt to install Rust" >&2
    exit 1
  fi
done

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
