#!/bin/sh
# gen-chain.sh - writes to standard output a chain of N nodes (default 1000): a `seq`
# generator of one message, N-2 `upper` transforms, a `null` sink.  What starting a large
# pipeline costs (bench/startup): N-1 channels, N threads, one message through all of them.
#
#   bench/gen-chain.sh [N] > chain.yaml
set -eu
n=${1:-1000}
case $n in
'' | *[!0-9]*) echo "gen-chain.sh: N must be a number of nodes (3 or more), got '$n'" >&2; exit 2 ;;
esac
if [ "$n" -lt 3 ]; then
	echo "gen-chain.sh: N must be 3 or more (a generator, a transform, a sink), got $n" >&2
	exit 2
fi
echo "version: 1"
echo "name: chain-$n"
echo "nodes:"
echo "  - { name: n0, type: generator, stage: seq, params: { count: 1 }, output: c0 }"
awk -v n="$n" 'BEGIN {
	for (i = 1; i < n - 1; i++)
		printf "  - { name: n%d, type: fan-out, stage: upper, input: c%d, output: c%d }\n", i, i - 1, i
	printf "  - { name: n%d, type: sink, stage: null, input: c%d }\n", n - 1, n - 2
}'
