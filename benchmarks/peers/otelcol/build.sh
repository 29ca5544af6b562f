#!/usr/bin/env bash
# Builds the OpenTelemetry Collector the benchmark harness runs as the "otelcol filelog +
# regex_parser" peer, with the OpenTelemetry Collector Builder (ocb) fetched from the Go module
# proxy. Idempotent: does nothing when the binary already exists. Prints the binary's path as
# its last stdout line (npm run bench calls it when no collector is found, unless --no-install).
#
#   benchmarks/peers/otelcol/build.sh   # -> ${XDG_CACHE_HOME:-~/.cache}/mailsight/otelcol/otelcol-mailsight-bench
#   OTELCOL_BENCH_BIN=/some/path build.sh  # use (and build, if missing) that path instead
#
# Needs Go (>= the `go` line of the collector's go.mod; 1.25 for 0.165) and the module proxy.
# A cold build takes several minutes on 2 cores and ~1.5 GB of Go module + build cache; the
# binary is ~30 MB. The build runs under `nice` so it does not starve a benchmark in progress.
set -euo pipefail

OCB_VERSION="${OCB_VERSION:-0.165.0}" # keep in step with builder-config.yaml
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The harness (benchmarks/run.ts, findOtelcol) looks for otelcol* files directly in this
# directory, so the scratch (ocb, generated sources) lives in a subdirectory of its own.
dir="${MAILSIGHT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mailsight}/otelcol"
scratch="$dir/build-${OCB_VERSION}"
bin="${OTELCOL_BENCH_BIN:-$dir/otelcol-mailsight-bench}" # not OTELCOL_BIN: that one is the integration tests'

if [[ -x "$bin" ]]; then
  echo "otelcol already built: $bin" >&2
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || { echo "build.sh: go is not installed" >&2; exit 1; }
mkdir -p "$scratch/gobin"
start=$(date +%s)
nice_go() { nice -n 10 go "$@"; }

# The builder itself, pinned, installed into the cache rather than the user's GOPATH/bin.
if [[ ! -x "$scratch/gobin/builder" ]]; then
  GOBIN="$scratch/gobin" nice_go install "go.opentelemetry.io/collector/cmd/builder@v${OCB_VERSION}"
fi

# ocb generates the sources and go.mod, then runs `go mod tidy`, which also resolves the test
# imports of every component; one the proxy does not serve makes that tidy fail (as for the
# integration tests' collector). So ocb only generates; we tidy with -e (tolerates an
# unresolvable test-only import) and compile ourselves.
src="$scratch/src"
rm -rf "$src"
cfg="$scratch/builder-config.yaml"
sed "s#^  output_path: .*#  output_path: ${src}#" "$here/builder-config.yaml" > "$cfg"
nice -n 10 "$scratch/gobin/builder" --config "$cfg" --skip-compilation >&2 ||
  echo "build.sh: ocb's go mod tidy failed (see above); continuing with 'go mod tidy -e'" >&2
[[ -f "$src/go.mod" && -f "$src/components.go" ]] || { echo "build.sh: ocb generated no sources" >&2; exit 1; }
(
  cd "$src"
  nice_go mod tidy -e >&2
  # Built into the scratch directory and moved when complete, so an interrupted build never
  # leaves an otelcol* file for the harness to pick up.
  CGO_ENABLED=0 nice_go build -trimpath -ldflags="-s -w" -o "$scratch/otelcol.tmp" .
)
mkdir -p "$(dirname "$bin")"
mv "$scratch/otelcol.tmp" "$bin"
"$bin" --version >&2
echo "built $bin in $(( $(date +%s) - start ))s ($(du -h "$bin" | cut -f1))" >&2
echo "$bin"
