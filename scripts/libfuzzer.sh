#!/usr/bin/env bash
# The libFuzzer targets of fuzz/ (frame_decode, open_image), shared by scripts/test-sim.sh
# (CI, short) and scripts/soak-sim.sh (long):
#
#   scripts/libfuzzer.sh build            build both targets with coverage instrumentation
#   scripts/libfuzzer.sh run SECS NAME    fuzz each target SECS seconds (corpus kept in
#                                         fuzz/target/corpus/, crashing inputs in
#                                         fuzz/target/artifacts/, logs target/NAME-fuzz-*.log);
#                                         one figure line per target; exit 1 if any failed
#
# Coverage-guided fuzzing on stable Rust: libfuzzer-sys links libFuzzer, and the
# sanitizer-coverage instrumentation it needs is enabled with stable -C flags (no nightly, no
# cargo-fuzz). --target keeps the flags off build scripts and proc macros. Needs a C++ compiler.
set -euo pipefail
cd "$(dirname "$0")/.."

host="$(rustc -vV | sed -n 's/^host: //p')"
fuzz_target_dir="$PWD/fuzz/target"

case "${1:-}" in
build)
    CARGO_TARGET_DIR="$fuzz_target_dir" RUSTFLAGS="-Cpasses=sancov-module \
-Cllvm-args=-sanitizer-coverage-level=4 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
-Cllvm-args=-sanitizer-coverage-pc-table -Cllvm-args=-sanitizer-coverage-trace-compares \
--cfg fuzzing" \
        cargo build --release --locked --manifest-path fuzz/Cargo.toml --target "$host"
    ;;
run)
    secs="${2:?usage: scripts/libfuzzer.sh run SECS NAME}"
    name="${3:?usage: scripts/libfuzzer.sh run SECS NAME}"
    status=0
    for t in frame_decode open_image; do
        corpus="fuzz/target/corpus/$t"
        mkdir -p "$corpus" fuzz/target/artifacts target
        out="target/$name-fuzz-$t.log"
        echo "+ libFuzzer $t -max_total_time=$secs"
        if "$fuzz_target_dir/$host/release/$t" -max_total_time="$secs" -rss_limit_mb=2048 \
            -artifact_prefix=fuzz/target/artifacts/ -print_final_stats=1 "$corpus" >"$out" 2>&1; then
            runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$out")"
            cov="$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$out" | tail -1 |
                sed -n 's/.*cov: \([0-9]*\).*/\1/p')"
            echo "fuzz-libfuzzer $t: ${runs:-?} runs in $secs s, coverage ${cov:-?} edges," \
                "corpus $(find "$corpus" -type f | wc -l) inputs, 0 crashes"
        else
            tail -40 "$out"
            echo "fuzz-libfuzzer $t: FAILED, input in fuzz/target/artifacts/ (log: $out)"
            status=1
        fi
    done
    exit "$status"
    ;;
*)
    echo "usage: scripts/libfuzzer.sh build | run SECS NAME" >&2
    exit 2
    ;;
esac
