#!/usr/bin/env bash
# test.sh - the whole test suite: clang-tidy and cppcheck, then the gcc build (with the
# valgrind runs), a bounded libFuzzer run of the config loader (docs/fuzzing.md), the clang
# ASan+UBSan build with fault injection (docs/reliability.md), the gcc TSan build, each under
# ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh

jobs=$(nproc)
# A sanitizer report is a failure, never a warning.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1

suite() {
	local name=$1 dir=$2
	shift 2
	echo "=== $name ($dir)"
	# Debug, tests on, the optional libraries required (their tests with them), nothing
	# else, unless the suite says otherwise (a later -D wins):
	# every option is given, so a build directory configured by hand with other values
	# (its CMakeCache.txt) cannot turn the tests off.
	cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DPL_BUILD_TESTS=ON -DPL_BUILD_BENCH=ON \
		-DPL_FUZZ=OFF -DPL_SANITIZE= -DPL_FAULT_INJECTION=OFF \
		-DPL_NATS=ON -DPL_CURL=ON -DPL_JANSSON=ON -DPL_LWS=ON "$@" >/dev/null
	cmake --build "$dir" -j"$jobs" >/dev/null
	ctest --test-dir "$dir" --output-on-failure -j"$jobs"
	# What the random graphs proved in this build (docs/reliability.md), visible in CI.
	grep -a -h '^random graphs: [0-9]* graphs' "$dir/Testing/Temporary/LastTest.log" || true
}

# Static analysis first, the quickest to fail (about a minute): any clang-tidy or cppcheck finding.
scripts/static-analysis.sh build-analysis
# Optimised, as scripts/build-and-run.sh builds: -O2 enables warnings (-Werror) that
# -O0 does not, and tests the code as users run it.
suite "gcc, optimised" build-test -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo
# Only the fuzz target (its ctest run: 60 s of fuzz_config, any crash, leak or hang fails).
suite "clang, libFuzzer (60 s)" build-fuzz -DCMAKE_C_COMPILER=clang -DPL_FUZZ=ON \
	-DPL_BUILD_TESTS=OFF -DPL_BUILD_BENCH=OFF
suite "clang, AddressSanitizer + UBSan, fault injection" build-asan -DCMAKE_C_COMPILER=clang \
	-DPL_SANITIZE=address -DPL_FAULT_INJECTION=ON
suite "gcc, ThreadSanitizer" build-tsan -DCMAKE_C_COMPILER=gcc -DPL_SANITIZE=thread
echo "=== all suites passed"
