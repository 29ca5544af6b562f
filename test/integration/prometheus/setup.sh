#!/usr/bin/env bash
# Installs Debian's Prometheus (server and promtool) for test/integration/prometheus without
# starting its service: the test starts its own server on loopback. Idempotent; root only.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../apt-install.sh"
apt_install prometheus
command -v prometheus promtool >/dev/null
echo "prometheus/setup.sh: ok ($(prometheus --version 2>&1 | head -1))"
