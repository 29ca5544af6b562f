#!/usr/bin/env bash
# Builds an OpenTelemetry Collector from an ocb (OpenTelemetry Collector Builder) manifest, with
# ocb fetched from the Go module proxy. Shared by the integration tests' collector
# (test/integration/otelcol/build.sh) and the benchmark peer (benchmarks/peers/otelcol/build.sh),
# which only choose the manifest and where things go. Idempotent: does nothing when BIN exists.
# Prints BIN as its last stdout line; everything else goes to stderr.
#
#   scripts/ocb_build.sh MANIFEST BIN SCRATCH
#     MANIFEST  builder-config.yaml (its dist.output_path is replaced by SCRATCH/src)
#     BIN       where the binary goes (moved there only when complete)
#     SCRATCH   ocb, generated sources, partial binary
#
# Needs Go (>= the `go` line of the collector's go.mod; 1.25 for 0.165) and the module proxy.
# A cold build takes 5-7 minutes on 2 cores and ~1.7 GB of Go module + build cache; the binary
# is 30-40 MB. It runs under `nice` so it does not starve a benchmark or test in progress.
set -euo pipefail

OCB_VERSION="${OCB_VERSION:-0.165.0}" # keep in step with the manifests' component versions
[[ $# -eq 3 ]] || { echo "usage: $0 MANIFEST BIN SCRATCH" >&2; exit 2; }
manifest="$1" bin="$2" scratch="$3"

if [[ -x "$bin" ]]; then
  echo "otelcol already built: $bin" >&2
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || { echo "ocb_build.sh: go is not installed" >&2; exit 1; }
mkdir -p "$scratch/gobin"
start=$(date +%s)
nice_go() { nice -n 10 go "$@"; }

# The builder itself, pinned, installed into the scratch directory rather than GOPATH/bin.
if [[ ! -x "$scratch/gobin/builder" ]]; then
  GOBIN="$scratch/gobin" nice_go install "go.opentelemetry.io/collector/cmd/builder@v${OCB_VERSION}"
fi

# ocb generates the sources and go.mod, then runs `go mod tidy`, which also resolves the test
# imports of every component. Some of those are not served by the proxy (fileexporter's tests
# import otlpencodingextension), so that tidy can fail. ocb therefore only generates; we tidy
# with -e (tolerates an unresolvable test-only import) and compile ourselves.
src="$scratch/src"
rm -rf "$src"
cfg="$scratch/builder-config.yaml"
sed "s#^  output_path: .*#  output_path: ${src}#" "$manifest" > "$cfg"
nice -n 10 "$scratch/gobin/builder" --config "$cfg" --skip-compilation >&2 ||
  echo "ocb_build.sh: ocb's go mod tidy failed (see above); continuing with 'go mod tidy -e'" >&2
[[ -f "$src/go.mod" && -f "$src/components.go" ]] || { echo "ocb_build.sh: ocb generated no sources" >&2; exit 1; }
(
  cd "$src"
  nice_go mod tidy -e >&2
  # Built in the scratch directory and moved when complete, so an interrupted build never
  # leaves a binary behind for a caller to pick up.
  CGO_ENABLED=0 nice_go build -trimpath -ldflags="-s -w" -o "$scratch/otelcol.tmp" .
)
mkdir -p "$(dirname "$bin")"
mv "$scratch/otelcol.tmp" "$bin"
"$bin" --version >&2
echo "built $bin in $(( $(date +%s) - start ))s ($(du -h "$bin" | cut -f1))" >&2
echo "$bin"
