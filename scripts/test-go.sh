#!/usr/bin/env bash
# Test the Go package (bindings/go, cgo over libwalogs.so): build the library (make lib),
# the parity check of the C, Python, Go and CLI surfaces (scripts/check-parity.sh, and its
# self-test: removing a name makes it fail), gofmt, go vet, `go test -race` (every method
# and error, log control, durability waits and callbacks, damage as data, file modes and
# unsafe files, 16-goroutine group commit, Close racing every call, use after Close,
# descriptor leaks, zero allocations per Append, ErrLocked, ErrPoisoned via RLIMIT_FSIZE,
# SIGKILLed child; the Example functions of every entry point, checked against their
# Output comments; streams stores: every method, bad input, consumers across a reopen,
# concurrent appends, a consumer woken by an append and by Close), the examples (the README's quickstart with its exact output, its
# ErrLocked branch and pkg-config linking against `make install`; the SIGKILL recovery demo;
# the Raft log-control walkthrough with its exact output), then a short benchmark run
# printing the figures: no-fsync Append and a bare getter per call, no-fsync Append vs the
# Rust path measured in the same run, durable appends from 1 and 16 goroutines. Standard
# library only: no module downloads (GOPROXY=off). Then bindings/go/raftstore, the
# hashicorp/raft log store on walogs, a module of its own: gofmt, go vet, `go test -race`
# (its unit tests, bad input, readers racing a writer, a SIGKILLed writer, a 3-node raft
# cluster), and go vet of its benchmark module; staticcheck (pinned below, installed into
# target/tools from the Go module proxy) on every module;
# these two modules need hashicorp/raft (and for the benchmark raft-boltdb and raft-wal),
# fetched from the Go module proxy (RAFTSTORE_GOPROXY overrides it; checked against their
# go.sum) unless already in the module cache. Idempotent; runs from any directory; exits
# non-zero on any failure.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/target/go
LOG=$OUT/test-go.log
mkdir -p "$OUT"
: >"$LOG"
start=$(date +%s)

step_start=$(date +%s)
step() { printf '\n=== %s (%ss)\n' "$*" "$(($(date +%s) - step_start))"; }
# summarize NAME LOG [EXTRA-PATTERN]: the result lines of a `go test -v` log, and its count.
summarize() {
  grep -E "^(--- |ok |FAIL)${3:+|$3}" "$2"
  local pass fail
  pass=$(grep -c -- '^--- PASS' "$2" || true)
  fail=$(grep -c -- '^--- FAIL' "$2" || true)
  echo "$1: $pass passed, $fail failed" | tee -a "$LOG"
}

# ---- tools ----------------------------------------------------------------------------------
need_apt=()
for tool in cc make pkg-config flock; do
  command -v "$tool" >/dev/null 2>&1 || need_apt+=("$tool")
done
if ((${#need_apt[@]})); then
  step "installing missing tools: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq gcc make pkg-config util-linux >/dev/null
fi
if ! command -v go >/dev/null 2>&1; then
  echo "go is not installed (Go >= 1.21 needed)" >&2
  exit 1
fi
export CGO_ENABLED=1 GOTOOLCHAIN=local GOPROXY=off GOFLAGS=
echo "$(go version), $(cc --version | head -n1)"
# staticcheck 2026.2.2 (module v0.8.2): a release that supports Go 1.26.
STATICCHECK_VERSION=v0.8.2
STATICCHECK=$ROOT/target/tools/bin/staticcheck
if ! "$STATICCHECK" -version 2>/dev/null | grep -qF "(${STATICCHECK_VERSION#v})"; then
  step "installing staticcheck $STATICCHECK_VERSION into target/tools"
  GOBIN=$ROOT/target/tools/bin GOPROXY=${STATICCHECK_GOPROXY:-https://proxy.golang.org} \
    go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
fi

# ---- library --------------------------------------------------------------------------------
step "make lib (libwalogs.so staged in target/c/lib; the package links it via \${SRCDIR})"
if ! make -s --no-print-directory lib >"$OUT/make-lib.log" 2>&1; then
  cat "$OUT/make-lib.log" >&2
  exit 1
fi
ls target/c/lib/libwalogs.so >/dev/null

# ---- parity of the surfaces -----------------------------------------------------------------
step "scripts/check-parity.sh (every exported C function has its Python, Go and CLI names, or a reason)"
scripts/check-parity.sh
scripts/check-parity.sh --self-test
echo "check-parity: 2 passed, 0 failed" | tee -a "$LOG"

# ---- format, vet ----------------------------------------------------------------------------
step "gofmt -l (must print nothing)"
unformatted=$(gofmt -l bindings/go examples/go)
if [[ -n $unformatted ]]; then
  echo "not gofmt'ed:" >&2
  echo "$unformatted" >&2
  exit 1
fi
echo "ok"

step "go vet, staticcheck"
(cd bindings/go && go vet ./... && "$STATICCHECK" ./...)
(cd examples/go && go vet ./... && "$STATICCHECK" ./...)
echo "ok"

# ---- tests ----------------------------------------------------------------------------------
step "go test -race ./... (bindings/go)"
if ! (cd bindings/go && go test -race -count=1 -v ./...) >"$OUT/go-test.log" 2>&1; then
  cat "$OUT/go-test.log" >&2
  echo "go test -race failed" >&2
  exit 1
fi
summarize "go test" "$OUT/go-test.log" 'crash_test.go.*round'

# ---- examples -------------------------------------------------------------------------------
step "examples/go/quickstart (the README's Go quickstart; repository linking)"
rm -rf "$OUT/run"
mkdir -p "$OUT/run"
(cd examples/go && go build -o "$OUT/quickstart" ./quickstart)
qdir=$OUT/run/quickstart
out=$("$OUT/quickstart" "$qdir")
echo "$out"
expected=$'appended lsn 1 and the batch 2..3\nlsn 1: hello\nlsn 2: a\nlsn 3: b'
if [[ $out != "$expected" ]]; then
  printf 'quickstart printed something else; expected:\n%s\n' "$expected" >&2
  exit 1
fi
# Run again on the same directory: the LSNs continue, the first run's entries are kept.
out=$("$OUT/quickstart" "$qdir")
if [[ $(head -n1 <<<"$out") != "appended lsn 4 and the batch 5..6" || $(grep -c '^lsn ' <<<"$out") != 6 ]]; then
  printf 'second quickstart run:\n%s\n' "$out" >&2
  exit 1
fi
# Another process holds the directory's lock (flock(1) on walogs.lock): the ErrLocked branch.
if msg=$(flock "$qdir/walogs.lock" "$OUT/quickstart" "$qdir" 2>&1); then
  echo "quickstart succeeded while another process held the lock" >&2
  exit 1
fi
echo "$msg"
grep -q "another writer holds $qdir" <<<"$msg"
echo "quickstart: 1 passed, 0 failed" | tee -a "$LOG"

step "examples/go/crash (a writer SIGKILLed mid-append, then recovery)"
(cd examples/go && go build -o "$OUT/crash" ./crash)
out=$("$OUT/crash" "$OUT/run/crash")
echo "$out"
grep -q 'child killed by SIGKILL' <<<"$out"
grep -q 'tail:            truncated at byte' <<<"$out"
grep -q 'lsn 6: written just before the crash' <<<"$out"
echo "crash: 1 passed, 0 failed" | tee -a "$LOG"

step "examples/go/raftlog (log control as a Raft node uses it: examples/c/raft_log.c in Go)"
(cd examples/go && go build -o "$OUT/raftlog" ./raftlog)
out=$("$OUT/raftlog" "$OUT/run/raftlog")
echo "$out"
expected_raft='hard state at open: term 0, voted for 0
acknowledged up to lsn 5
lsn 5 before the sync: not durable yet
cut 2 entries after lsn 3, appended lsn 4..5
entries for a follower from lsn 2 (at most 3):
  lsn 2: y=2
  lsn 3: x=3
  lsn 4: z=40
after a snapshot at 4: oldest lsn 5, purged up to 4
after installing a snapshot at 100: next append got lsn 101
after reopen: term 3, voted for 2, entries:
  lsn 101: after the snapshot'
if [[ $out != "$expected_raft" ]]; then
  printf 'raftlog printed something else; expected:\n%s\n' "$expected_raft" >&2
  exit 1
fi
echo "raftlog: 1 passed, 0 failed" | tee -a "$LOG"

step "examples/go/quickstart against an installed walogs (-tags walogs_pkgconfig)"
PREFIX=$OUT/prefix
rm -rf "$PREFIX"
if ! make -s --no-print-directory install PREFIX="$PREFIX" >"$OUT/make-install.log" 2>&1; then
  cat "$OUT/make-install.log" >&2
  exit 1
fi
(cd examples/go && PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig \
  go build -tags walogs_pkgconfig -o "$OUT/quickstart-pkgconfig" ./quickstart)
# No rpath to the repository in this build: it must find the installed library.
LD_LIBRARY_PATH=$PREFIX/lib ldd "$OUT/quickstart-pkgconfig" | grep -q "$PREFIX/lib/libwalogs.so.0"
if ldd "$OUT/quickstart-pkgconfig" | grep -q "$ROOT/target/c/lib"; then
  echo "the pkg-config build links the repository's library" >&2
  exit 1
fi
out=$(LD_LIBRARY_PATH=$PREFIX/lib "$OUT/quickstart-pkgconfig" "$OUT/run/quickstart-pkgconfig")
if [[ $out != "$expected" ]]; then
  printf 'quickstart (pkg-config build) printed:\n%s\n' "$out" >&2
  exit 1
fi
echo "walogs $(PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig pkg-config --modversion walogs) via pkg-config: ok"
echo "quickstart-pkgconfig: 1 passed, 0 failed" | tee -a "$LOG"

# ---- benchmarks (figures only; not a timed test) ---------------------------------------------
step "go test -bench (no-fsync Append and a getter per call; durable appends from 1 and 16 goroutines)"
(cd bindings/go && go test -run '^$' -bench . -benchtime=500ms -count=1 ./...) 2>&1 |
  grep -E '^(Benchmark|ok|FAIL|PASS)' | tee "$OUT/bench.log"
grep -q '^ok' "$OUT/bench.log"

step "Go vs Rust per-call overhead, alternating batches in one run"
cargo build --release --quiet -p walogs-ffi --example bench_overhead
(cd examples/go && go build -o "$OUT/bench_overhead" ./bench_overhead)
"$OUT/bench_overhead" -n 20000 -rounds 21 -dir "$OUT" "${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/bench_overhead"

# ---- raftstore -------------------------------------------------------------------------------
# A module of its own (bindings/go/raftstore, not under bindings/go's ./...), needing
# hashicorp/raft: the one step that may download modules. vet runs with -race so that it
# reuses the race build of the dependencies that go test makes (a cold build of raft and its
# codec is most of this step's time).
step "bindings/go/raftstore: gofmt -l, go vet, staticcheck, go test -race (hashicorp/raft log store; 3-node cluster)"
RAFT_PROXY=${RAFTSTORE_GOPROXY:-https://proxy.golang.org}
unformatted=$(gofmt -l bindings/go/raftstore)
if [[ -n $unformatted ]]; then
  echo "not gofmt'ed:" >&2
  echo "$unformatted" >&2
  exit 1
fi
if ! (cd bindings/go/raftstore && GOPROXY=$RAFT_PROXY go mod download &&
  GOPROXY=$RAFT_PROXY go test -race -count=1 -v ./... &&
  go vet -race ./... && "$STATICCHECK" ./... &&
  cd bench && GOPROXY=$RAFT_PROXY go mod download && go vet -race ./... && "$STATICCHECK" ./...) >"$OUT/raftstore-test.log" 2>&1; then
  cat "$OUT/raftstore-test.log" >&2
  echo "raftstore: go test -race / go vet failed" >&2
  exit 1
fi
summarize raftstore "$OUT/raftstore-test.log"

# ---- summary ---------------------------------------------------------------------------------
passed=$(grep -Eo '[0-9]+ passed' "$LOG" | awk '{s += $1} END {print s + 0}')
failed=$(grep -Eo '[0-9]+ failed' "$LOG" | awk '{s += $1} END {print s + 0}')
echo
echo "test-go: $passed passed, $failed failed ($(($(date +%s) - start))s)"
[[ $failed == 0 ]]
