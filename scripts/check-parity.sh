#!/usr/bin/env bash
# Check that the walogs surfaces (C, Python, Go, the CLI) keep parity with the C library, as walogs-ffi/parity.txt
# says they should. It fails (exit 1, listing every problem) when
#   - an exported walogs_* C function has no row in parity.txt, or a row names a function
#     the library does not export, or names one twice;
#   - a row's Python name (column 2) is not public API of the Python package: a name in
#     `__all__` of walogs/__init__.py (or a module attribute assigned there, e.g. __version__),
#     `Class.member` a method, property or attribute of that class, `Class(kw=)` a keyword
#     argument of its constructor (read from walogs/_walogs.pyi and the package's .py files);
#   - a row's Go name (column 3) is not exported by the Go package (`go doc -all`): `Name` a
#     function, type, constant or variable, `Type.Name` a method or struct field of Type;
#   - a row's CLI name (column 4) is not part of the `walogs` command as declared in
#     walogs-cli/src/cli.rs: `cmd` a subcommand, `cmd:--opt` an option of it, `--opt` a
#     global option;
#   - a column is `-` without a comment on its row saying why (an exemption must be explicit).
# Several names in one column are separated by commas (each must exist).
#
# The exported C functions come from `nm -D --defined-only target/c/lib/libwalogs.so` when
# the library is built, else from the declarations in include/walogs.h.
#
# Usage: scripts/check-parity.sh [ROOT]   check the tree at ROOT (default: this repository)
#        scripts/check-parity.sh --self-test
#            copy the checked files into a scratch directory, check the copy (must pass),
#            then remove one name at a time (a parity row, a Go method, a Python method, a
#            Python constructor argument, an exemption's comment) and check that each
#            removal fails, naming what is missing.
# Needs python3 and go. Read-only on ROOT.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)

self_test() {
  local scratch
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' RETURN
  local pkg=bindings/python/python/walogs
  mkdir -p "$scratch/walogs-ffi" "$scratch/include" "$scratch/$pkg" "$scratch/bindings/go" "$scratch/walogs-cli/src"
  cp "$here/walogs-ffi/parity.txt" "$scratch/walogs-ffi/"
  cp "$here/walogs-cli/src/cli.rs" "$scratch/walogs-cli/src/"
  cp "$here/include/walogs.h" "$scratch/include/"
  cp "$here/$pkg"/*.py "$here/$pkg"/*.pyi "$scratch/$pkg/"
  cp "$here/bindings/go/go.mod" "$scratch/bindings/go/"
  for f in "$here"/bindings/go/*.go; do
    [[ $f == *_test.go ]] || cp "$f" "$scratch/bindings/go/"
  done
  # The copy has no built library: its C functions come from the header. Both lists agree
  # (test-c.sh checks the header against the library), so the copy must pass as is.
  if ! out=$("$0" "$scratch" 2>&1); then
    printf 'self-test: the unmodified copy fails:\n%s\n' "$out" >&2
    return 1
  fi
  echo "self-test: unmodified copy passes"

  local failed=0
  # mutate NAME EXPECTED FILE SED-EXPRESSION: apply the edit to a fresh copy of FILE, check
  # that the script fails mentioning EXPECTED, restore FILE.
  mutate() {
    local name=$1 expected=$2 file=$scratch/$3 expr=$4
    cp "$file" "$file.orig"
    sed -i -E "$expr" "$file"
    if cmp -s "$file" "$file.orig"; then
      echo "self-test: $name: the edit changed nothing (stale mutation)" >&2
      failed=1
    elif out=$("$0" "$scratch" 2>&1); then
      echo "self-test: $name: the check passed, it must fail" >&2
      failed=1
    elif ! grep -qF -- "$expected" <<<"$out"; then
      printf 'self-test: %s: the check failed without naming %s:\n%s\n' "$name" "$expected" "$out" >&2
      failed=1
    else
      echo "self-test: $name: fails as it must ($(grep -F -- "$expected" <<<"$out" | head -n1 | sed 's/^ *//'))"
    fi
    mv "$file.orig" "$file"
  }
  mutate "parity row removed" "walogs_purge_up_to" walogs-ffi/parity.txt '/^walogs_purge_up_to[[:space:]]/d'
  mutate "Go method removed" "WAL.PurgeUpTo" bindings/go/logcontrol.go 's/^func \(w \*WAL\) PurgeUpTo\(/func (w *WAL) purgeUpTo(/'
  mutate "Go struct field removed" "Error.Damage" bindings/go/errors.go 's/^(\t)Damage \*Damage/\1damage *Damage/'
  mutate "Python method removed" "Wal.purge_up_to" $pkg/_walogs.pyi '/def purge_up_to\(/d'
  mutate "Python constructor argument removed" "Wal(file_mode=)" $pkg/_walogs.pyi '/^        file_mode: /d'
  mutate "Python public name removed" "CorruptError" $pkg/__init__.py '/^    "CorruptError",$/d'
  mutate "CLI subcommand removed" "user-data" walogs-cli/src/cli.rs 's/^    UserData\(UserDataArgs\),$/    UserDatum(UserDataArgs),/'
  mutate "CLI option removed" "purge:--up-to" walogs-cli/src/cli.rs 's/long = "up-to"/long = "up-to-lsn"/'
  mutate "exemption without a comment" "walogs_range_free" walogs-ffi/parity.txt 's/^(walogs_range_free .*[^ ]) +#.*$/\1/'
  return $failed
}

if [[ ${1:-} == --self-test ]]; then
  self_test
  exit
fi

ROOT=$(cd "${1:-$here}" && pwd)
parity=$ROOT/walogs-ffi/parity.txt
lib=$ROOT/target/c/lib/libwalogs.so
header=$ROOT/include/walogs.h
pydir=$ROOT/bindings/python/python/walogs
godir=$ROOT/bindings/go
clirs=$ROOT/walogs-cli/src/cli.rs

for f in "$parity" "$pydir/__init__.py" "$pydir/_walogs.pyi" "$godir/go.mod" "$clirs"; do
  [[ -f $f ]] || { echo "check-parity: $f is missing" >&2; exit 1; }
done
command -v python3 >/dev/null || { echo "check-parity: python3 is needed" >&2; exit 1; }
command -v go >/dev/null || { echo "check-parity: go is needed" >&2; exit 1; }

if [[ -f $lib ]]; then
  c_source="exported by $(basename "$lib")"
  c_functions=$(nm -D --defined-only "$lib" | awk '$2 == "T" && $3 ~ /^walogs_/ {print $3}' | sort -u)
else
  c_source="declared in include/walogs.h"
  c_functions=$(grep -E '^[a-z].*[ *]walogs_[a-z0-9_]+\(' "$header" |
    sed -E 's/^.*[ *](walogs_[a-z0-9_]+)\(.*$/\1/' | sort -u)
fi
[[ -n $c_functions ]] || { echo "check-parity: no walogs_* C function found ($c_source)" >&2; exit 1; }

# Everything the Go package exports, as go doc prints it (no build needed).
go_doc=$(cd "$godir" && GOFLAGS= GOPROXY=off GOTOOLCHAIN=local go doc -all .)

C_FUNCTIONS=$c_functions C_SOURCE=$c_source GO_DOC=$go_doc \
  python3 - "$parity" "$pydir" "$clirs" <<'PY'
import ast, os, re, sys
from pathlib import Path

parity_path, pydir, clirs = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
c_functions = set(os.environ["C_FUNCTIONS"].split())
problems = []

# ---- parity.txt ----------------------------------------------------------------------------
rows = {}
for n, raw in enumerate(parity_path.read_text().splitlines(), 1):
    line, _, comment = raw.partition("#")
    cols = line.split()
    if not cols:
        continue
    where = f"parity.txt:{n}"
    if len(cols) != 4:
        problems.append(f"{where}: want 4 columns (C, Python, Go, CLI), found {len(cols)}: {raw.strip()}")
        continue
    c, py, go, cli = cols
    if c in rows:
        problems.append(f"{where}: {c} is listed twice")
    rows[c] = (where, py, go, cli, comment.strip())

for c in sorted(c_functions - rows.keys()):
    problems.append(f"{c}: exported C function with no row in parity.txt")
for c in sorted(rows.keys() - c_functions):
    problems.append(f"{rows[c][0]}: {c} is not a C function {os.environ['C_SOURCE']}")

def split_names(col):
    """Comma-separated names; commas inside parentheses belong to one name."""
    return [s for s in re.split(r",(?![^()]*\))", col) if s]

# ---- the Python package's public API --------------------------------------------------------
def parse(path):
    return ast.parse(path.read_text(), filename=str(path))

init = parse(pydir / "__init__.py")
public = set()
for node in init.body:
    targets = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, ast.AnnAssign):
        targets = [node.target]
    for t in targets:
        if isinstance(t, ast.Name) and t.id == "__all__":
            public |= {e.value for e in node.value.elts if isinstance(e, ast.Constant)}
        elif isinstance(t, ast.Name) and t.id.startswith("__") and t.id.endswith("__"):
            public.add(t.id)  # module attributes such as __version__

classes = {}  # name -> (members, constructor keyword names)
for path in sorted(pydir.glob("*.py")) + sorted(pydir.glob("*.pyi")):
    for node in parse(path).body:
        if not isinstance(node, ast.ClassDef):
            continue
        members, kwargs = set(), set()
        for item in node.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                members.add(item.name)
                if item.name in ("__new__", "__init__"):
                    a = item.args
                    kwargs |= {x.arg for x in a.posonlyargs + a.args + a.kwonlyargs}
            elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                members.add(item.target.id)
            elif isinstance(item, ast.Assign):
                members |= {t.id for t in item.targets if isinstance(t, ast.Name)}
        old = classes.get(node.name, (set(), set()))
        classes[node.name] = (old[0] | members, old[1] | kwargs)

def python_has(name):
    m = re.fullmatch(r"(\w+)\(([\w=,]*)\)", name)
    if m:  # Class(kw=,kw2=)
        cls, kws = m.group(1), [k.rstrip("=") for k in m.group(2).split(",") if k]
        if cls not in public or cls not in classes:
            return f"class {cls} is not public"
        missing = [k for k in kws if k not in classes[cls][1]]
        return f"{cls}() has no keyword argument {', '.join(missing)}" if missing else None
    if "." in name:
        cls, member = name.split(".", 1)
        if cls not in public or cls not in classes:
            return f"class {cls} is not public"
        return None if member in classes[cls][0] else f"class {cls} has no {member}"
    return None if name in public else "not in the package's public names"

# ---- the Go package's exported identifiers --------------------------------------------------
go_top, go_members = set(), set()
block, block_type = None, None
for line in os.environ["GO_DOC"].splitlines():
    if block is not None:
        if line.startswith(")") or line.startswith("}"):
            block = None
            continue
        m = re.match(r"\t(\w+(?:, \w+)*)\b", line)
        if m and not line.lstrip().startswith("//"):
            for ident in m.group(1).split(", "):
                if block == "struct":
                    go_members.add(f"{block_type}.{ident}")
                else:
                    go_top.add(ident)
        continue
    if m := re.match(r"func \(\w* ?\*?(\w+)(?:\[[^]]*\])?\) (\w+)[(\[]", line):
        go_members.add(f"{m.group(1)}.{m.group(2)}")
    elif m := re.match(r"func (\w+)[(\[]", line):
        go_top.add(m.group(1))
    elif m := re.match(r"type (\w+)\b", line):
        go_top.add(m.group(1))
        if line.rstrip().endswith("struct {"):
            block, block_type = "struct", m.group(1)
    elif m := re.match(r"(const|var) \($", line):
        block = m.group(1)
    elif m := re.match(r"(?:const|var) (\w+)\b", line):
        go_top.add(m.group(1))

def go_has(name):
    if "." in name:
        return None if name in go_members else "not an exported method or field"
    return None if name in go_top else "not an exported identifier of the package"

# ---- the CLI's subcommands and options (clap derive declarations in cli.rs) -----------------
def kebab(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower().replace("_", "-")

cli_src = clirs.read_text()
structs = {}  # struct name -> set of long options
for m in re.finditer(r"pub struct (\w+) \{(.*?)\n\}", cli_src, re.S):
    opts = set()
    attrs = []
    for line in m.group(2).splitlines():
        line = line.strip()
        if line.startswith("#["):
            attrs.append(line)
        elif f := re.match(r"pub (\w+):", line):
            attr = " ".join(attrs)
            if named := re.search(r'long = "([\w-]+)"', attr):
                opts.add("--" + named.group(1))
            elif re.search(r"\blong\b", attr):
                opts.add("--" + kebab(f.group(1)))
            attrs = []
        elif not line.startswith("///"):
            attrs = []
    structs[m.group(1)] = opts
cli_global = set(structs.get("Cli", set())) | {"--help"}
if re.search(r'#\[command\([^]]*\bversion\b', cli_src):
    cli_global.add("--version")
cli_commands = {}
enum = re.search(r"pub enum Command \{(.*?)\n\}", cli_src, re.S)
for v in re.finditer(r"^    (\w+)\((\w+)\),$", enum.group(1) if enum else "", re.M):
    cli_commands[kebab(v.group(1))] = structs.get(v.group(2), set()) | cli_global

def cli_has(name):
    if name.startswith("--"):
        return None if name in cli_global else "not a global option of walogs"
    cmd, _, opt = name.partition(":")
    if cmd not in cli_commands:
        return f"walogs has no subcommand {cmd}"
    if opt and opt not in cli_commands[cmd]:
        return f"walogs {cmd} has no option {opt}"
    return None

# ---- the rows against the surfaces ----------------------------------------------------------
checked = {"Python": 0, "Go": 0, "CLI": 0}
exempt = {"Python": 0, "Go": 0, "CLI": 0}
for c, (where, py, go, cli, comment) in sorted(rows.items()):
    for surface, col, has in (("Python", py, python_has), ("Go", go, go_has), ("CLI", cli, cli_has)):
        if col == "-":
            if not comment:
                problems.append(f"{where}: {c}: '-' for {surface} without a comment saying why")
            exempt[surface] += 1
            continue
        for name in split_names(col):
            checked[surface] += 1
            why = has(name)
            if why:
                problems.append(f"{where}: {c}: {surface} name {name}: {why}")

if problems:
    print(f"check-parity: {len(problems)} problem(s):", file=sys.stderr)
    for p in problems:
        print(f"  {p}", file=sys.stderr)
    sys.exit(1)
print(f"check-parity: {len(c_functions)} C functions ({os.environ['C_SOURCE']}), all in parity.txt; "
      f"{checked['Python']} Python, {checked['Go']} Go and {checked['CLI']} CLI names found; "
      f"{exempt['Python']} Python, {exempt['Go']} Go and {exempt['CLI']} CLI exemptions with a reason")
PY
