#!/usr/bin/env bash
# run.sh - issue 7's benchmark suite in one command: builds a Release pipeline and pl_bench in
# build-bench/, Go's reference and the C rings of ../shared/bench beside them, and runs
# build-bench/bench/pl_bench with every argument given here (--quick, --reps N, --n N, --raw FILE,
# --run-args "...", --only ...; `bench/run.sh --help` lists them).  bench/README.md explains it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-bench"
shared="$root/../shared/bench"
jobs=$(nproc)

say() { echo "run.sh: $*" >&2; }

say "building a Release pipeline and pl_bench in $build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DPL_BUILD_BENCH=ON \
	-DPL_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j"$jobs" >/dev/null

refs=()
# Go's goroutines and channels on the same shapes (../shared/bench/go), built into build-bench/.
if [ ! -f "$shared/go/pipeline_bench.go" ]; then
	say "no $shared/go/pipeline_bench.go: the Go column is marked absent"
	refs+=(--no-go)
elif ! command -v go >/dev/null 2>&1; then
	say "Go is not installed: the Go column is marked absent. To compare against Go:"
	say "    apt-get install golang-go"
	refs+=(--no-go)
else
	say "building the Go reference with $(go version) into $build/pipeline_bench"
	# Nothing to download (the reference has no dependencies); the local toolchain only.
	(cd "$shared/go" && GOTOOLCHAIN=local GOPROXY=off go build -o "$build/pipeline_bench" .)
	refs+=(--go "$build/pipeline_bench")
fi

# The C rings, with the rules and flags of their Makefile, built into build-bench/rings/ (only
# the sources are looked up in ../shared, so that nothing there is taken as built).
if [ -f "$shared/c/Makefile" ]; then
	say "building the C rings into $build/rings"
	mkdir -p "$build/rings"
	make -s -C "$build/rings" -f "$shared/c/Makefile" --eval="vpath %.c $shared/c" \
		--eval="vpath %.h $shared/c" ring_spsc ring_mutex
	refs+=(--ring-spsc "$build/rings/ring_spsc" --ring-mutex "$build/rings/ring_mutex")
else
	say "no $shared/c/Makefile: the C rings are absent"
fi

say "running $build/bench/pl_bench (progress on standard error)"
exec "$build/bench/pl_bench" --pipeline "$build/pipeline" "${refs[@]}" "$@"
