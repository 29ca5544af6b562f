#!/usr/bin/env bash
# Installs what the postfix_queue receiver's integration tests need (Debian 12): Postfix
# (postfix, postqueue, postsuper, sendmail, smtp-sink) and bsdutils (`script`, to see the
# errors of a failed `postfix start`). Idempotent. Postfix is installed with "No
# configuration" and is not started: the tests run their own instance (postfix -c DIR) with
# its queue in a temporary directory, see postfix-lab.sh.
#
# Usage (as root): bash test/integration/postfix_queue/setup.sh
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
  echo "postfix_queue/setup.sh: must run as root (apt-get, postfix start)" >&2
  exit 1
fi

PKGS=(postfix bsdutils)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]})); then
  created_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  trap 'if [[ $created_policy -eq 1 ]]; then rm -f /usr/sbin/policy-rc.d; fi' EXIT
  export DEBIAN_FRONTEND=noninteractive
  # Postfix asks a debconf question; "No configuration" leaves /etc/postfix without main.cf.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v postfix postqueue postsuper sendmail smtp-sink script >/dev/null
getent passwd postfix >/dev/null && getent group postdrop >/dev/null
echo "postfix_queue/setup.sh: ok ($(postconf -d -h mail_version 2>/dev/null || echo postfix))"
