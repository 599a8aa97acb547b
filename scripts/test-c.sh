#!/usr/bin/env bash
# Test the C ABI end to end: header freshness (cbindgen), Rust unit tests of walogs-ffi, the
# parity list (walogs-ffi/parity.txt) against the exported symbols, the C tests under
# ASan+UBSan and under valgrind, a C++ compile of the header, `make install`
# plus a pkg-config build (shared and static), the examples, and a smoke run of the
# overhead benchmark, and the CMake package (find_package(walogs) against `make install`, also
# staged with DESTDIR; examples/cmake: quickstart.c and a C++ program). Idempotent; runs from any directory; exits non-zero on any failure.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
CBINDGEN_VERSION=0.29.0
TOOLS=$ROOT/target/tools
LOG=$ROOT/target/c/test-c.log
mkdir -p target/c
: >"$LOG"

step_start=$(date +%s)
step() { printf '\n=== %s (%ss)\n' "$*" "$(($(date +%s) - step_start))"; }

# ---- tools --------------------------------------------------------------------------------
need_apt=()
for tool in cc c++ make valgrind pkg-config cmake; do
  command -v "$tool" >/dev/null 2>&1 || need_apt+=("$tool")
done
if ((${#need_apt[@]})); then
  step "installing missing tools: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq gcc g++ make valgrind pkg-config cmake >/dev/null
fi
if ! "$TOOLS/bin/cbindgen" --version 2>/dev/null | grep -qx "cbindgen $CBINDGEN_VERSION"; then
  step "installing cbindgen $CBINDGEN_VERSION into target/tools"
  # A debug build: it compiles faster, and generating one header is quick either way.
  cargo install --locked --quiet --debug cbindgen --version "$CBINDGEN_VERSION" --root "$TOOLS"
fi
export CBINDGEN=$TOOLS/bin/cbindgen

# ---- header, Rust tests, library -----------------------------------------------------------
step "include/walogs.h is what cbindgen generates"
make -s --no-print-directory check-header

if [[ "${WALOGS_WORKSPACE_TESTED:-0}" == 1 ]]; then
  step "cargo test -p walogs-ffi: ran in scripts/test-rust.sh (whole workspace) in this run"
else
  step "cargo test -p walogs-ffi (release)"
  if ! cargo test --release -p walogs-ffi >target/c/cargo-test.log 2>&1; then
    cat target/c/cargo-test.log >&2
    echo "walogs-ffi Rust tests failed" >&2
    exit 1
  fi
  grep -E '^test result' target/c/cargo-test.log | tee -a "$LOG"
fi

step "libwalogs.so and libwalogs.a"
make -s --no-print-directory lib >/dev/null
soname=$(readelf -d target/c/lib/libwalogs.so | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[[ $soname == libwalogs.so.0 ]] || { echo "soname is '$soname', expected libwalogs.so.0" >&2; exit 1; }
echo "soname $soname"

step "walogs-ffi/parity.txt lists every exported walogs_* function"
exported=$(nm -D --defined-only target/c/lib/libwalogs.so | awk '$2 == "T" && $3 ~ /^walogs_/ {print $3}' | sort)
listed=$(sed -e 's/#.*//' walogs-ffi/parity.txt | awk 'NF {print $1}' | sort)
if [[ $exported != "$listed" ]]; then
  diff <(echo "$listed") <(echo "$exported") | sed 's/^</  in parity.txt, not exported:/; s/^>/  exported, not in parity.txt:/' >&2 || true
  echo "walogs-ffi/parity.txt does not match the exported functions" >&2
  exit 1
fi
bad=$(sed -e 's/#.*//' walogs-ffi/parity.txt | awk 'NF && NF != 4')
[[ -z $bad ]] || { echo "parity.txt lines without exactly four columns (C, Python, Go, CLI): $bad" >&2; exit 1; }
echo "parity: $(wc -l <<<"$exported") functions listed" | tee -a "$LOG"

# ---- C tests -----------------------------------------------------------------------------
# A 512 KiB tmpfs makes the disk-full (ENOSPC) poisoning case real; it needs root.
POISON_FS=
MNT=$ROOT/target/c/tmpfs
cleanup() { if mountpoint -q "$MNT" 2>/dev/null; then umount "$MNT" || true; fi; }
trap cleanup EXIT
cleanup
mkdir -p "$MNT"
if [[ $(id -u) == 0 ]] && mount -t tmpfs -o size=512k walogs-test "$MNT" 2>/dev/null; then
  POISON_FS=$MNT
else
  echo "note: cannot mount a small tmpfs (not root?); the ENOSPC case of test_poison is skipped"
fi

step "C tests with -fsanitize=address,undefined"
make -s --no-print-directory test-c-asan POISON_FS="$POISON_FS" 2>&1 | sed '/^cc /d' | tee -a "$LOG"

step "C tests under valgrind --leak-check=full (all but test_threads, which ASan covers)"
make -s --no-print-directory test-c-valgrind POISON_FS="$POISON_FS" 2>&1 | sed '/^cc /d' | tee -a "$LOG"

step "C++ compile of walogs.h (g++ -Wall -Wextra -Werror)"
make -s --no-print-directory test-cxx 2>&1 | sed '/^g++ /d' | tee -a "$LOG"

# ---- install + pkg-config ------------------------------------------------------------------
step "make install PREFIX=target/c/prefix, then build with pkg-config"
PREFIX=$ROOT/target/c/prefix
rm -rf "$PREFIX"
make -s --no-print-directory install PREFIX="$PREFIX" >/dev/null
export PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig
want_version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
got_version=$(pkg-config --modversion walogs)
[[ $got_version == "$want_version" ]] || { echo "walogs.pc says $got_version, Cargo.toml $want_version" >&2; exit 1; }
for f in lib/libwalogs.so lib/libwalogs.so.0 "lib/libwalogs.so.$want_version" lib/libwalogs.a include/walogs.h; do
  [[ -e $PREFIX/$f ]] || { echo "missing $PREFIX/$f after install" >&2; exit 1; }
done
APP=$ROOT/target/c/pkgconfig-app
mkdir -p "$APP"
cat >"$APP/app.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include <walogs.h>
int main(int argc, char **argv) {
  walogs_wal *w = NULL;
  if (argc < 2 || walogs_open(argv[1], NULL, &w) != WALOGS_OK) return 1;
  uint64_t lsn = 0;
  if (walogs_append(w, (const uint8_t *)"pkg", 3, &lsn) != WALOGS_OK) return 1;
  if (walogs_close(w) != WALOGS_OK) return 1;
  printf("app linked against walogs %s appended lsn %llu\n", walogs_version(),
         (unsigned long long)lsn);
  return strcmp(walogs_version(), argv[2]) == 0 ? 0 : 1;
}
EOF
# shellcheck disable=SC2046
cc -Wall -Wextra -Werror "$APP/app.c" $(pkg-config --cflags --libs walogs) \
  -Wl,-rpath,"$PREFIX/lib" -o "$APP/app-shared"
# shellcheck disable=SC2046
cc -Wall -Wextra -Werror "$APP/app.c" $(pkg-config --cflags walogs) "$PREFIX/lib/libwalogs.a" \
  $(pkg-config --libs-only-l --static walogs | sed 's/-lwalogs//') -o "$APP/app-static"
rm -rf "$APP/wal-shared" "$APP/wal-static"
"$APP/app-shared" "$APP/wal-shared" "$want_version"
"$APP/app-static" "$APP/wal-static" "$want_version"
if ldd "$APP/app-static" | grep -q libwalogs; then
  echo "app-static should not need libwalogs.so" >&2
  exit 1
fi
echo "pkgconfig: 2 passed, 0 failed" | tee -a "$LOG"

# ---- install: the CMake package, DESTDIR, ldconfig ---------------------------------------------
step "CMake: find_package(walogs) against the install; examples/cmake (quickstart.c, C++ shared and static)"
for f in lib/cmake/walogs/walogsConfig.cmake lib/cmake/walogs/walogsConfigVersion.cmake; do
  [[ -e $PREFIX/$f ]] || { echo "missing $PREFIX/$f after install" >&2; exit 1; }
done
CM=$ROOT/target/c/cmake
rm -rf "$CM"
mkdir -p "$CM"
cmake_build() { # cmake_build BUILD-DIR PREFIX-PATH TARGET...
  local build=$1 prefix=$2
  shift 2
  if ! { cmake -S examples/cmake -B "$build" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_C_FLAGS="-Wall -Wextra -Werror" -DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror" &&
    cmake --build "$build" --target "$@"; } >"$build.log" 2>&1; then
    cat "$build.log" >&2
    echo "CMake build against $prefix failed" >&2
    exit 1
  fi
  grep -q -- "-- walogs $want_version from $prefix/lib/cmake/walogs" "$build.log"
}
cmake_build "$CM/build" "$PREFIX" quickstart hello_cxx hello_cxx_static
out=$("$CM/build/quickstart" "$CM/run-quickstart")
grep -q 'lsn 6: written just before the crash' <<<"$out"
expected_cxx=$'lsn 1: hello\nlsn 2: from C++\nwalogs '"$want_version"' from C++'
for bin in hello_cxx hello_cxx_static; do
  out=$("$CM/build/$bin" "$CM/run-$bin")
  [[ $out == "$expected_cxx" ]] || { printf '%s printed:\n%s\n' "$bin" "$out" >&2; exit 1; }
done
ldd "$CM/build/hello_cxx" | grep -q "$PREFIX/lib/libwalogs.so.0"
if ldd "$CM/build/hello_cxx_static" | grep -q libwalogs; then
  echo "hello_cxx_static should not need libwalogs.so" >&2
  exit 1
fi
# find_package's version check: same major (the ABI), not older than asked.
printf 'include("%s")\nmessage("${PACKAGE_VERSION_COMPATIBLE}")\n' \
  "$PREFIX/lib/cmake/walogs/walogsConfigVersion.cmake" >"$CM/version-check.cmake"
for case in "0.1:TRUE" "0.2:TRUE" "$want_version:TRUE" "0.3:FALSE" "1.0:FALSE"; do
  ask=${case%%:*}
  got=$(cmake -DPACKAGE_FIND_VERSION="$ask" -DPACKAGE_FIND_VERSION_MAJOR="${ask%%.*}" \
    -DCMAKE_SIZEOF_VOID_P=8 -P "$CM/version-check.cmake" 2>&1)
  [[ $got == "${case#*:}" ]] || { echo "find_package(walogs $ask) against $want_version: compatible=$got" >&2; exit 1; }
done
echo "cmake: 4 passed, 0 failed" | tee -a "$LOG"

step "make install DESTDIR=... PREFIX=/usr/local (staged, relocatable), and the ldconfig rule"
STAGED=$ROOT/target/c/destdir
rm -rf "$STAGED"
msg=$(make -s --no-print-directory install DESTDIR="$STAGED" PREFIX=/usr/local 2>&1 | grep '^walogs ')
[[ $msg == "walogs $want_version staged under $STAGED/usr/local; once installed in /usr/local/lib, run: ldconfig" ]] ||
  { echo "DESTDIR install said: $msg" >&2; exit 1; }
[[ $(sed -n 's/^prefix=//p' "$STAGED/usr/local/lib/pkgconfig/walogs.pc") == /usr/local ]]
# The staged tree is usable where it is: the CMake package finds its files relative to itself.
cmake_build "$CM/staged" "$STAGED/usr/local" hello_cxx
[[ $("$CM/staged/hello_cxx" "$CM/run-staged") == "$expected_cxx" ]]
# A prefix outside the loader's directories: the hint, no ldconfig.
msg=$(make -s --no-print-directory install PREFIX="$PREFIX" LDCONFIG=false 2>&1 | grep '^walogs ')
grep -q "is not searched by the loader: run programs with LD_LIBRARY_PATH=$PREFIX/lib" <<<"$msg"
# A loader directory without DESTDIR: root runs ldconfig, anyone else is told the command.
msg=$(make -s --no-print-directory install PREFIX="$PREFIX" SYSTEM_LIBDIRS="$PREFIX/lib" \
  LDCONFIG="echo LDCONFIG-RAN" 2>&1 | grep -E '^(walogs |LDCONFIG-RAN)')
if [[ $(id -u) == 0 ]]; then
  [[ $msg == *"running echo LDCONFIG-RAN"*LDCONFIG-RAN ]] || { echo "as root: $msg" >&2; exit 1; }
else
  [[ $msg == *"run as root: echo LDCONFIG-RAN" ]] || { echo "not root: $msg" >&2; exit 1; }
fi
echo "install: 3 passed, 0 failed" | tee -a "$LOG"

# ---- examples ------------------------------------------------------------------------------
step "examples"
make -s --no-print-directory examples >/dev/null
EX=$ROOT/target/c/examples
rm -rf "$EX/run"
mkdir -p "$EX/run"
out=$("$EX/quickstart" "$EX/run/quickstart")
echo "$out"
grep -q 'tail:            truncated at byte' <<<"$out"
grep -q 'lsn 6: written just before the crash' <<<"$out"
"$EX/threads" 4 25 "$EX/run/threads"
out=$("$EX/raft_log" "$EX/run/raft")
echo "$out"
grep -q '^acknowledged up to lsn 5$' <<<"$out"
grep -q '^cut 2 entries after lsn 3, appended lsn 4..5$' <<<"$out"
grep -q '^after installing a snapshot at 100: next append got lsn 101$' <<<"$out"
grep -q '^after reopen: term 3, voted for 2, entries:$' <<<"$out"
grep -q '^  lsn 101: after the snapshot$' <<<"$out"
out=$("$EX/streams" "$EX/run/streams")
echo "$out"
expected_streams='appended orders lsn 1
appended orders batch 2..3
topic audit: lsn 1..1, 11 bytes
topic orders: lsn 1..3, 57 bytes
billing got lsn 1: order 1: 3 apples (header customer=7)
billing got lsn 2: order 2: 1 pear
billing got lsn 3: order 3: 2 figs
billing resumes at lsn 4'
[[ $out == "$expected_streams" ]] || { printf 'streams printed something else; expected:\n%s\n' "$expected_streams" >&2; exit 1; }
# A second run on the same store: the strict consumer reads only the new records.
out=$("$EX/streams" "$EX/run/streams")
grep -q '^billing got lsn 4: order 1: 3 apples (header customer=7)$' <<<"$out"
if grep -q '^billing got lsn [123]:' <<<"$out"; then
  echo "streams: the strict consumer got a record twice:" >&2
  echo "$out" >&2
  exit 1
fi
grep -q '^billing resumes at lsn 7$' <<<"$out"
echo "examples: 4 passed, 0 failed" | tee -a "$LOG"

step "benchmark smoke run (figures only; not a timed test)"
cargo build --release --quiet -p walogs-ffi --example bench_overhead
"$EX/bench_overhead" "${CARGO_TARGET_DIR:-target}/release/examples/bench_overhead" 5000 5 "$ROOT/target/c"

# ---- summary -------------------------------------------------------------------------------
passed=$(grep -Eo '[0-9]+ passed' "$LOG" | awk '{s += $1} END {print s + 0}')
failed=$(grep -Eo '[0-9]+ failed' "$LOG" | awk '{s += $1} END {print s + 0}')
echo
echo "test-c: $passed passed, $failed failed"
[[ $failed == 0 ]]
