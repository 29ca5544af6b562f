#!/usr/bin/env bash
# Installs Debian's Prometheus (server and promtool) for test/integration/prometheus without
# starting its service: the test starts its own server on loopback. Idempotent; root only.
set -euo pipefail
if [[ $(id -u) -ne 0 ]]; then echo "prometheus/setup.sh: must run as root (apt-get)" >&2; exit 1; fi
if ! dpkg-query -W -f='${Status}' prometheus 2>/dev/null | grep -q 'install ok installed'; then
  created_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  trap 'if [[ $created_policy -eq 1 ]]; then rm -f /usr/sbin/policy-rc.d; fi' EXIT
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
command -v prometheus promtool >/dev/null
echo "prometheus/setup.sh: ok ($(prometheus --version 2>&1 | head -1))"
