#!/usr/bin/env bash
# Builds the OpenTelemetry Collector used by test/integration/otelcol with the OpenTelemetry
# Collector Builder (ocb), fetched from the Go module proxy. Idempotent: does nothing when the
# binary already exists. Prints the binary's path on stdout (last line).
#
#   test/integration/otelcol/build.sh            # -> ${XDG_CACHE_HOME:-~/.cache}/mailsight/otelcol-<ver>/otelcol-mailsight-test
#   OTELCOL_BIN=/path/to/otelcol build.sh        # use (and, if missing, build) that path instead
#
# Needs Go (>= the version the collector's go.mod asks for) and network access to the proxy.
set -euo pipefail

OCB_VERSION="${OCB_VERSION:-0.165.0}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${MAILSIGHT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mailsight}/otelcol-${OCB_VERSION}"
bin="${OTELCOL_BIN:-$cache/otelcol-mailsight-test}"

if [[ -x "$bin" ]]; then
  echo "otelcol already built: $bin" >&2
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || { echo "build.sh: go is not installed" >&2; exit 1; }
mkdir -p "$cache/gobin"
start=$(date +%s)

# The builder itself, pinned, installed into the cache (not into the user's GOPATH/bin).
if [[ ! -x "$cache/gobin/builder" ]]; then
  GOBIN="$cache/gobin" go install "go.opentelemetry.io/collector/cmd/builder@v${OCB_VERSION}"
fi

src="$cache/src"
rm -rf "$src"
"$cache/gobin/builder" --config "$here/builder-config.yaml" --output-path "$src" >&2

mkdir -p "$(dirname "$bin")"
cp "$src/otelcol-mailsight-test" "$bin.tmp"
mv "$bin.tmp" "$bin"
echo "built $bin in $(( $(date +%s) - start ))s ($(du -h "$bin" | cut -f1))" >&2
echo "$bin"
