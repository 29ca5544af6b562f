#!/usr/bin/env bash
# Install the Debian packages the mail lab needs (Debian 12 "bookworm").
#
# - Services are NOT started by the packages: a policy-rc.d that answers 101
#   is put in place for the duration of the install if none exists, and the
#   lab runs every daemon itself with lab-local configuration.
# - Exim cannot be installed next to Postfix (exim4-daemon-* conflicts with
#   postfix through the mail-transport-agent virtual package), so its .debs
#   are only downloaded and unpacked with `dpkg -x` into lab/.cache/exim.
#
# Idempotent: re-running it only re-checks the packages and re-unpacks Exim
# when the .debs changed.
set -euo pipefail

LAB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="$LAB_DIR/.cache"

if [[ $(id -u) -ne 0 ]]; then
  echo "install.sh: must run as root (apt-get, daemons binding ports 25/53/587)" >&2
  exit 1
fi

PKGS=(
  postfix                      # MTA; also ships smtp-sink and smtp-source
  opendkim opendkim-tools      # DKIM milter + opendkim-genkey
  opendmarc                    # DMARC milter
  postfix-policyd-spf-python   # SPF policy service (policyd-spf)
  dovecot-core dovecot-imapd dovecot-lmtpd  # IMAP, SASL for submission, LMTP
  unbound                      # lab-local authoritative data (SPF/DKIM/DMARC TXT)
  rsyslog                      # collects the syslog-only daemons into one mail.log
  swaks                        # SMTP test client
  libnet-ssleay-perl libio-socket-ssl-perl  # STARTTLS for swaks
  openssl                      # self-signed certificate for STARTTLS
  python3-dkim                 # dkimpy: signs "external" inbound test mail
  iproute2 util-linux          # ip, unshare (private network + mount namespace)
)

created_policy=0
cleanup() {
  if [[ $created_policy -eq 1 ]]; then rm -f /usr/sbin/policy-rc.d; fi
}
trap cleanup EXIT
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  created_policy=1
fi

export DEBIAN_FRONTEND=noninteractive
# Postfix asks a debconf question; "No configuration" keeps /etc/postfix empty.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections

apt-get update -qq
apt-get install -y -qq --no-install-recommends "${PKGS[@]}" >/dev/null

# ---- Exim, unpacked only -------------------------------------------------
mkdir -p "$CACHE/debs" "$CACHE/exim"
(
  cd "$CACHE/debs"
  if ! ls exim4-daemon-light_*.deb exim4-base_*.deb exim4-config_*.deb >/dev/null 2>&1; then
    apt-get download exim4-daemon-light exim4-base exim4-config
  fi
)
# Runtime libraries of exim4-daemon-light that are not already installed
# (none of them conflicts with postfix).
deps=$(dpkg-deb -f "$CACHE"/debs/exim4-daemon-light_*.deb Depends \
  | tr ',' '\n' | sed -e 's/([^)]*)//g' -e 's/|.*//' -e 's/ //g' \
  | grep -v -E '^(exim4-base|debconf|debconf-2.0|)$' || true)
if [[ -n "$deps" ]]; then
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $deps >/dev/null
fi
stamp="$CACHE/exim/.unpacked-from"
want=$(cd "$CACHE/debs" && ls exim4-*.deb | sort | tr '\n' ' ')
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  rm -rf "$CACHE/exim"; mkdir -p "$CACHE/exim"
  for deb in "$CACHE"/debs/exim4-*.deb; do dpkg -x "$deb" "$CACHE/exim"; done
  echo "$want" > "$stamp"
fi
"$CACHE/exim/usr/sbin/exim4" -bV -C /dev/null 2>/dev/null | head -1 || true

echo "install.sh: done"
dpkg-query -W -f='${Package} ${Version}\n' postfix opendkim opendkim-tools opendmarc \
  postfix-policyd-spf-python dovecot-core dovecot-imapd dovecot-lmtpd unbound rsyslog swaks python3-dkim
