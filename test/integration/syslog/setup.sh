#!/usr/bin/env bash
# Installs what the syslog receiver's integration tests need (Debian 12): rsyslog with its
# GnuTLS network stream driver (omfwd over TLS), logger (bsdutils) and openssl (a throw-away
# PKI). Idempotent: installs only what is missing. No daemon is started or enabled: the tests
# run their own rsyslogd with a configuration in a temporary directory.
#
# Usage (as root): bash test/integration/syslog/setup.sh
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
  echo "syslog/setup.sh: must run as root (apt-get)" >&2
  exit 1
fi

PKGS=(rsyslog rsyslog-gnutls bsdutils openssl)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]})); then
  # Packages must not start their services here (policy-rc.d 101 = "not allowed"), only if
  # nobody else put a policy in place.
  created_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  trap 'if [[ $created_policy -eq 1 ]]; then rm -f /usr/sbin/policy-rc.d; fi' EXIT
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# What the tests look for.
command -v rsyslogd logger openssl >/dev/null
ls /usr/lib/*/rsyslog/lmnsd_gtls.so >/dev/null
echo "syslog/setup.sh: ok ($(rsyslogd -v | head -1))"
