#!/usr/bin/env bash
# A throw-away Postfix instance for the postfix_queue integration tests: its own config
# directory, queue directory and data directory under DIR, no listener of its own (mail is
# injected with sendmail -C), and a transport map that sends mail to smtp-sink destinations on
# loopback that defer it, so that the queue fills with deferred messages whose delay reasons
# differ. The sinks are run by the caller (so that it owns and reaps them):
#
#   smtp-sink -u nobody -r RCPT -b "450 4.7.28 Our system has detected an unusual rate of unsolicited mail" 127.0.0.1:SINK_PORT_DEFER 64
#   smtp-sink -u nobody -Q DATA 127.0.0.1:SINK_PORT_DROP 64
#   (nothing listens on CLOSED_PORT: "Connection refused")
#
#   postfix-lab.sh start DIR SINK_PORT_DEFER SINK_PORT_DROP CLOSED_PORT
#   postfix-lab.sh stop DIR          (stops Postfix; DIR is left for inspection)
#
# Must run as root (postfix start). Needs Debian's postfix package (postfix, postqueue,
# postsuper, sendmail, smtp-sink); see setup.sh beside this file.
set -euo pipefail

cmd=${1:?usage: postfix-lab.sh start|stop DIR ...}
DIR=${2:?DIR missing}
ETC="$DIR/etc"

case "$cmd" in
start)
  DEFER_PORT=${3:?defer sink port}
  DROP_PORT=${4:?drop sink port}
  CLOSED_PORT=${5:?closed port}
  mkdir -p "$ETC" "$DIR/spool" "$DIR/lib" "$DIR/run" "$DIR/log"
  chown postfix:postfix "$DIR/lib"
  # The spool must not be reachable through a world-writable parent only (postfix check).
  chmod 755 "$DIR"
  cat > "$ETC/main.cf" <<CF
# mailsight postfix_queue test instance (postfix -c $ETC)
compatibility_level = 3.6
myhostname = mx.queue.test
mydomain = queue.test
myorigin = \$mydomain
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
queue_directory = $DIR/spool
data_directory = $DIR/lib
maillog_file = $DIR/log/maillog
maillog_file_prefixes = $DIR/log
alias_maps =
alias_database =
biff = no
smtputf8_enable = no
relayhost =
default_transport = error:no route in the test lab
transport_maps = texthash:$ETC/transport
smtp_dns_support_level = disabled
smtp_connect_timeout = 2s
# Keep deferred mail deferred for the duration of a test (no retries, no expiry).
queue_run_delay = 1h
minimal_backoff_time = 1h
maximal_backoff_time = 2h
maximal_queue_lifetime = 5d
bounce_queue_lifetime = 5d
delay_warning_time = 0
CF
  cat > "$ETC/master.cf" <<CF
# service type  private unpriv  chroot  wakeup  maxproc command + args
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
CF
  cat > "$ETC/transport" <<CF
defer.test     smtp:[127.0.0.1]:$DEFER_PORT
rate.test      smtp:[127.0.0.1]:$DEFER_PORT
drop.test      smtp:[127.0.0.1]:$DROP_PORT
refused.test   smtp:[127.0.0.1]:$CLOSED_PORT
CF
  # Postfix reports fatal errors on stderr only when it is a terminal (else to syslog): keep
  # the output of a failed start visible for the test that called us.
  postfix -c "$ETC" check 2>&1 | grep -v 'not owned by' || true
  if ! postfix -c "$ETC" start; then
    script -qec "postfix -c '$ETC' start" /dev/null >&2 || true
    exit 1
  fi
  ;;
stop)
  postfix -c "$ETC" stop 2>/dev/null || true
  ;;
*)
  echo "unknown command $cmd" >&2
  exit 2
  ;;
esac
