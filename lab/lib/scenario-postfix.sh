# shellcheck shell=bash
# Postfix + OpenDKIM + OpenDMARC + policyd-spf + Dovecot scenario.
# Sourced by ns-main.sh. Each step is labelled "[Pnn]" in $W/log/scenario.out;
# the same numbers are used in lab/README.md.

PFC="$W/postfix/etc"
SWAKS_OUT="$W/log/scenario.out"

step() { printf '\n===== [%s] %s\n' "$1" "$2" >> "$SWAKS_OUT"; log "[$1] $2"; }

# sw IP PORT HELO [swaks options...]  -- never fails the lab: rejects are the point
sw() {
  local ip=$1 port=$2 helo=$3; shift 3
  swaks --server 127.0.0.1 --port "$port" --local-interface "$ip" --helo "$helo" \
    --timeout 30 "$@" >> "$SWAKS_OUT" 2>&1 || true
}

msg() {  # OUT make_message.py-options...
  local out=$1; shift
  "$PY" "$LAB/tools/make_message.py" "$@" "$out"
}

GOOD_KEY="$W/keys/good.test/s1.private"

postfix_send_phase() {
  local m="$W/messages"; mkdir -p "$m"
  : > "$SWAKS_OUT"

  step P01 "IMAP logins before any mail: alice ok, alice bad password, unknown user"
  "$PY" "$LAB/tools/imap_logins.py" alice@lab.test:alice-secret-1 alice@lab.test:wrong-password \
    mallory@lab.test:guess >> "$SWAKS_OUT" 2>&1 || true

  step P02 "good.test, DKIM-signed (s1), from its SPF address: SPF pass, DKIM pass, DMARC pass -> LMTP"
  msg "$m/p02.eml" --from news@good.test --to alice@lab.test --subject "P02 signed good" \
    --sign-domain good.test --selector s1 --key "$GOOD_KEY"
  sw 127.0.0.11 25 mail.good.test --from news@good.test --to alice@lab.test --data "$m/p02.eml"

  step P03 "good.test, signed then body tampered: DKIM bad signature -> OpenDKIM rejects (On-BadSignature reject)"
  msg "$m/p03.eml" --from news@good.test --to bob@lab.test --subject "P03 tampered" \
    --sign-domain good.test --selector s1 --key "$GOOD_KEY" --tamper
  sw 127.0.0.11 25 mail.good.test --from news@good.test --to bob@lab.test --data "$m/p03.eml"

  step P04 "good.test signed with selector 'gone' that has no TXT: key retrieval fails; SPF aligned -> DMARC pass"
  msg "$m/p04.eml" --from news@good.test --to alice@lab.test --subject "P04 missing selector" \
    --sign-domain good.test --selector gone --key "$GOOD_KEY"
  sw 127.0.0.11 25 mail.good.test --from news@good.test --to alice@lab.test --data "$m/p04.eml"

  step P05 "softfail.test from an unlisted host: SPF softfail, no DKIM, DMARC p=reject -> OpenDMARC rejects"
  sw 127.0.0.99 25 unknown.example.test --from billing@softfail.test --to alice@lab.test \
    --header "Subject: P05 dmarc reject" --header "From: Billing <billing@softfail.test>"

  step P06 "quarantine.test from an unlisted host: DMARC fail p=quarantine -> OpenDMARC holds (Postfix hold queue)"
  sw 127.0.0.99 25 unknown.example.test --from promo@quarantine.test --to bob@lab.test \
    --header "Subject: P06 dmarc quarantine"

  step P07 "monitor.test from an unlisted host: SPF neutral, DMARC fail p=none -> delivered"
  sw 127.0.0.99 25 unknown.example.test --from info@monitor.test --to alice@lab.test \
    --header "Subject: P07 dmarc none policy"

  step P08 "nodmarc.test from its SPF address: SPF pass, no DMARC record -> DMARC none, delivered"
  sw 127.0.0.16 25 mail.nodmarc.test --from hello@nodmarc.test --to bob@lab.test \
    --header "Subject: P08 no dmarc record"

  step P09 "nospf.test: no SPF and no DMARC record -> SPF none, delivered"
  sw 127.0.0.18 25 mail.nospf.test --from someone@nospf.test --to alice@lab.test \
    --header "Subject: P09 no spf"

  step P10 "spoof.test from an unlisted host: SPF fail (-all) -> policyd-spf rejects at RCPT"
  sw 127.0.0.99 25 unknown.example.test --from ceo@spoof.test --to alice@lab.test \
    --header "Subject: P10 spf fail"

  step P11 "broken.test: SPF record with a syntax error -> permerror, accepted (PermError_reject = False)"
  sw 127.0.0.99 25 unknown.example.test --from ops@broken.test --to bob@lab.test \
    --header "Subject: P11 spf permerror"

  step P12 "unknown recipient in lab.test -> NOQUEUE reject (virtual mailbox table)"
  sw 127.0.0.11 25 mail.good.test --from news@good.test --to nobody@lab.test \
    --header "Subject: P12 unknown user"

  step P13 "external client relaying to ok.test -> Relay access denied"
  sw 127.0.0.11 25 mail.good.test --from news@good.test --to friend@ok.test \
    --header "Subject: P13 relay attempt"

  step P14 "three lab.test recipients, one unknown to Dovecot (carol): 2 LMTP deliveries + 1 LMTP 550 bounce"
  sw 127.0.0.16 25 mail.nodmarc.test --from hello@nodmarc.test \
    --to alice@lab.test,bob@lab.test,carol@lab.test --header "Subject: P14 three recipients"

  step P15 "internal host 127.0.0.1 on port 25 to blocked.test -> check_recipient_access reject"
  sw 127.0.0.1 25 mx.lab.test --from alice@lab.test --to someone@blocked.test \
    --header "Subject: P15 blocked"

  step P16 "internal host 127.0.0.1 on port 25 (mynetworks): signed by OpenDKIM, relayed to ok.test"
  sw 127.0.0.1 25 mx.lab.test --from alice@lab.test --to partner@ok.test \
    --header "Subject: P16 internal relay" --header "From: Alice <alice@lab.test>"

  step P17 "submission 587 + STARTTLS + AUTH PLAIN ok (alice): DKIM-signed, to bob (LMTP) and ok.test"
  sw 127.0.0.1 587 client.lab.test -tls --auth PLAIN --auth-user alice@lab.test --auth-password alice-secret-1 \
    --from alice@lab.test --to bob@lab.test,friend@ok.test \
    --header "Subject: P17 submission ok" --header "From: Alice <alice@lab.test>"

  step P18 "submission AUTH LOGIN with a wrong password -> SASL LOGIN authentication failed"
  sw 127.0.0.1 587 client.lab.test -tls --auth LOGIN --auth-user alice@lab.test --auth-password not-her-password \
    --from alice@lab.test --to friend@ok.test --header "Subject: P18 bad password"

  step P19 "submission AUTH PLAIN with an unknown user -> SASL PLAIN authentication failed"
  sw 127.0.0.1 587 client.lab.test -tls --auth PLAIN --auth-user mallory@lab.test --auth-password guess \
    --from mallory@lab.test --to friend@ok.test --header "Subject: P19 unknown user auth"

  step P20 "submission without AUTH -> reject at RCPT (Client host rejected)"
  sw 127.0.0.1 587 client.lab.test -tls --from alice@lab.test --to friend@ok.test \
    --header "Subject: P20 no auth"

  step P21 "submission (bob) to hard.test -> 550 at RCPT, bounce; NDR delivered to bob via LMTP"
  sw 127.0.0.1 587 client.lab.test -tls --auth LOGIN --auth-user bob@lab.test --auth-password bob-secret-2 \
    --from bob@lab.test --to gone@hard.test --header "Subject: P21 hard bounce" --header "From: Bob <bob@lab.test>"

  step P22 "submission (alice) to defer.test, drop.test, refused.test, slow.test, gmail.test: deferrals until expiry"
  sw 127.0.0.1 587 client.lab.test -tls --auth PLAIN --auth-user alice@lab.test --auth-password alice-secret-1 \
    --from alice@lab.test --to someone@defer.test,someone@drop.test,someone@refused.test \
    --header "Subject: P22 deferrals" --header "From: Alice <alice@lab.test>"
  sw 127.0.0.1 587 client.lab.test -tls --auth PLAIN --auth-user alice@lab.test --auth-password alice-secret-1 \
    --from alice@lab.test --to later@slow.test,someone@gmail.test \
    --header "Subject: P22 slow and fast" --header "From: Alice <alice@lab.test>"

  step P23 "sendmail(1) pickup from a local user: non_smtpd_milters (OpenDKIM signs), LMTP to alice"
  printf 'From: postmaster@lab.test\nTo: alice@lab.test\nSubject: P23 local pickup\n\nlocal submission\n' \
    | sendmail -C "$PFC" -f postmaster@lab.test alice@lab.test || true
}

queue_count() { postqueue -c "$PFC" -j 2>/dev/null | wc -l; }

postfix_queue_phase() {
  sleep 8
  step P24 "release the message held by OpenDMARC (postsuper -H ALL), postqueue -f"
  postqueue -c "$PFC" -p >> "$SWAKS_OUT" 2>&1 || true
  postsuper -c "$PFC" -H ALL >> "$SWAKS_OUT" 2>&1 || true
  postqueue -c "$PFC" -f

  step P25 "IMAP logins after delivery: alice, bob ok; bob bad password; doveadm auth test"
  sleep 5
  "$PY" "$LAB/tools/imap_logins.py" alice@lab.test:alice-secret-1 bob@lab.test:bob-secret-2 \
    bob@lab.test:BOB-SECRET-2 >> "$SWAKS_OUT" 2>&1 || true
  doveadm -c "$W/dovecot/dovecot.conf" auth test postmaster@lab.test pm-secret-3 >> "$SWAKS_OUT" 2>&1 || true

  step P26 "hold the deferred queue and release it again (postsuper -h ALL deferred / -H ALL)"
  sleep 20
  postsuper -c "$PFC" -h ALL deferred >> "$SWAKS_OUT" 2>&1 || true
  sleep 3
  postsuper -c "$PFC" -H ALL >> "$SWAKS_OUT" 2>&1 || true

  step P27 "wait until every deferred message expired (maximal_queue_lifetime = 2m)"
  local limit=$(( ${LAB_EXPIRE_WAIT:-170} )) t=0 n
  while (( t < limit + 120 )); do
    n=$(queue_count)
    if (( n == 0 && t >= 30 )); then break; fi
    if (( t > 0 && t % 60 == 0 )); then postqueue -c "$PFC" -f; fi
    sleep 5; t=$((t+5))
  done
  log "postfix queue: $(queue_count) message(s) left after ${t}s"
  postqueue -c "$PFC" -p >> "$SWAKS_OUT" 2>&1 || true
  sleep 2
}
