#!/usr/bin/env bash
# Build the Python package for distribution: one abi3 wheel (CPython 3.9 and later) tagged
# manylinux2014 / manylinux_2_17 for this machine's architecture, and the sdist, into
# $CARGO_TARGET_DIR/wheels (default target/wheels). Both are what `maturin upload` or
# `twine upload` would publish.
#
#   1. a venv (target/wheel-venv, or $WALOGS_WHEEL_VENV) with the pinned tools of
#      bindings/python/requirements-wheels.txt: maturin, ziglang, auditwheel;
#   2. `maturin build --release --locked --zig --compatibility manylinux2014 --sdist`: zig
#      links the extension against glibc 2.17 symbol versions whatever glibc this machine
#      has (a plain build here would reference the machine's newer ones), and maturin's own
#      check refuses a wheel whose symbols do not fit the tag;
#   3. `auditwheel show` on the wheel must say it is consistent with manylinux_2_17_<arch>
#      (no glibc symbol newer than 2.17, no library outside the manylinux set), and the sdist
#      must carry its pyproject.toml, the in-tree build backend and the Rust sources.
# Exits non-zero on any failure; prints the paths of the two files last.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
PKG=$ROOT/bindings/python
VENV=${WALOGS_WHEEL_VENV:-$ROOT/target/wheel-venv}
PYTHON=${PYTHON:-python3}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
export CARGO_TERM_COLOR=never
export PIP_DISABLE_PIP_VERSION_CHECK=1
OUT=$CARGO_TARGET_DIR/wheels
ARCH=$(uname -m)
TAG=manylinux_2_17_$ARCH
start=$(date +%s)

step() { printf '\n=== build-wheels: %s (%ss)\n' "$*" "$(($(date +%s) - start))"; }
fail() { echo "build-wheels: $*" >&2; exit 1; }

step "venv at ${VENV#"$ROOT"/} with bindings/python/requirements-wheels.txt"
if ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q -r "$PKG/requirements-wheels.txt"
# maturin runs zig as `python -m ziglang` with the python found on PATH: the venv's.
export PATH=$VENV/bin:$PATH

step "maturin build --zig --compatibility manylinux2014 --sdist -> ${OUT}"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$PKG/pyproject.toml" | head -n1)
[ -n "$version" ] || fail "no version in bindings/python/pyproject.toml"
mkdir -p "$OUT"
# Only this build's files are left in OUT, so `pip install OUT/walogs-*.whl` is unambiguous.
rm -f "$OUT"/walogs-*.whl "$OUT"/walogs-*.tar.gz
t0=$(date +%s)
(cd "$PKG" && maturin build --release --locked --zig --compatibility manylinux2014 --sdist \
  --out "$OUT")
echo "built in $(($(date +%s) - t0))s"

shopt -s nullglob
wheels=("$OUT"/walogs-"$version"-*.whl)
sdists=("$OUT"/walogs-"$version".tar.gz)
[ "${#wheels[@]}" -eq 1 ] || fail "expected one wheel in $OUT, found ${#wheels[@]}"
[ "${#sdists[@]}" -eq 1 ] || fail "expected one sdist in $OUT, found ${#sdists[@]}"
wheel=${wheels[0]}
sdist=${sdists[0]}

step "auditwheel show: the wheel must be consistent with $TAG"
case $(basename "$wheel") in
  *-cp39-abi3-*"$TAG"*.whl) ;;
  *) fail "$(basename "$wheel") is not an abi3 wheel tagged $TAG" ;;
esac
report=$(auditwheel show "$wheel")
echo "$report"
# auditwheel wraps its lines: compare with the whitespace squeezed.
flat=$(tr -s ' \n' '  ' <<<"$report")
grep -qF "is consistent with the following platform tag: \"$TAG\"" <<<"$flat" \
  || fail "auditwheel does not find $(basename "$wheel") consistent with $TAG"

step "the sdist carries what a build from source needs"
listing=$(tar tzf "$sdist")
for f in pyproject.toml PKG-INFO build_backend/walogs_build.py bindings/python/Cargo.toml \
  bindings/python/Cargo.lock bindings/python/src/lib.rs python/walogs/_walogs.pyi \
  python/walogs/py.typed walogs-core/src/lib.rs walogs-streams/src/lib.rs; do
  grep -qxF "walogs-$version/$f" <<<"$listing" || fail "$(basename "$sdist") lacks $f"
done

step "done in $(($(date +%s) - start))s"
echo "wheel: $wheel"
echo "sdist: $sdist"
