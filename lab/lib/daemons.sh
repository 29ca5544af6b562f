# shellcheck shell=bash
# Starting the lab's daemons. Sourced by ns-main.sh; every daemon started
# here is recorded in STARTED/PIDFILES so that on_exit can stop it.

started() { STARTED+=("$1"); PIDFILES[$1]="${2:-}"; }

wait_file() {  # file [seconds]
  for _ in $(seq $(( ${2:-10} * 10 ))); do [[ -s "$1" ]] && return 0; sleep 0.1; done
  log "$1 did not appear"; return 1
}

start_sink() {  # name address smtp-sink-options...
  local name=$1 addr=$2; shift 2
  smtp-sink -u nobody -h "mx.$name.test" "$@" "$addr:25" 64 \
    >>"$W/log/smtp-sink-$name.out" 2>&1 &
  echo $! > "$W/run/sink-$name.pid"
  started "sink-$name" "$W/run/sink-$name.pid"
}

start_all() {
  log "starting rsyslogd"
  rsyslogd -f "$W/etc/rsyslog.conf" -i "$W/run/rsyslogd.pid"
  started rsyslogd "$W/run/rsyslogd.pid"
  wait_file "$W/run/rsyslogd.pid"
  for _ in $(seq 50); do [[ -S /dev/log ]] && break; sleep 0.1; done

  log "starting unbound"
  unbound -c "$W/etc/unbound.conf"
  started unbound "$W/run/unbound.pid"
  wait_port 53

  log "starting opendkim, opendmarc"
  opendkim -x "$W/etc/opendkim/opendkim.conf"
  started opendkim "$W/run/opendkim/opendkim.pid"
  opendmarc -c "$W/etc/opendmarc/opendmarc.conf"
  started opendmarc "$W/run/opendmarc/opendmarc.pid"
  wait_port 8891; wait_port 8893

  log "starting smtp-sink destinations"
  mkdir -p "$W/sink"; chown nobody "$W/sink"
  start_sink ok    "$SINK_OK"    -d "$W/sink/%M."
  start_sink defer "$SINK_DEFER" -r RCPT -b "450 4.7.28 Our system has detected an unusual rate of unsolicited mail"
  start_sink hard  "$SINK_HARD"  -f RCPT -B "550 5.1.1 The email account that you tried to reach does not exist"
  start_sink drop  "$SINK_DROP"  -Q DATA
  start_sink slow  "$SINK_SLOW"  -w 3
  wait_port 25 "$SINK_OK"; wait_port 25 "$SINK_DEFER"; wait_port 25 "$SINK_HARD"
  wait_port 25 "$SINK_DROP"; wait_port 25 "$SINK_SLOW"

  log "starting postfix"
  postfix -c "$W/postfix/etc" check 2>&1 | grep -v 'not owned by' || true
  postfix -c "$W/postfix/etc" start
  started postfix "$W/postfix/spool/pid/master.pid"
  wait_port 25 127.0.0.1; wait_port 587

  log "starting dovecot"
  dovecot -c "$W/dovecot/dovecot.conf"
  started dovecot "$W/run/dovecot/master.pid"
  wait_port 143; wait_port 24
  for _ in $(seq 50); do [[ -S "$W/postfix/spool/private/auth" ]] && break; sleep 0.1; done

  if exim_enabled; then
    log "starting exim"
    # Exim does not fork into the background when its parent is PID 1 (it
    # assumes a SIGHUP re-exec), and this shell is PID 1 of the namespace:
    # start it from a subshell.
    ( "$EXIM" -C "$W/exim/exim.conf" -bd -q20s; true )
    started exim "$W/run/exim.pid"
    wait_port 2525
  fi
}

exim_enabled() { [[ "${LAB_SKIP_EXIM:-0}" != 1 && -x "$EXIM" ]]; }

write_versions() {
  echo "# software that produced the fixtures (lab run $(date -u +%Y-%m-%dT%H:%M:%SZ))"
  . /etc/os-release; echo "os: $PRETTY_NAME"
  dpkg-query -W -f='${Package} ${Version}\n' postfix opendkim opendkim-tools opendmarc \
    postfix-policyd-spf-python dovecot-core dovecot-imapd dovecot-lmtpd unbound rsyslog \
    swaks python3-dkim libspf2-2 2>/dev/null
  if [[ -x "$EXIM" ]]; then
    echo "exim4-daemon-light $(cd "$LAB/.cache/debs" && ls exim4-daemon-light_*.deb | sed 's/^exim4-daemon-light_\(.*\)_[^_]*\.deb$/\1/') (unpacked with dpkg -x, not installed)"
  fi
}
