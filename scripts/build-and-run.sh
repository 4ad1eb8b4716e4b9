#!/usr/bin/env bash
# build-and-run.sh - installs what is missing, builds pipeline in build/, runs pipelines/hello.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
echo "+ build/pipeline run pipelines/hello.yaml" >&2
build/pipeline run pipelines/hello.yaml
