#!/usr/bin/env bash
# Installs what the postfix_queue receiver's integration tests need (Debian 12): Postfix
# (postfix, postqueue, postsuper, sendmail, smtp-sink) and bsdutils (`script`, to see the
# errors of a failed `postfix start`). Idempotent. Postfix is installed with "No
# configuration" and is not started: the tests run their own instance (postfix -c DIR) with
# its queue in a temporary directory, see postfix-lab.sh.
#
# Usage (as root): bash test/integration/postfix_queue/setup.sh
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../apt-install.sh"
# Postfix asks a debconf question; "No configuration" leaves /etc/postfix without main.cf.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt_install postfix bsdutils

command -v postfix postqueue postsuper sendmail smtp-sink script >/dev/null
getent passwd postfix >/dev/null && getent group postdrop >/dev/null
echo "postfix_queue/setup.sh: ok ($(postconf -d -h mail_version 2>/dev/null || echo postfix))"
