#!/usr/bin/env bash
# Runs as PID 1 of the lab's private namespaces (see ../run-scenarios.sh).
# Usage: ns-main.sh LAB_DIR WORK_DIR
set -euo pipefail
LAB="$1"; W="$2"
export LAB W
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
[[ -n "${LAB_DEBUG:-}" ]] && set -x
PY=/usr/bin/python3
export PY

log() { printf '%s ns-main: %s\n' "$(date +%T)" "$*" >&2; }

# ---- namespace plumbing -----------------------------------------------------
hostname mx
ip link set lo up
mkdir -p "$W"/{etc,run,log,lib}

# A private /dev: the lab's rsyslogd creates /dev/log here, not on the host.
mount -t tmpfs -o mode=755,size=1m labdev /dev
mknod -m 666 /dev/null c 1 3
mknod -m 666 /dev/zero c 1 5
mknod -m 666 /dev/full c 1 7
mknod -m 666 /dev/random c 1 8
mknod -m 666 /dev/urandom c 1 9
mknod -m 666 /dev/tty c 5 0
mkdir -m 1777 /dev/shm && mount -t tmpfs -o mode=1777,size=16m labshm /dev/shm
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr

# A private /etc: an overlay whose writes land in $W/etc-overlay, never in
# the host's /etc. In it: the lab resolver, hosts, a Debian-exim user for the
# unpacked Exim, and Exim's list of trusted configuration files.
mkdir -p "$W/etc-overlay/upper" "$W/etc-overlay/work"
mount -t overlay labetc \
  -o "lowerdir=/etc,upperdir=$W/etc-overlay/upper,workdir=$W/etc-overlay/work" /etc
rm -f /etc/resolv.conf
printf 'nameserver 127.0.0.1\noptions timeout:2 attempts:1\n' > /etc/resolv.conf
printf '127.0.0.1\tlocalhost\n127.0.0.1\tmx.lab.test mx\n' > /etc/hosts
if ! getent passwd Debian-exim >/dev/null; then
  echo 'Debian-exim:x:60025:60025:Exim (mail lab):/nonexistent:/usr/sbin/nologin' >> /etc/passwd
  echo 'Debian-exim:x:60025:' >> /etc/group
fi
# Exim keeps root privilege with -C only for files listed here (Debian's
# TRUSTED_CONFIG_LIST); otherwise every re-exec logs "lost privilege".
mkdir -p /etc/exim4
echo "$W/exim/exim.conf" > /etc/exim4/trusted_configs
chmod 644 /etc/exim4/trusted_configs

# ---- stop everything on any exit -------------------------------------------
STARTED=()   # names, in start order
declare -A PIDFILES=()
stop_pidfile() {  # name pidfile
  local pf="$2" pid
  [[ -f "$pf" ]] || return 0
  pid=$(head -1 "$pf" 2>/dev/null | tr -dc 0-9)
  [[ -n "$pid" ]] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  log "$1 did not stop on TERM; KILL"
  kill -KILL "$pid" 2>/dev/null || true
}
stop_all() {
  local i name
  for ((i=${#STARTED[@]}-1; i>=0; i--)); do
    name=${STARTED[$i]}
    case "$name" in
      postfix)  postfix -c "$W/postfix/etc" stop >/dev/null 2>&1 || true
                stop_pidfile postfix "$W/postfix/spool/pid/master.pid" ;;
      dovecot)  doveadm -c "$W/dovecot/dovecot.conf" stop 2>/dev/null \
                  || stop_pidfile dovecot "$W/run/dovecot/master.pid" ;;
      rsyslogd) sleep 1; stop_pidfile rsyslogd "$W/run/rsyslogd.pid" ;;
      *)        stop_pidfile "$name" "${PIDFILES[$name]}" ;;
    esac
  done
  STARTED=()
}
on_exit() {
  local rc=$?
  trap - EXIT
  log "stopping daemons (exit $rc)"
  stop_all
  # PID 1 of a pid namespace: anything still alive is killed when we exit.
  exit $rc
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wait_port() {  # port [address]
  local port=$1 addr=${2:-127.0.0.1}
  for _ in $(seq 100); do
    # look at the listening sockets instead of connecting: a probe
    # connection would show up in the daemons' logs
    if [[ -n "$(ss -Hltn "src $addr and sport = :$port" 2>/dev/null)" ]]; then return 0; fi
    sleep 0.1
  done
  log "$addr:$port did not open"; return 1
}

# shellcheck source=configure.sh
source "$LAB/lib/configure.sh"
# shellcheck source=daemons.sh
source "$LAB/lib/daemons.sh"

configure_all
start_all
if [[ -n "${LAB_PAUSE:-}" ]]; then  # debugging: nsenter -a -t <pid of sleep>
  log "pausing ${LAB_PAUSE}s"; sleep "$LAB_PAUSE"
fi

# shellcheck source=scenario-postfix.sh
source "$LAB/lib/scenario-postfix.sh"
# shellcheck source=scenario-exim.sh
source "$LAB/lib/scenario-exim.sh"

postfix_send_phase
if exim_enabled; then exim_send_phase; fi
postfix_queue_phase          # waits for retries and expiry (LAB_EXPIRE_WAIT)
if exim_enabled; then exim_final_phase; fi

write_versions > "$W/versions.txt"
log "done"
