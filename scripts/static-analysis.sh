#!/usr/bin/env bash
# static-analysis.sh - clang-tidy (.clang-tidy) and cppcheck over every .c file of the project;
# any finding fails.
#
# Usage: scripts/static-analysis.sh [BUILD_DIR]   (default build-analysis; configured, not built)
# The configs: .clang-tidy (tests/.clang-tidy), scripts/clang-tidy/, scripts/cppcheck/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${1:-build-analysis}
jobs=$(nproc)
start=$SECONDS

for tool in clang clang-tidy-14 cppcheck python3; do
	command -v "$tool" >/dev/null ||
		{ echo "static-analysis.sh: no $tool (scripts/deps.sh installs it)" >&2; exit 1; }
done
run_clang_tidy=$(command -v run-clang-tidy-14 || command -v run-clang-tidy || true)

# The compile database of a clang build with the tests, the benchmarks and the fuzz target in
# it.  Configuring is enough: the tools read no generated file.
cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
	-DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DPL_BUILD_TESTS=ON -DPL_BUILD_BENCH=ON -DPL_FUZZ=ON >/dev/null

# Two databases made from it, of the project's files only (not the build tree's), without the
# engine compiled a second time for the fuzzer, and with tests/kit/project/shout.c, which
# test_kit.sh builds out of tree against the installed plugin header only:
# - tidy/: one entry per file.  The database compiles some files several times (a test harness
#   once per test program); clang-tidy would analyse the file once per entry, in one process,
#   and clang-tidy 14 carries analyzer state from one to the next (a second run flags every
#   va_start with clang-analyzer-valist.Uninitialized).
# - cppcheck/: the same, plus every variant of tests/plugins/*.c (one per -D set: each
#   compiles other code).
python3 - "$root" "$build" <<'PY'
import json, os, shlex, sys
root, build = sys.argv[1], os.path.abspath(sys.argv[2])
tidy, cppcheck = {}, {}
for e in json.load(open(os.path.join(build, "compile_commands.json"))):
    f = os.path.normpath(os.path.join(e["directory"], e["file"]))
    if not f.startswith(root + os.sep) or f.startswith(build + os.sep):
        continue
    args = e["arguments"] if "arguments" in e else shlex.split(e["command"])
    if any("pipeline_core_fuzz.dir" in a for a in args):
        continue
    e = dict(e, file=f)
    tidy.setdefault(f, e)
    variant = tuple(a for a in args if a.startswith("-D")) if "/tests/plugins/" in f else ()
    cppcheck.setdefault((f, variant), e)
shout = os.path.join(root, "tests/kit/project/shout.c")
tidy[shout] = cppcheck[(shout, ())] = {
    "directory": root, "file": shout,
    "arguments": ["clang", "-std=c11", "-I" + os.path.join(root, "stages/include"), "-c", shout]}
for name, entries in (("tidy", tidy), ("cppcheck", cppcheck)):
    os.makedirs(os.path.join(build, name), exist_ok=True)
    with open(os.path.join(build, name, "compile_commands.json"), "w") as out:
        json.dump(sorted(entries.values(), key=lambda e: e["file"]), out, indent=1)
PY
db=$build/tidy
files=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' \
	"$db/compile_commands.json")

failed=0
echo "=== clang-tidy ($files files)"
log=$build/clang-tidy.log
# cmocka 1.1 does not declare fail_msg() noreturn; this header does, for the analyzer only.
noreturn=(-include "$root/scripts/clang-tidy/cmocka-noreturn.h")
if [ -n "$run_clang_tidy" ]; then
	"$run_clang_tidy" -clang-tidy-binary clang-tidy-14 -p "$db" -quiet -j "$jobs" \
		"${noreturn[@]/#/-extra-arg-before=}" >"$log" 2>&1 || failed=1
else
	python3 -c 'import json, sys; [print(e["file"]) for e in json.load(open(sys.argv[1]))]' \
		"$db/compile_commands.json" |
		xargs -P "$jobs" -n 1 clang-tidy-14 -p "$db" --quiet \
			"${noreturn[@]/#/--extra-arg-before=}" >"$log" 2>&1 || failed=1
fi
if [ "$failed" -ne 0 ]; then
	# The findings, without the commands run-clang-tidy echoes and the counts of warnings
	# suppressed in system headers.
	sed -e 's/\x1b\[[0-9;]*m//g' "$log" |
		grep -v -e '^clang-tidy-14 ' -e ' warnings\? generated\.$' || true
	echo "clang-tidy: findings above (whole log: $log)" >&2
fi

echo "=== cppcheck ($files files)"
# cmocka.cfg: what cppcheck cannot read in <cmocka.h> (it opens no system header).
cppcheck --project="$build/cppcheck/compile_commands.json" \
	--enable=warning,style,performance,portability --library=posix \
	--library=scripts/cppcheck/cmocka.cfg --suppressions-list=scripts/cppcheck/suppressions.txt \
	--inline-suppr --error-exitcode=1 --quiet -j "$jobs" --template=gcc || failed=1

if [ "$failed" -ne 0 ]; then
	echo "=== static analysis FAILED: findings above ($((SECONDS - start)) s)" >&2
	exit 1
fi
echo "=== static analysis clean: $files files, clang-tidy and cppcheck ($((SECONDS - start)) s)"
