#!/usr/bin/env bash
# test_kit.sh - the plugin kit end to end: install, build a plugin out of tree
# (CMake find_package and pkg-config), run it with the installed binary.
#
# Usage: test_kit.sh CMAKE CC BUILD_DIR SOURCE_DIR
# Prints each step and the commands it runs; on failure says which step
# failed and keeps its work directory for a look.
set -euo pipefail
cmake=$1 cc=$2 build=$3 src=$4
project=$src/tests/kit/project
doc=$src/docs/plugins.md

work=$(mktemp -d "${TMPDIR:-/tmp}/pl-kit-XXXXXX")
prefix=$work/prefix
current="setting up"
finish() {
	local rc=$?
	if [ "$rc" -eq 0 ]; then
		rm -rf "$work"
		echo "test_kit: passed"
	else
		echo "test_kit: FAILED while: $current (exit $rc); files kept in $work" >&2
	fi
}
trap finish EXIT
step() {
	current=$*
	echo "=== $*"
}
run() {
	echo "+ $(printf '%q ' "$@")"
	"$@"
}
# logged LOG COMMAND...: runs it with its output in $work/LOG, shown on failure.
logged() {
	local log=$work/$1
	shift
	echo "+ $(printf '%q ' "$@")>$log"
	"$@" >"$log" 2>&1 || {
		cat "$log"
		fail "'$1 ${2:-}' failed"
	}
}
fail() {
	echo "test_kit: $*" >&2
	exit 1
}
# expect WHAT WANT GOT: the output of a run, compared exactly.
expect() {
	if [ "$2" != "$3" ]; then
		printf 'test_kit: %s: expected\n%s\n--- but got\n%s\n' "$1" "$2" "$3" >&2
		exit 1
	fi
	echo "ok: $1"
}
# block KIND: the first fenced block of KIND in docs/plugins.md.
block() {
	awk -v fence="\`\`\`$1" '$0 == fence && !done { on = 1; next }
		on && $0 == "```" { on = 0; done = 1 } on' "$doc"
}
# Only what this script sets: the build's own plugin directory is not found
# from the installed binary, and no plugin path from the environment.
unset PIPELINE_PLUGIN_PATH

step "docs/plugins.md shows the very files built here"
block c | diff -u - "$project/shout.c" || fail "docs/plugins.md's first c block is not tests/kit/project/shout.c"
block cmake | diff -u - "$project/CMakeLists.txt" ||
	fail "docs/plugins.md's first cmake block is not tests/kit/project/CMakeLists.txt"
block yaml >"$work/shout.yaml"
grep -q '^plugins: \[libshout.so\]$' "$work/shout.yaml" ||
	fail "docs/plugins.md's first yaml block has no 'plugins: [libshout.so]' line"

step "install $build into a temporary prefix"
logged install.log "$cmake" --install "$build" --prefix "$prefix"
for f in bin/pipeline include/pipeline/plugin.h lib/pkgconfig/pipeline-plugin.pc \
	lib/cmake/pipeline/pipelineConfig.cmake lib/cmake/pipeline/pipelineConfigVersion.cmake \
	lib/pipeline/plugins/librot13.so lib/pipeline/plugins/libfibonacci.so; do
	[ -f "$prefix/$f" ] || fail "$f was not installed"
done
echo "ok: the binary, the header, the .pc, the CMake package and the example plugins"

step "build shout.c with pkg-config"
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
cflags=$(pkg-config --cflags pipeline-plugin | sed 's/ *$//')
expect "pkg-config --cflags" "-I$prefix/lib/pkgconfig/../../include" "$cflags"
expect "pkg-config --libs (a plugin links against nothing of ours)" "" \
	"$(pkg-config --libs pipeline-plugin | tr -d ' ')"
expect "pkg-config --variable=plugindir" "$prefix/lib/pkgconfig/../../lib/pipeline/plugins" \
	"$(pkg-config --variable=plugindir pipeline-plugin)"
mkdir "$work/pc"
# shellcheck disable=SC2086 # $cflags is a list of options
run "$cc" $cflags -std=c11 -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes -Werror \
	-shared -fPIC -fvisibility=hidden -o "$work/pc/libshout.so" "$project/shout.c"
nm -D --defined-only "$work/pc/libshout.so" | grep -q ' T pipeline_plugin$' ||
	fail "libshout.so does not export pipeline_plugin"
if nm -D --defined-only "$work/pc/libshout.so" | grep -q shout_process; then
	fail "libshout.so exports shout_process: -fvisibility=hidden was lost"
fi
echo "ok: libshout.so exports pipeline_plugin and nothing of its own else"

step "run it through the YAML's plugins: key (relative to the YAML file, run from /)"
cp "$work/shout.yaml" "$work/pc/shout.yaml"
got=$(cd / && printf 'hello\nplugin kit\n' | "$prefix/bin/pipeline" run -q "$work/pc/shout.yaml")
expect "plugins: [libshout.so]" $'HELLO!\nPLUGIN KIT!' "$got"

step "build tests/kit/project with find_package(pipeline) and pipeline_add_plugin()"
logged configure.log "$cmake" -S "$project" -B "$work/build" -DCMAKE_C_COMPILER="$cc" \
	-DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
	-DCMAKE_C_FLAGS="-Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes -Werror"
logged build.log "$cmake" --build "$work/build"
[ -f "$work/build/libshout.so" ] || fail "pipeline_add_plugin(shout ...) made no libshout.so"
echo "ok: build/libshout.so"

step "run it with --plugin"
grep -v '^plugins:' "$work/shout.yaml" >"$work/shout-bare.yaml"
got=$(printf 'hello\nplugin kit\n' |
	"$prefix/bin/pipeline" run -q --plugin "$work/build/libshout.so" "$work/shout-bare.yaml")
expect "--plugin build/libshout.so" $'HELLO!\nPLUGIN KIT!' "$got"

step "install the project: its plugin goes where the installed pipeline looks"
logged install-project.log "$cmake" --install "$work/build"
[ -f "$prefix/lib/pipeline/plugins/libshout.so" ] ||
	fail "libshout.so was not installed into $prefix/lib/pipeline/plugins"
echo "ok: lib/pipeline/plugins/libshout.so"

step "run with the default plugin directory only: rot13 (an example) and shout"
cat >"$work/default-dir.yaml" <<'YAML'
version: 1
name: default-dir
nodes:
  - { name: read, type: generator, stage: lines, params: { path: '-' }, output: secret }
  - { name: decode, type: fan-out, stage: rot13, input: secret, output: clear }
  - { name: loud, type: fan-out, stage: shout, input: clear, output: loud }
  - { name: print, type: sink, stage: stdout, input: loud }
YAML
got=$(printf 'uryyb\ncyhtva xvg\n' | "$prefix/bin/pipeline" run -q "$work/default-dir.yaml")
expect "lines | rot13 | shout | stdout" $'HELLO!\nPLUGIN KIT!' "$got"
got=$(cd "$src" && "$prefix/bin/pipeline" run -q pipelines/plugins.yaml | grep -c '^[0-9]*$')
expect "pipelines/plugins.yaml with the installed binary: ten Fibonacci numbers" 10 "$got"
