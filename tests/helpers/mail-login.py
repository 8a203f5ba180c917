#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A mail client that logs in once, as a user's program does.

    mail-login.py imap|pop3 ADDRESS PORT USER PASSWORD [NAME VERSION]

IMAP with NAME and VERSION sends an IMAP ID (RFC 2971) before LOGIN, as
Thunderbird and Apple Mail do, then logs in, selects INBOX and logs out.
POP3 logs in with USER/PASS and quits. Exit 0 when the login succeeded.
curl cannot send an IMAP ID; imaplib can, once ID is allowed in every state.
"""
import imaplib
import poplib
import sys


def imap(host, port, user, password, program):
    imaplib.Commands['ID'] = ('NONAUTH', 'AUTH', 'SELECTED')
    m = imaplib.IMAP4(host, port, timeout=10)
    if program:
        name, version = program
        m.xatom('ID', '("name" "%s" "version" "%s")' % (name, version))
    m.login(user, password)
    m.select('INBOX')
    m.logout()


def pop3(host, port, user, password):
    p = poplib.POP3(host, port, timeout=10)
    p.user(user)
    p.pass_(password)
    p.stat()
    p.quit()


def main(argv):
    if len(argv) not in (6, 8) or argv[1] not in ('imap', 'pop3'):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    proto, host, port, user, password = argv[1], argv[2], int(argv[3]), argv[4], argv[5]
    if proto == 'imap':
        imap(host, port, user, password, argv[6:8] if len(argv) == 8 else None)
    else:
        pop3(host, port, user, password)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
