# shellcheck shell=bash
# Exim scenario (unpacked exim4-daemon-light on 127.0.0.1:2525, same
# smtp-sink destinations as Postfix). Sourced by ns-main.sh. Steps "[Enn]".

EXC() { "$EXIM" -C "$W/exim/exim.conf" "$@"; }

exim_send_phase() {
  step E01 "Exim: accepted and delivered to ok.test (250)"
  sw 127.0.0.1 2525 client.lab.test --from alice@lab.test --to friend@ok.test --header "Subject: E01 ok"
  step E02 "Exim: one message, three recipients: ok.test, slow.test (3 s DATA delay), hard.test (550 at RCPT -> **)"
  sw 127.0.0.1 2525 client.lab.test --from alice@lab.test \
    --to a@ok.test,b@slow.test,c@hard.test --header "Subject: E02 mixed"
  step E03 "Exim: defer.test (450 at RCPT), retried until the retry rule times out"
  sw 127.0.0.1 2525 client.lab.test --from bob@lab.test --to someone@defer.test --header "Subject: E03 defer"
  step E04 "Exim: drop.test (421 at DATA) and refused.test (connection refused)"
  sw 127.0.0.1 2525 client.lab.test --from bob@lab.test --to x@drop.test,y@refused.test --header "Subject: E04 drop refused"
  step E05 "Exim: rejects at RCPT: blocked.test (ACL), unknown local user, relay from a foreign host"
  sw 127.0.0.1 2525 client.lab.test --from alice@lab.test --to someone@blocked.test --header "Subject: E05 blocked"
  sw 127.0.0.1 2525 client.lab.test --from alice@lab.test --to nobody@lab.test --header "Subject: E05 unknown"
  sw 127.0.0.99 2525 unknown.example.test --from spam@spoof.test --to victim@ok.test --header "Subject: E05 relay"
  step E06 "Exim: local user bob@lab.test, delivered to a sink over SMTP"
  sw 127.0.0.11 2525 mail.good.test --from news@good.test --to bob@lab.test --header "Subject: E06 inbound"
}

exim_final_phase() {
  step E07 "Exim: wait for the queue to empty (retry rule F,2m,20s, then bounce), exim -qff once"
  local t=0 n
  EXC -qff || true
  while (( t < 240 )); do
    n=$(EXC -bpc 2>/dev/null || echo 0)
    (( n == 0 )) && break
    sleep 5; t=$((t+5))
    (( t % 60 == 0 )) && { EXC -qff || true; }
  done
  log "exim queue: $(EXC -bpc 2>/dev/null) message(s) left after ${t}s"
  EXC -bp >> "$SWAKS_OUT" 2>&1 || true
}
