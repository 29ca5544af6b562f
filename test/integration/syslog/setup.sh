#!/usr/bin/env bash
# Installs what the syslog receiver's integration tests need (Debian 12): rsyslog with its
# GnuTLS network stream driver (omfwd over TLS), logger (bsdutils) and openssl (a throw-away
# PKI). Idempotent: installs only what is missing. No daemon is started or enabled: the tests
# run their own rsyslogd with a configuration in a temporary directory.
#
# Usage (as root): bash test/integration/syslog/setup.sh
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../apt-install.sh"
apt_install rsyslog rsyslog-gnutls bsdutils openssl

command -v rsyslogd logger openssl >/dev/null
ls /usr/lib/*/rsyslog/lmnsd_gtls.so >/dev/null
echo "syslog/setup.sh: ok ($(rsyslogd -v | head -1))"
