#!/usr/bin/env bash
# Builds the OpenTelemetry Collector that test/integration/otelcol sends to, with the
# OpenTelemetry Collector Builder (ocb) fetched from the Go module proxy. Idempotent: does
# nothing when the binary already exists. Prints the binary's path as its last stdout line.
#
#   test/integration/otelcol/build.sh          # -> ${XDG_CACHE_HOME:-~/.cache}/mailsight/otelcol-<ver>/otelcol-mailsight-test
#   OTELCOL_BIN=/some/path build.sh            # use (and build, if missing) that path instead
#
# Needs Go (>= the `go` line of the collector's go.mod; 1.25 for 0.165) and the module proxy.
# A cold build takes ~5-7 minutes and ~1.7 GB of Go module + build cache; the binary is ~36 MB.
set -euo pipefail

OCB_VERSION="${OCB_VERSION:-0.165.0}" # keep in step with builder-config.yaml
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

# The builder itself, pinned, installed into the cache rather than the user's GOPATH/bin.
if [[ ! -x "$cache/gobin/builder" ]]; then
  GOBIN="$cache/gobin" go install "go.opentelemetry.io/collector/cmd/builder@v${OCB_VERSION}"
fi

# ocb generates the sources and go.mod, then runs `go mod tidy`, which also resolves the test
# imports of every component; fileexporter's tests import a contrib module the proxy does not
# serve (otlpencodingextension), so that tidy can fail. We therefore let ocb only generate,
# then tidy with -e (tolerates the unresolvable test-only import) and compile ourselves.
src="$cache/src"
rm -rf "$src"
cfg="$cache/builder-config.yaml"
sed "s#^  output_path: .*#  output_path: ${src}#" "$here/builder-config.yaml" > "$cfg"
"$cache/gobin/builder" --config "$cfg" --skip-compilation >&2 ||
  echo "build.sh: ocb's go mod tidy failed (see above); continuing with 'go mod tidy -e'" >&2
[[ -f "$src/go.mod" && -f "$src/components.go" ]] || { echo "build.sh: ocb generated no sources" >&2; exit 1; }
(
  cd "$src"
  go mod tidy -e >&2
  CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$bin.tmp" .
)
mkdir -p "$(dirname "$bin")"
mv "$bin.tmp" "$bin"
"$bin" --version >&2
echo "built $bin in $(( $(date +%s) - start ))s ($(du -h "$bin" | cut -f1))" >&2
echo "$bin"
