#!/usr/bin/env bash
# Builds the OpenTelemetry Collector the benchmark harness runs as the "otelcol filelog +
# regex_parser" peer (manifest: builder-config.yaml here; the build itself is
# scripts/ocb_build.sh). Idempotent. Prints the binary's path as its last stdout line
# (npm run bench calls it when no collector is found, unless --no-install).
#
#   benchmarks/peers/otelcol/build.sh   # -> ${XDG_CACHE_HOME:-~/.cache}/mailsight/otelcol/otelcol-mailsight-bench
#   OTELCOL_BENCH_BIN=/some/path build.sh  # use (and build, if missing) that path instead
set -euo pipefail

OCB_VERSION="${OCB_VERSION:-0.165.0}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The harness (benchmarks/run.ts, findOtelcol) looks for otelcol* files directly in this
# directory, so the scratch (ocb, generated sources) lives in a subdirectory of its own.
dir="${MAILSIGHT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mailsight}/otelcol"
bin="${OTELCOL_BENCH_BIN:-$dir/otelcol-mailsight-bench}" # not OTELCOL_BIN: that one is the integration tests'
OCB_VERSION="$OCB_VERSION" exec "$here/../../../scripts/ocb_build.sh" "$here/builder-config.yaml" "$bin" "$dir/build-${OCB_VERSION}"
