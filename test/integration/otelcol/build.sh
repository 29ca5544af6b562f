#!/usr/bin/env bash
# Builds the OpenTelemetry Collector that test/integration/otelcol sends to (manifest:
# builder-config.yaml here; the build itself is scripts/ocb_build.sh). Idempotent. Prints the
# binary's path as its last stdout line.
#
#   test/integration/otelcol/build.sh          # -> ${XDG_CACHE_HOME:-~/.cache}/mailsight/otelcol-<ver>/otelcol-mailsight-test
#   OTELCOL_BIN=/some/path build.sh            # use (and build, if missing) that path instead
set -euo pipefail

OCB_VERSION="${OCB_VERSION:-0.165.0}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${MAILSIGHT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mailsight}/otelcol-${OCB_VERSION}"
bin="${OTELCOL_BIN:-$cache/otelcol-mailsight-test}"
OCB_VERSION="$OCB_VERSION" exec "$here/../../../scripts/ocb_build.sh" "$here/builder-config.yaml" "$bin" "$cache"
