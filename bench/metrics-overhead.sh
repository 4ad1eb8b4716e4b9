#!/usr/bin/env bash
# metrics-overhead.sh - what the per-node metrics cost: one pipeline run with every metric
# written out (--stats, --metrics-json every 0.1 s) against the same run with --quiet, and
# optionally against another build (BASE, e.g. one from before the metrics existed).
# Prints the median wall time of each, alternating runs.  A benchmark: it never fails.
#
#   bench/metrics-overhead.sh BIN [BASE_BIN] [RUNS] [CONFIG...]
set -euo pipefail
bin=$1
base=${2:-}
runs=${3:-7}
shift $(($# < 3 ? $# : 3))
configs=("$@")
if [ ${#configs[@]} -eq 0 ]; then
	configs=(pipelines/fanout-io.yaml bench/cpu-fanout.yaml)
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Wall seconds of one run of "$@".
wall() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null 2>&1
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }'
}

median() {
	sort -g | awk '{ a[NR] = $1 } END { printf "%.4f", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
printf '%-28s %12s %12s %9s' config "quiet (s)" "metrics (s)" overhead
[ -n "$base" ] && printf ' %12s %9s' "base (s)" "vs base"
printf '\n'
for cfg in "${configs[@]}"; do
	: >"$tmp/q"; : >"$tmp/m"; : >"$tmp/b"
	for _ in $(seq "$runs"); do
		wall "$bin" run --quiet "$cfg" >>"$tmp/q"
		wall "$bin" run --stats --metrics-json "$tmp/metrics.json" --metrics-interval 0.1 "$cfg" >>"$tmp/m"
		[ -n "$base" ] && wall "$base" run --quiet "$cfg" >>"$tmp/b"
	done
	q=$(median <"$tmp/q")
	m=$(median <"$tmp/m")
	printf '%-28s %12s %12s %8.1f%%' "$cfg" "$q" "$m" "$(awk -v m="$m" -v q="$q" 'BEGIN { print (m / q - 1) * 100 }')"
	if [ -n "$base" ]; then
		b=$(median <"$tmp/b")
		printf ' %12s %8.1f%%' "$b" "$(awk -v q="$q" -v b="$b" 'BEGIN { print (q / b - 1) * 100 }')"
	fi
	printf '\n'
done
