#!/usr/bin/env bash
# Run the mail lab once and (re)write the fixtures in test/fixtures/.
#
#   sudo lab/install.sh          # once per machine
#   sudo lab/run-scenarios.sh    # every time; ~4-5 minutes
#
# Everything runs inside private Linux namespaces created by unshare(1):
#   net  - a loopback-only network of its own: ports 25/53/587/143/24/2525
#          never touch the host's, and nothing can leave the machine;
#   mount- /etc/resolv.conf, /etc/passwd, /etc/group and /dev are replaced for
#          the lab only (lab DNS on 127.0.0.1, an extra Debian-exim user for
#          the unpacked Exim, a private /dev/log for the lab's rsyslogd);
#   pid  - when the lab's init shell exits, the kernel kills whatever is left;
#   uts  - the lab host is called "mx" (this name appears in the logs).
# Inside, lib/ns-main.sh starts the daemons, runs the scenarios and stops
# every daemon it started (trap on EXIT/INT/TERM).
#
# Environment:
#   LAB_KEEP=1       keep the work directory (configs, queues, raw logs)
#   LAB_WORKDIR=DIR  work directory (default /var/lib/mailsight-lab, a fixed path so
#                    that the paths daemons log are the same on every machine; emptied
#                    first). It must
#                    not be below a group/world-writable directory such as
#                    /tmp: OpenDKIM refuses keys there ("key data is not secure")
#   LAB_EXPIRE_WAIT  seconds to wait for deferred mail to expire (default 170)
#   LAB_SKIP_EXIM=1  skip the Exim scenario
set -euo pipefail

LAB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$LAB_DIR/.." && pwd)"
FIXTURES="$REPO_DIR/test/fixtures"

if [[ $(id -u) -ne 0 ]]; then
  echo "run-scenarios.sh: must run as root" >&2; exit 1
fi
for bin in unshare ip /usr/sbin/postfix /usr/sbin/opendkim /usr/sbin/opendmarc \
           /usr/sbin/dovecot /usr/sbin/unbound /usr/sbin/rsyslogd /usr/bin/swaks \
           /usr/sbin/smtp-sink /usr/bin/policyd-spf /usr/sbin/opendkim-genkey; do
  command -v "$bin" >/dev/null || { echo "missing $bin: run lab/install.sh" >&2; exit 1; }
done
/usr/bin/python3 -c 'import dkim' 2>/dev/null || { echo "missing python3-dkim: run lab/install.sh" >&2; exit 1; }

W="${LAB_WORKDIR:-/var/lib/mailsight-lab}"
case "$W" in /*) ;; *) W="$PWD/$W" ;; esac
rm -rf "$W"; mkdir -p "$W"; chmod 755 "$W"

ns_pid=""
cleanup() {
  rc=$?
  trap '' INT TERM     # a second signal must not cut the cleanup short
  if [[ -n "$ns_pid" ]] && kill -0 "$ns_pid" 2>/dev/null; then
    # The lab's init shell (PID 1 in its namespace) stops the daemons in its
    # own trap; it gets SIGTERM directly, and again via --kill-child if
    # unshare dies. Wait (at most 120 s) until the whole namespace is gone:
    # when its PID 1 exits the kernel kills anything left in it.
    pkill -TERM -P "$ns_pid" 2>/dev/null || true
    for _ in $(seq 600); do kill -0 "$ns_pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$ns_pid" 2>/dev/null; then
      echo "run-scenarios.sh: lab did not stop in time; killing it" >&2
      pkill -KILL -P "$ns_pid" 2>/dev/null || true
      kill -KILL "$ns_pid" 2>/dev/null || true
      sleep 1
    fi
  fi
  if [[ "${LAB_KEEP:-0}" != 1 ]]; then
    rm -rf "$W"
  else
    echo "run-scenarios.sh: work directory kept: $W"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "run-scenarios.sh: work directory $W"
unshare --net --mount --pid --uts --fork --mount-proc --kill-child=SIGTERM \
  /bin/bash "$LAB_DIR/lib/ns-main.sh" "$LAB_DIR" "$W" &
ns_pid=$!
set +e
wait "$ns_pid"; ns_rc=$?
set -e
ns_pid=""
if [[ $ns_rc -ne 0 ]]; then
  echo "run-scenarios.sh: lab failed (exit $ns_rc); logs so far in $W/log" >&2
  LAB_KEEP=1
  exit $ns_rc
fi

# ---- fixtures -------------------------------------------------------------
mkdir -p "$FIXTURES"
install -m 644 "$W/log/mail.log"    "$FIXTURES/postfix-milters.log"
install -m 644 "$W/log/dovecot.log" "$FIXTURES/dovecot.log"
if [[ -s "$W/exim/log/mainlog" ]]; then
  install -m 644 "$W/exim/log/mainlog" "$FIXTURES/exim-mainlog.log"
  if [[ -s "$W/exim/log/rejectlog" ]]; then
    install -m 644 "$W/exim/log/rejectlog" "$FIXTURES/exim-rejectlog.log"
  fi
fi
install -m 644 "$W/versions.txt" "$FIXTURES/lab-versions.txt"
echo "run-scenarios.sh: fixtures written:"
wc -l "$FIXTURES"/*.log
