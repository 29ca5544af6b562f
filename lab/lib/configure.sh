# shellcheck shell=bash
# Writes every lab-local configuration file under $W. Sourced by ns-main.sh.
#
# Addresses (all on the lab's private loopback):
#   127.0.0.1      the lab host "mx.lab.test": Postfix 25/587, Dovecot 143/24,
#                  unbound 53, OpenDKIM 8891, OpenDMARC 8893, Exim 2525
#   127.0.1.1..5   smtp-sink destinations on port 25, one address each
#                  (mx.ok.test, mx.defer.test, mx.hard.test, mx.drop.test,
#                  mx.slow.test); 127.0.1.6 (mx.refused.test): nothing listens
#   127.0.0.11..17 "external" senders, one per test domain (see DNS below)
#   127.0.0.99     an unknown client without reverse DNS

EXIM="$LAB/.cache/exim/usr/sbin/exim4"

# smtp-sink destinations: one loopback address each, port 25, with DNS names.
# (Distinct addresses matter: MTAs cache and reuse connections per IP.)
SINK_OK=127.0.1.1 SINK_DEFER=127.0.1.2 SINK_HARD=127.0.1.3 SINK_DROP=127.0.1.4 SINK_SLOW=127.0.1.5

# domain -> (spf record | "" , dmarc record | "", client ip)
declare -A SPF=(
  [lab.test]="v=spf1 ip4:127.0.0.1 -all"
  [good.test]="v=spf1 ip4:127.0.0.11 -all"
  [softfail.test]="v=spf1 ip4:127.0.0.13 ~all"
  [quarantine.test]="v=spf1 ip4:127.0.0.14 ~all"
  [monitor.test]="v=spf1 ip4:127.0.0.15 ?all"
  [nodmarc.test]="v=spf1 ip4:127.0.0.16 -all"
  [spoof.test]="v=spf1 ip4:127.0.0.17 -all"
  [broken.test]="v=spf1 ip4:127.0.0.300 include:nowhere.test -all"
)
declare -A DMARC=(
  [lab.test]="v=DMARC1; p=reject; rua=mailto:dmarc-reports@lab.test"
  [good.test]="v=DMARC1; p=reject; adkim=r; aspf=r"
  [softfail.test]="v=DMARC1; p=reject"
  [quarantine.test]="v=DMARC1; p=quarantine"
  [monitor.test]="v=DMARC1; p=none"
  [spoof.test]="v=DMARC1; p=reject"
)
declare -A HOSTS=(   # ptr name -> ip (forward-confirmed)
  [mail.good.test]=127.0.0.11
  [mail.softfail.test]=127.0.0.13
  [mail.quarantine.test]=127.0.0.14
  [mail.monitor.test]=127.0.0.15
  [mail.nodmarc.test]=127.0.0.16
  [mail.spoof.test]=127.0.0.17
  [mail.nospf.test]=127.0.0.18
  [mx.lab.test]=127.0.0.1
  [mx.ok.test]=127.0.1.1
  [mx.defer.test]=127.0.1.2
  [mx.hard.test]=127.0.1.3
  [mx.drop.test]=127.0.1.4
  [mx.slow.test]=127.0.1.5
  [mx.refused.test]=127.0.1.6
)

# "quoted" "chunks" of at most 250 characters, for a TXT record
txt_chunks() {
  local s="$1" out=""
  while [[ -n "$s" ]]; do out+="\"${s:0:250}\" "; s="${s:250}"; done
  printf '%s' "${out% }"
}
# the p=... value of an opendkim-genkey .txt file, as one string
dkim_txt_value() { grep -o '"[^"]*"' "$1" | tr -d '"\n'; }

configure_keys() {
  local d="$W/keys"
  mkdir -p "$d/lab.test" "$d/good.test"
  opendkim-genkey -b 2048 -h sha256 -d lab.test  -s lab -D "$d/lab.test"
  opendkim-genkey -b 1024 -h sha256 -d good.test -s s1  -D "$d/good.test"
  chown -R opendkim:opendkim "$d/lab.test"; chmod 700 "$d/lab.test"; chmod 600 "$d/lab.test/lab.private"
  # TLS certificate for STARTTLS on submission and port 25
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=mx.lab.test" \
    -keyout "$d/mx.key" -out "$d/mx.crt" 2>/dev/null
  chmod 600 "$d/mx.key"
}

configure_dns() {
  local c="$W/etc/unbound.conf" dom name
  mkdir -p "$W/run"
  {
    cat <<EOF
server:
  interface: 127.0.0.1
  port: 53
  do-ip6: no
  do-udp: yes
  do-tcp: yes
  chroot: ""
  username: ""
  directory: "$W/etc"
  pidfile: "$W/run/unbound.pid"
  use-syslog: no
  logfile: "$W/log/unbound.log"
  verbosity: 1
  log-queries: yes
  access-control: 127.0.0.0/8 allow
  module-config: "iterator"
  do-not-query-localhost: yes
  # answer everything locally: the lab has no route to the Internet
  local-zone: "." static
  local-zone: "test." static
  local-zone: "127.in-addr.arpa." static
  local-data-ptr: "127.0.0.1 mx.lab.test"
  local-data: "lab.test. 300 IN MX 10 mx.lab.test."
EOF
    for name in "${!HOSTS[@]}"; do
      echo "  local-data: \"$name. 300 IN A ${HOSTS[$name]}\""
      [[ "$name" == mx.lab.test ]] || echo "  local-data-ptr: \"${HOSTS[$name]} $name\""
    done
    for dom in "${!SPF[@]}"; do
      echo "  local-data: '$dom. 300 IN TXT $(txt_chunks "${SPF[$dom]}")'"
    done
    for dom in "${!DMARC[@]}"; do
      echo "  local-data: '_dmarc.$dom. 300 IN TXT $(txt_chunks "${DMARC[$dom]}")'"
    done
    echo "  local-data: 'lab._domainkey.lab.test. 300 IN TXT $(txt_chunks "$(dkim_txt_value "$W/keys/lab.test/lab.txt")")'"
    echo "  local-data: 's1._domainkey.good.test. 300 IN TXT $(txt_chunks "$(dkim_txt_value "$W/keys/good.test/s1.txt")")'"
    # nospf.test exists (A/MX) but publishes no TXT at all; the selector
    # "gone" of good.test has no key record.
    echo '  local-data: "nospf.test. 300 IN MX 10 mail.nospf.test."'
    echo '  local-data: "nowhere.test. 300 IN MX 10 mail.nospf.test."'
    cat <<EOF
remote-control:
  control-enable: no
EOF
  } > "$c"
  unbound-checkconf "$c" >/dev/null
}

configure_rsyslog() {
  mkdir -p "$W/lib/rsyslog"
  cat > "$W/etc/rsyslog.conf" <<EOF
# mail lab: one /var/log/mail.log-like file, as an operator sees it
global(workDirectory="$W/lib/rsyslog")
module(load="imuxsock" SysSock.Name="/dev/log" SysSock.RateLimit.Interval="0")
module(load="builtin:omfile" Template="RSYSLOG_TraditionalFileFormat")
\$RepeatedMsgReduction off
mail.*                          action(type="omfile" file="$W/log/mail.log")
if \$programname == 'dovecot' then action(type="omfile" file="$W/log/dovecot.log")
*.*;mail.none                   action(type="omfile" file="$W/log/other.log")
EOF
}

configure_opendkim() {
  local d="$W/etc/opendkim"
  mkdir -p "$d" "$W/run/opendkim"
  chown opendkim:opendkim "$W/run/opendkim"
  echo "lab._domainkey.lab.test lab.test:lab:$W/keys/lab.test/lab.private" > "$d/KeyTable"
  echo "*@lab.test lab._domainkey.lab.test" > "$d/SigningTable"
  printf '127.0.0.1\n' > "$d/TrustedHosts"
  cat > "$d/libunbound.conf" <<EOF2
server:
  do-not-query-localhost: no
  module-config: "iterator"
  # unbound answers the special-use "test." zone itself unless told not to
  local-zone: "test." nodefault
forward-zone:
  name: "."
  forward-addr: 127.0.0.1
EOF2
  cat > "$d/opendkim.conf" <<EOF
Syslog                  yes
SyslogFacility          mail
SyslogSuccess           yes
LogWhy                  yes
UMask                   007
UserID                  opendkim:opendkim
PidFile                 $W/run/opendkim/opendkim.pid
Socket                  inet:8891@127.0.0.1
Mode                    sv
Canonicalization        relaxed/simple
OversignHeaders         From
AuthservID              mx.lab.test
KeyTable                file:$d/KeyTable
SigningTable            refile:$d/SigningTable
InternalHosts           $d/TrustedHosts
ExternalIgnoreList      $d/TrustedHosts
# libunbound: forward everything to the lab's unbound on 127.0.0.1
ResolverConfiguration   $d/libunbound.conf
# verification outcomes
On-BadSignature         reject
On-KeyNotFound          accept
On-DNSError             tempfail
On-NoSignature          accept
EOF
}

configure_opendmarc() {
  local d="$W/etc/opendmarc"
  mkdir -p "$d" "$W/run/opendmarc" "$W/lib/opendmarc"
  chown opendmarc:opendmarc "$W/run/opendmarc" "$W/lib/opendmarc"
  printf '127.0.0.1\n' > "$d/ignore.hosts"
  cat > "$d/opendmarc.conf" <<EOF
Syslog                      true
SyslogFacility              mail
UserID                      opendmarc:opendmarc
PidFile                     $W/run/opendmarc/opendmarc.pid
Socket                      inet:8893@127.0.0.1
UMask                       0002
AuthservID                  mx.lab.test
TrustedAuthservIDs          mx.lab.test
IgnoreHosts                 $d/ignore.hosts
IgnoreAuthenticatedClients  true
RejectFailures              true
HoldQuarantinedMessages     true
SPFSelfValidate             true
SPFIgnoreResults            false
RequiredHeaders             false
FailureReports              false
HistoryFile                 $W/lib/opendmarc/opendmarc.dat
EOF
}

configure_policyd_spf() {
  cat > "$W/etc/policyd-spf.conf" <<EOF
#  policyd-spf for the mail lab (see policyd-spf.conf(5))
debugLevel = 1
TestOnly = 1
HELO_reject = Fail
Mail_From_reject = Fail
PermError_reject = False
TempError_Defer = False
# the lab's "external" senders are on 127.0.0.0/8: skip only the lab host
skip_addresses = 127.0.0.1/32
Hide_Receiver = No
EOF
}

configure_dovecot() {
  local d="$W/dovecot"
  mkdir -p "$d" "$W/run/dovecot" "$W/lib/dovecot" "$W/mail"
  chown mail:mail "$W/mail"
  cat > "$d/users" <<EOF
alice@lab.test:{PLAIN}alice-secret-1::::::
bob@lab.test:{PLAIN}bob-secret-2::::::
postmaster@lab.test:{PLAIN}pm-secret-3::::::
EOF
  chown root:dovecot "$d/users"; chmod 640 "$d/users"
  cat > "$d/dovecot.conf" <<EOF
# mail lab Dovecot: IMAP on 143, LMTP on 24, SASL for Postfix submission
base_dir = $W/run/dovecot
state_dir = $W/lib/dovecot
instance_name = dovecot
protocols = imap lmtp
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
log_path = syslog
syslog_facility = mail
auth_verbose = yes
auth_mechanisms = plain login
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 8
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%Lu $d/users
}
userdb {
  driver = passwd-file
  args = username_format=%Lu $d/users
  default_fields = uid=mail gid=mail home=$W/mail/%d/%n
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = 143
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = 24
  }
}
service auth {
  unix_listener $W/postfix/spool/private/auth {
    mode = 0660
    user = postfix
    group = postfix
  }
}
protocol lmtp {
  postmaster_address = postmaster@lab.test
}
EOF
}

configure_postfix() {
  local e="$W/postfix/etc"
  mkdir -p "$e" "$W/postfix/spool" "$W/postfix/lib"
  chown postfix:postfix "$W/postfix/lib"
  cat > "$e/main.cf" <<EOF
# mail lab Postfix instance (postfix -c $e)
compatibility_level = 3.6
myhostname = mx.lab.test
mydomain = lab.test
myorigin = \$mydomain
mydestination = localhost
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
queue_directory = $W/postfix/spool
data_directory = $W/postfix/lib
alias_maps =
alias_database =
biff = no
append_dot_mydomain = no
smtpd_banner = \$myhostname ESMTP
smtputf8_enable = no

virtual_mailbox_domains = lab.test
virtual_mailbox_maps = hash:$e/vmailbox
virtual_transport = lmtp:inet:127.0.0.1:24
transport_maps = hash:$e/transport

smtpd_helo_required = yes
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions =
    check_recipient_access hash:$e/recipient_access,
    permit_mynetworks,
    permit_sasl_authenticated,
    check_policy_service unix:private/policyd-spf
policyd-spf_time_limit = 3600

smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
smtpd_sasl_auth_enable = no

smtpd_tls_cert_file = $W/keys/mx.crt
smtpd_tls_key_file = $W/keys/mx.key
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
smtp_tls_security_level = none

smtpd_milters = inet:127.0.0.1:8891, inet:127.0.0.1:8893
non_smtpd_milters = inet:127.0.0.1:8891
milter_default_action = accept

maximal_queue_lifetime = 2m
bounce_queue_lifetime = 2m
queue_run_delay = 20s
minimal_backoff_time = 15s
maximal_backoff_time = 30s
smtp_connect_timeout = 5s
delay_warning_time = 0
EOF
  cat > "$e/master.cf" <<EOF
# service type  private unpriv  chroot  wakeup  maxproc command + args
smtp      inet  n       -       n       -       -       smtpd
submission inet n       -       n       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
  -o smtpd_recipient_restrictions=
  -o milter_macro_daemon_name=ORIGINATING
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
policyd-spf unix -      n       n       -       0       spawn
  user=nobody argv=/usr/bin/policyd-spf $W/etc/policyd-spf.conf
EOF
  cat > "$e/vmailbox" <<EOF
alice@lab.test      lab.test/alice/
bob@lab.test        lab.test/bob/
postmaster@lab.test lab.test/postmaster/
# known to Postfix but not to Dovecot: LMTP answers 550 at RCPT
carol@lab.test      lab.test/carol/
EOF
  cat > "$e/transport" <<EOF
lab.test        lmtp:inet:127.0.0.1:24
ok.test         smtp:[mx.ok.test]
gmail.test      smtp:[mx.ok.test]
defer.test      smtp:[mx.defer.test]
hard.test       smtp:[mx.hard.test]
drop.test       smtp:[mx.drop.test]
slow.test       smtp:[mx.slow.test]
refused.test    smtp:[mx.refused.test]
# bounce notices to the external test senders
good.test       smtp:[mx.ok.test]
softfail.test   smtp:[mx.ok.test]
quarantine.test smtp:[mx.ok.test]
monitor.test    smtp:[mx.ok.test]
nodmarc.test    smtp:[mx.ok.test]
nospf.test      smtp:[mx.ok.test]
EOF
  cat > "$e/recipient_access" <<EOF
blocked.test    REJECT 5.7.1 Recipient domain is on the lab block list
EOF
  postmap -c "$e" "$e/vmailbox" "$e/transport" "$e/recipient_access"
}

configure_exim() {
  [[ -x "$EXIM" ]] || return 0
  local d="$W/exim"
  mkdir -p "$d/spool" "$d/log"
  chown -R Debian-exim:Debian-exim "$d/spool" "$d/log"
  cat > "$d/exim.conf" <<EOF
# mail lab Exim (unpacked exim4-daemon-light, run with -C)
exim_path = $EXIM
exim_user = Debian-exim
exim_group = Debian-exim
primary_hostname = mx.lab.test
qualify_domain = lab.test
spool_directory = $d/spool
log_file_path = $d/log/%slog
pid_file_path = $W/run/exim.pid
daemon_smtp_ports = 2525
local_interfaces = 127.0.0.1
never_users = root
keep_environment =
tls_advertise_hosts =
host_lookup = *
rfc1413_hosts =
log_selector = +smtp_connection +queue_time +deliver_time +subject +received_recipients +delivery_size +sender_on_delivery
timeout_frozen_after = 5m
ignore_bounce_errors_after = 0s
smtp_banner = \$smtp_active_hostname ESMTP Exim \$version_number \$tod_full

domainlist local_domains = lab.test
domainlist relay_to_domains = ok.test : defer.test : hard.test : drop.test : refused.test : slow.test : blocked.test
hostlist relay_from_hosts = 127.0.0.0/8

acl_smtp_rcpt = acl_check_rcpt
acl_smtp_data = acl_check_data

begin acl
acl_check_rcpt:
  deny    domains       = blocked.test
          message       = Recipient domain is on the lab block list
  deny    local_parts   = ^.*[@%!/|]
          message       = Restricted characters in address
  accept  domains       = +local_domains
          local_parts   = alice : bob : postmaster
  deny    domains       = +local_domains
          message       = Unknown user
  accept  hosts         = +relay_from_hosts
          domains       = +relay_to_domains
  deny    message       = Relay not permitted
acl_check_data:
  accept

begin routers
sinks:
  driver = manualroute
  domains = ! +local_domains
  transport = remote_smtp
  route_data = \${lookup{\$domain}lsearch{$d/routes}{\$value}{mx.ok.test}}
  self = send
local_users:
  driver = accept
  domains = +local_domains
  transport = to_sink_lmtp

begin transports
remote_smtp:
  driver = smtp
  hosts_avoid_tls = *
  allow_localhost
to_sink_lmtp:
  driver = smtp
  hosts = mx.ok.test
  hosts_override
  allow_localhost
  hosts_avoid_tls = *

begin retry
*   *   F,2m,20s

begin rewrite
EOF
  cat > "$d/routes" <<EOF
ok.test:       mx.ok.test
slow.test:     mx.slow.test
defer.test:    mx.defer.test
hard.test:     mx.hard.test
drop.test:     mx.drop.test
refused.test:  mx.refused.test
EOF
  chmod 644 "$d/exim.conf" "$d/routes"
}

configure_all() {
  configure_keys
  configure_dns
  configure_rsyslog
  configure_opendkim
  configure_opendmarc
  configure_policyd_spf
  configure_postfix
  configure_dovecot
  configure_exim
}
