#!/usr/bin/env bash
# Plant realistic durability bugs in a scratch copy of walogs-core, one at a time, and report
# which the test suites catch (see scripts/mutants.py for the list and the options). Not part
# of CI: each mutant rebuilds the core and runs the release test suites (about a minute or two
# each). Exits non-zero when a mutant is missed or no longer applies.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 scripts/mutants.py "$@"
