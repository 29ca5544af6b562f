#!/usr/bin/python3
"""IMAP logins against the lab's Dovecot (127.0.0.1:143), for auth log lines.

Each argument is USER:PASSWORD; a good login selects INBOX, reports the
message count and logs out, a bad one is reported and the script goes on.
"""
import imaplib
import sys


def main() -> int:
    for arg in sys.argv[1:]:
        user, password = arg.split(":", 1)
        conn = imaplib.IMAP4("127.0.0.1", 143, timeout=20)
        try:
            conn.login(user, password)
            typ, data = conn.select("INBOX", readonly=True)
            n = int(data[0]) if typ == "OK" else -1
            if n > 0:
                conn.fetch("1:*", "(FLAGS RFC822.SIZE)")
            print(f"imap {user}: login ok, INBOX has {n} messages")
            conn.close()
        except imaplib.IMAP4.error as e:
            print(f"imap {user}: login failed: {e}")
        finally:
            try:
                conn.logout()
            except Exception:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
