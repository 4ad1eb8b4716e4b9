#!/usr/bin/env bash
# nats-scale.sh - how the distributed example (pipelines/distributed/) scales with worker
# processes: for each of durable true and false, W = 1, 2, 3 worker processes and one producer
# of N messages, through a nats-server of its own (a random port, JetStream in a temporary
# directory).  Each worker is pipelines/distributed/worker.yaml: 8 threads of a 5 ms `delay`.
# Prints one line per run, the time from the producer's start to the last worker's end:
#
#   durable=true workers=2 messages=4000 seconds=1.402 msg/s=2853 vs-local=1.86x
#
# vs-local compares with the reference measured first in the same run: the same work in one
# process over a local channel (seq -> 8 x delay -> count), no NATS.  A benchmark: it fails
# only when a run does (a worker's count short of N, a process exiting non-zero).
#
#   bench/nats-scale.sh [-n MESSAGES] [-w "1 2 3"] [--ms MS] [--threads T] [--durable "true false"]
#
# Without $PIPELINE it builds a Release pipeline in build-bench/ as bench/run.sh does (libnats
# must be installed: apt-get install libnats-dev); $NATS_SERVER names a nats-server other than
# the one on $PATH or /usr/sbin/nats-server.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=4000
procs="1 2 3"
ms=5
threads=8
modes="true false"

say() { echo "nats-scale.sh: $*" >&2; }
die() {
	say "$*"
	exit 1
}

while [ $# -gt 0 ]; do
	case $1 in
	-n) n=$2; shift 2 ;;
	-w) procs=$2; shift 2 ;;
	--ms) ms=$2; shift 2 ;;
	--threads) threads=$2; shift 2 ;;
	--durable) modes=$2; shift 2 ;;
	-h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument '$1' (--help)" ;;
	esac
done

if [ -z "${PIPELINE:-}" ]; then
	build="$root/build-bench"
	say "building a Release pipeline in $build"
	cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DPL_BUILD_BENCH=ON \
		-DPL_BUILD_TESTS=OFF >/dev/null
	cmake --build "$build" -j"${JOBS:-$(nproc)}" --target pipeline >/dev/null
	PIPELINE=$build/pipeline
fi
[ -x "$PIPELINE" ] || die "no pipeline binary at $PIPELINE"
server=${NATS_SERVER:-$(command -v nats-server || echo /usr/sbin/nats-server)}
[ -x "$server" ] || die "no nats-server (apt-get install nats-server, or NATS_SERVER=PATH)"

tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

# The server, on a port of its choosing, read from its log.
"$server" -a 127.0.0.1 -p -1 -js -sd "$tmp/js" >"$tmp/server.log" 2>&1 &
pids+=($!)
port=
for _ in $(seq 1000); do
	port=$(sed -n 's/.*Listening for client connections on 127\.0\.0\.1:\([0-9]*\).*/\1/p' \
		"$tmp/server.log")
	[ -n "$port" ] && break
	sleep 0.01
done
[ -n "$port" ] || die "nats-server did not start: $(cat "$tmp/server.log")"
export NATS_URL=nats://127.0.0.1:$port

"$PIPELINE" validate -q "$root/pipelines/distributed/worker.yaml" >"$tmp/validate" 2>&1 ||
	die "$PIPELINE cannot run the example (built without libnats?): $(cat "$tmp/validate")"

now() { date +%s.%N; }
# Seconds from $1 to $2; $1 messages in $2 seconds per second.
span() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
# The messages=N a count sink printed in file $1 (0 when none).
counted() { sed -n 's/^messages=\([0-9]*\) .*/\1/p' "$1" | tail -1 | grep . || echo 0; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "nats-server: $("$server" --version 2>&1); pipeline: $PIPELINE"
echo "each worker process: $threads threads of a $ms ms delay; $n messages per run"
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"

# The reference: the same work in one process, through a local channel.
cat >"$tmp/local.yaml" <<EOF
version: 1
name: local-reference
nodes:
  - { name: source, type: generator, stage: seq, params: { count: $n }, output: jobs }
  - { name: work, type: fan-out, workers: $threads, stage: delay, params: { ms: $ms },
      input: jobs, output: done }
  - { name: total, type: sink, stage: count, input: done }
EOF
t0=$(now)
"$PIPELINE" run -q "$tmp/local.yaml" >"$tmp/local.out" || die "the local reference failed"
t1=$(now)
[ "$(counted "$tmp/local.out")" -eq "$n" ] || die "the local reference counted $(cat "$tmp/local.out")"
local_s=$(span "$t0" "$t1")
local_rate=$(rate "$n" "$local_s")
echo "local workers=1 messages=$n seconds=$local_s msg/s=$local_rate vs-local=1.00x"

for durable in $modes; do
	for w in $procs; do
		# A subject (and so a stream) of this run alone.
		subject="bench.p$$.$durable.w$w"
		for half in producer worker; do
			sed -e "s/^    subject: jobs\$/    subject: $subject/" \
				-e "s/^    durable: true\$/    durable: $durable/" \
				"$root/pipelines/distributed/$half.yaml" >"$tmp/$half.yaml"
			if ! grep -q "subject: $subject" "$tmp/$half.yaml" ||
				! grep -q "durable: $durable" "$tmp/$half.yaml"; then
				die "pipelines/distributed/$half.yaml no longer has 'subject: jobs' and 'durable: true'"
			fi
		done
		wpids=()
		for i in $(seq "$w"); do
			timeout 600 "$PIPELINE" run --set "work.params.ms=$ms" --set "work.workers=$threads" \
				"$tmp/worker.yaml" >"$tmp/w$i.out" 2>"$tmp/w$i.err" &
			wpids+=($!)
			pids+=($!)
		done
		# The producer starts once every worker has subscribed.
		for i in $(seq "$w"); do
			for _ in $(seq 3000); do
				grep -q "subscribed to '$subject'" "$tmp/w$i.err" && break
				kill -0 "${wpids[$((i - 1))]}" 2>/dev/null ||
					die "worker $i ended: $(cat "$tmp/w$i.err")"
				sleep 0.01
			done
			grep -q "subscribed to '$subject'" "$tmp/w$i.err" ||
				die "worker $i did not subscribe in 30 s: $(cat "$tmp/w$i.err")"
		done
		t0=$(now)
		timeout 600 "$PIPELINE" run -q --set "source.params.count=$n" "$tmp/producer.yaml" \
			>/dev/null 2>"$tmp/p.err" || die "the producer failed: $(cat "$tmp/p.err")"
		for i in $(seq "$w"); do
			wait "${wpids[$((i - 1))]}" || die "worker $i failed: $(tail -20 "$tmp/w$i.err")"
		done
		t1=$(now)
		total=0
		for i in $(seq "$w"); do
			total=$((total + $(counted "$tmp/w$i.out")))
		done
		# Each message once (core NATS), or at least once (JetStream may redeliver).
		if [ "$durable" = true ]; then
			[ "$total" -ge "$n" ] || die "the workers counted $total messages of $n"
		else
			[ "$total" -eq "$n" ] || die "the workers counted $total messages of $n"
		fi
		s=$(span "$t0" "$t1")
		r=$(rate "$n" "$s")
		echo "durable=$durable workers=$w messages=$n seconds=$s msg/s=$r" \
			"vs-local=$(awk -v r="$r" -v l="$local_rate" 'BEGIN { printf "%.2f", r / l }')x"
	done
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
