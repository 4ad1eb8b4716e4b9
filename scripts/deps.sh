#!/usr/bin/env bash
# deps.sh - installs the Debian 12 packages pipeline needs to build and test, only those missing.
set -euo pipefail

packages=(
	build-essential # gcc, make, libc headers; gcc's TSan/ASan/UBSan runtimes
	clang           # the second compiler: the ASan+UBSan build uses it
	libclang-rt-14-dev # clang's sanitizer runtimes (only recommended by clang)
	cmake
	pkg-config
	libyaml-dev     # the YAML parser (line and column of every node)
	libcmocka-dev   # the test framework
	libnats-dev     # NATS channels (transport: nats; docs/distributed.md)
	nats-server     # the NATS server the tests of NATS channels start on 127.0.0.1
	libcurl4-openssl-dev # the http stage
	libjansson-dev  # the json stage
	libwebsockets-dev # the websocket stage
	ca-certificates # the CAs http and websocket check https:// and wss:// servers against
	python3         # the HTTP server the http stage's tests start on 127.0.0.1
	python3-websockets # the WebSocket server the websocket stage's tests start
	clang-tidy      # scripts/static-analysis.sh: clang-tidy 14 and run-clang-tidy-14
	cppcheck        # scripts/static-analysis.sh: the second analyser
	valgrind        # memcheck runs of the examples (tests/valgrind/)
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps.sh: installing ${missing[*]}" >&2
as_root=()
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "deps.sh: run as root (or install sudo) to install: ${missing[*]}" >&2; exit 1; }
	as_root=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
