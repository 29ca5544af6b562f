# Sourced by the integration tests' setup.sh scripts: apt_install PKG... installs the Debian
# packages that are missing, non-interactively, without letting them start their services
# (a temporary policy-rc.d answering 101 "not allowed", unless one is already in place):
# every test starts its own instance on loopback. Root only.

apt_install() {
  if [[ $(id -u) -ne 0 ]]; then
    echo "${0##*/}: must run as root (apt-get)" >&2
    return 1
  fi
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  local created_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  local rc=0
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } || rc=$?
  if [[ $created_policy -eq 1 ]]; then rm -f /usr/sbin/policy-rc.d; fi
  return $rc
}
