#!/usr/bin/python3
"""Write an RFC 5322 test message, optionally DKIM-signed with dkimpy.

Used by the mail lab to play an "external" sender whose domain signs its
mail (good.test). --tamper changes the body after signing, so that a
verifier finds a body-hash mismatch.

    make_message.py --from a@good.test --to b@lab.test --subject S \
        [--sign-domain good.test --selector s1 --key s1.private] [--tamper] OUT
"""
import argparse
import email.utils
import time

import dkim


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--from", dest="sender", required=True)
    ap.add_argument("--to", required=True)
    ap.add_argument("--subject", required=True)
    ap.add_argument("--sign-domain")
    ap.add_argument("--selector")
    ap.add_argument("--key")
    ap.add_argument("--tamper", action="store_true")
    ap.add_argument("out")
    a = ap.parse_args()

    domain = a.sender.rsplit("@", 1)[1]
    headers = [
        ("From", a.sender),
        ("To", a.to),
        ("Subject", a.subject),
        ("Date", email.utils.formatdate(time.time(), localtime=False)),
        ("Message-ID", email.utils.make_msgid(domain=domain)),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=us-ascii"),
    ]
    body = (
        "Hello,\r\n\r\nThis is a mailsight lab message: %s.\r\n\r\n-- \r\nlab\r\n" % a.subject
    )
    msg = "".join("%s: %s\r\n" % h for h in headers) + "\r\n" + body
    raw = msg.encode("ascii")
    if a.sign_domain:
        with open(a.key, "rb") as f:
            key = f.read()
        sig = dkim.sign(
            raw,
            a.selector.encode(),
            a.sign_domain.encode(),
            key,
            include_headers=[b"From", b"To", b"Subject", b"Date", b"Message-ID"],
            canonicalize=(b"relaxed", b"simple"),
        )
        raw = sig + raw
    if a.tamper:
        raw = raw.replace(b"This is a mailsight lab message", b"This is a TAMPERED lab message")
    with open(a.out, "wb") as f:
        f.write(raw)


if __name__ == "__main__":
    main()
