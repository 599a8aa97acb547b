#!/usr/bin/env bash
# The one test command: sets up everything the tests need (Debian packages, cbindgen, a Python
# venv, Go modules) and runs every test suite: Rust, C, Python, Go, the CLI, and the short
# versions of the crash-safety harnesses. Exits non-zero if any suite fails.
set -uo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
suites=(rust c python go cli sim torture bench)
passed=0
failed=0
failed_names=()
start_all=$(date +%s)
for s in "${suites[@]}"; do
  script="scripts/test-$s.sh"
  if [ ! -f "$script" ]; then
    echo "=== $s: $script missing" >&2
    failed=$((failed + 1)); failed_names+=("$s"); continue
  fi
  echo "=== $s: $script"
  t0=$(date +%s)
  if bash "$script"; then
    passed=$((passed + 1))
    # The Rust suite linted and tested every workspace crate: the suites after it skip
    # their own cargo lint/test of the same crates (each still runs them when run alone).
    [ "$s" = rust ] && export WALOGS_WORKSPACE_TESTED=1
    echo "=== $s: passed in $(( $(date +%s) - t0 ))s"
  else
    failed=$((failed + 1)); failed_names+=("$s")
    echo "=== $s: FAILED after $(( $(date +%s) - t0 ))s"
  fi
done
echo "=== all suites done in $(( $(date +%s) - start_all ))s; failed: ${failed_names[*]:-none}"
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
