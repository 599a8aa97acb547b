#!/usr/bin/env bash
# One version for every walogs surface. Fails (exit 1, listing every mismatch) unless these
# all say the version of the workspace Cargo.toml ([workspace.package] version):
#   - the `version` of every path dependency on walogs-core (crates.io needs it to publish);
#   - bindings/python/Cargo.toml, bindings/python/pyproject.toml ([project] version, unless
#     it is dynamic: maturin then takes the Cargo.toml one) and `__version__` of the Python
#     package when it is a literal;
#   - include/walogs.h: WALOGS_VERSION_MAJOR/MINOR/PATCH, and WALOGS_VERSION_NUMBER equal to
#     MAJOR * 1000000 + MINOR * 1000 + PATCH;
#   - the Go package's PackageVersion constant (bindings/go/report.go);
#   - `walogs --version` (the CLI; WALOGS_CLI=path/to/walogs uses that binary, otherwise
#     `cargo run -p walogs-cli` builds it; WALOGS_CLI=none skips it);
#   - CHANGELOG.md has a section for the version.
# (walogs.pc gets its version from Cargo.toml at install time, and walogs-ffi fails to compile
# when the header macros differ from its crate version: neither can drift.)
#
# Usage: scripts/check-version.sh [ROOT]     check the tree at ROOT (default: this repository)
#        scripts/check-version.sh --self-test
#            copy the checked files into a scratch directory, check the copy (must pass), then
#            change the version in one place at a time and check that each change fails,
#            naming the place.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)

# The files read, relative to the root.
FILES=(Cargo.toml walogs-core/Cargo.toml walogs-streams/Cargo.toml walogs-openraft/Cargo.toml
  walogs-cli/Cargo.toml walogs-ffi/Cargo.toml bindings/python/Cargo.toml
  bindings/python/pyproject.toml bindings/python/python/walogs/__init__.py include/walogs.h
  bindings/go/report.go CHANGELOG.md)

# check ROOT: print what each place says, then every mismatch; exit status 1 on any.
check() {
  local root=$1 want problems=() v
  cd "$root"
  # The version of [workspace.package]: the first `version =` after that header.
  want=$(awk '/^\[/{s = ($0 == "[workspace.package]")} s && /^version *=/ {gsub(/.*= *"|".*/, ""); print; exit}' Cargo.toml)
  [[ -n $want ]] || { echo "Cargo.toml: no version in [workspace.package]" >&2; return 1; }
  echo "workspace Cargo.toml: $want"
  mismatch() { problems+=("$1 says ${2:-nothing}, the workspace $want"); }

  local toml
  for toml in */Cargo.toml; do
    v=$(sed -n 's/^walogs-core *= *{.*version *= *"\([^"]*\)".*/\1/p' "$toml")
    if grep -q '^walogs-core *= *{' "$toml" && [[ -z $v ]] && ! grep -q '^publish *= *false' "$toml"; then
      problems+=("$toml: its walogs-core dependency has no version (crates.io needs one)")
    fi
    [[ -z $v || $v == "$want" ]] || mismatch "$toml (walogs-core dependency)" "$v"
  done

  v=$(awk '/^\[/{s = ($0 == "[package]")} s && /^version *=/ {gsub(/.*= *"|".*/, ""); print; exit}' bindings/python/Cargo.toml)
  echo "bindings/python/Cargo.toml: $v"
  [[ $v == "$want" ]] || mismatch bindings/python/Cargo.toml "$v"

  if awk '/^\[/{s = ($0 == "[project]")} s && /^dynamic *=.*"version"/ {f = 1} END {exit !f}' bindings/python/pyproject.toml; then
    echo "bindings/python/pyproject.toml: dynamic (from bindings/python/Cargo.toml)"
  else
    v=$(awk '/^\[/{s = ($0 == "[project]")} s && /^version *=/ {gsub(/.*= *"|".*/, ""); print; exit}' bindings/python/pyproject.toml)
    echo "bindings/python/pyproject.toml: $v"
    [[ $v == "$want" ]] || mismatch bindings/python/pyproject.toml "$v"
  fi

  v=$(sed -n 's/^__version__ *= *"\([^"]*\)".*/\1/p' bindings/python/python/walogs/__init__.py)
  if [[ -n $v ]]; then
    echo "walogs.__version__: $v"
    [[ $v == "$want" ]] || mismatch "bindings/python/python/walogs/__init__.py (__version__)" "$v"
  fi

  local major minor patch number
  major=$(sed -n 's/^#define WALOGS_VERSION_MAJOR \([0-9]*\)$/\1/p' include/walogs.h)
  minor=$(sed -n 's/^#define WALOGS_VERSION_MINOR \([0-9]*\)$/\1/p' include/walogs.h)
  patch=$(sed -n 's/^#define WALOGS_VERSION_PATCH \([0-9]*\)$/\1/p' include/walogs.h)
  number=$(sed -n 's/^#define WALOGS_VERSION_NUMBER \([0-9]*\)$/\1/p' include/walogs.h)
  echo "include/walogs.h: $major.$minor.$patch ($number)"
  [[ $major.$minor.$patch == "$want" ]] || mismatch "include/walogs.h (WALOGS_VERSION_MAJOR/MINOR/PATCH)" "$major.$minor.$patch"
  if [[ -z $number || -z $major || -z $minor || -z $patch ]] ||
    ((number != major * 1000000 + minor * 1000 + patch)); then
    problems+=("include/walogs.h: WALOGS_VERSION_NUMBER $number is not MAJOR * 1000000 + MINOR * 1000 + PATCH")
  fi

  v=$(sed -n 's/^const PackageVersion = "\([^"]*\)"$/\1/p' bindings/go/report.go)
  echo "Go PackageVersion: $v"
  [[ $v == "$want" ]] || mismatch "bindings/go/report.go (PackageVersion)" "$v"

  if [[ ${WALOGS_CLI:-} != none ]]; then
    if [[ -n ${WALOGS_CLI:-} ]]; then
      v=$("$WALOGS_CLI" --version)
    else
      v=$(cargo run -q --locked -p walogs-cli -- --version)
    fi
    echo "walogs --version: $v"
    [[ $v == "walogs $want" ]] || mismatch "walogs --version" "'$v'"
  fi

  if grep -Eq "^## \[?$(sed 's/\./\\./g' <<<"$want")\]?( |$)" CHANGELOG.md; then
    echo "CHANGELOG.md: has a section for $want"
  else
    problems+=("CHANGELOG.md has no '## $want' section")
  fi

  if ((${#problems[@]})); then
    printf 'version mismatch: %s\n' "${problems[@]}" >&2
    return 1
  fi
  echo "check-version: every place says $want"
}

self_test() {
  local scratch out
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' RETURN
  local f
  for f in "${FILES[@]}"; do
    mkdir -p "$scratch/$(dirname "$f")"
    cp "$here/$f" "$scratch/$f"
  done
  export WALOGS_CLI=none
  if ! out=$( (check "$scratch") 2>&1); then
    printf 'self-test: the unmodified copy fails:\n%s\n' "$out" >&2
    return 1
  fi
  echo "self-test: unmodified copy passes"
  local failed=0
  # mutate NAME FILE SED-EXPRESSION EXPECTED-TEXT: the edit must make the check fail, naming EXPECTED-TEXT.
  mutate() {
    local name=$1 file=$2 expr=$3 expected=$4
    cp "$scratch/$file" "$scratch/$file.orig"
    sed -i "$expr" "$scratch/$file"
    if cmp -s "$scratch/$file" "$scratch/$file.orig"; then
      echo "self-test: $name: the edit changed nothing (stale mutation)" >&2
      failed=1
    elif out=$( (check "$scratch") 2>&1); then
      echo "self-test: $name: the check passed, it must fail" >&2
      failed=1
    elif ! grep -qF -- "$expected" <<<"$out"; then
      printf 'self-test: %s: the check failed without naming %s:\n%s\n' "$name" "$expected" "$out" >&2
      failed=1
    else
      echo "self-test: $name: fails as it must"
    fi
    mv "$scratch/$file.orig" "$scratch/$file"
  }
  mutate "python Cargo.toml" bindings/python/Cargo.toml '0,/^version = /s/^version = ".*"/version = "9.9.9"/' bindings/python/Cargo.toml
  mutate "pyproject" bindings/python/pyproject.toml 's/^version = ".*"/version = "9.9.9"/' bindings/python/pyproject.toml
  mutate "header minor" include/walogs.h 's/^#define WALOGS_VERSION_MINOR .*/#define WALOGS_VERSION_MINOR 9/' WALOGS_VERSION_MAJOR/MINOR/PATCH
  mutate "header number" include/walogs.h 's/^#define WALOGS_VERSION_NUMBER .*/#define WALOGS_VERSION_NUMBER 1/' WALOGS_VERSION_NUMBER
  mutate "Go constant" bindings/go/report.go 's/^const PackageVersion = ".*"/const PackageVersion = "9.9.9"/' PackageVersion
  mutate "walogs-core dependency" walogs-streams/Cargo.toml 's/^\(walogs-core = {.*version = "\)[^"]*"/\19.9.9"/' "walogs-streams/Cargo.toml (walogs-core dependency)"
  mutate "unversioned walogs-core dependency" walogs-cli/Cargo.toml 's/, version = "[^"]*"//' "walogs-cli/Cargo.toml: its walogs-core dependency has no version"
  mutate "changelog" CHANGELOG.md 's/^## \[\?[0-9][0-9.]*\]\?/## 9.9.9/' "CHANGELOG.md has no"
  mutate "workspace" Cargo.toml '0,/^version = /s/^version = ".*"/version = "9.9.9"/' "the workspace 9.9.9"
  return "$failed"
}

if [[ ${1:-} == --self-test ]]; then
  self_test
else
  check "${1:-$here}"
fi
