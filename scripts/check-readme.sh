#!/usr/bin/env bash
# The README's Rust and Go quickstarts are excerpts of programs the test scripts build and run
# (walogs-core/examples/quickstart.rs, examples/go/quickstart/main.go): fail when a README block
# is not, line for line, a part of its program.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 - <<'PY'
import re, sys
readme = open("README.md").read()
blocks = re.findall(r"```(rust|go)\n(.*?)```", readme, re.S)
programs = {"rust": "walogs-core/examples/quickstart.rs", "go": "examples/go/quickstart/main.go"}
bad = 0
for lang, block in blocks:
    src = open(programs[lang]).read()
    lines = [" ".join(l.split()) for l in block.strip("\n").split("\n")]
    if not any(lines):
        print(f"README {lang} block is empty", file=sys.stderr)
        bad += 1
        continue
    body = [" ".join(l.split()) for l in src.split("\n")]
    # the block's lines must appear in the program, in order and contiguous
    n = len(lines)
    if not any(body[i:i + n] == lines for i in range(len(body) - n + 1)):
        print(f"README {lang} block is not an excerpt of {programs[lang]}:\n{block}", file=sys.stderr)
        bad += 1
print(f"README quickstarts: {len(blocks)} blocks checked against their programs, {bad} differ")
if {lang for lang, _ in blocks} != set(programs):
    print(f"README must show a block of each of {sorted(programs)}", file=sys.stderr)
    bad += 1
sys.exit(1 if bad else 0)
PY
