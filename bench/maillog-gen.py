#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A busy mail host's day of log, as rsyslog writes /var/log/mail.log.

    maillog-gen.py LINES > mail.log

The same every time (a fixed seed). Of the lines: 10% Dovecot logins
(imap, pop3; a third to NEW's tunnel address, the rest to its own), 2%
IMAP IDs before login, 2% Postfix submissions with sasl_username=, and
86% what else a busy MX logs (smtpd connect, disconnect, client=,
rejections, cleanup, qmgr, lmtp deliveries, Dovecot disconnects), from
2000 users and the addresses 203.0.113.1-254.
"""
import random
import sys
random.seed(1)
n = int(sys.argv[1])
out = sys.stdout
hosts = ['mx-%d.example.net' % i for i in range(50)]
users = ['user%d@example.org' % i for i in range(2000)]
def ip(): return '203.0.113.%d' % random.randint(1, 254)
def sess(): return ''.join(random.choice('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') for _ in range(16))
for i in range(n):
    t = 'Dec  3 %02d:%02d:%02d new' % (i * 24 // n, (i // 60) % 60, i % 60)
    r = random.random()
    q = '%010X' % random.getrandbits(40)
    pid = random.randint(1000, 99999)
    if r < 0.10:
        s = sess(); a = ip()
        svc = random.choice(['imap', 'imap', 'pop3'])
        lip = random.choice(['169.254.77.2', '192.0.2.2', '192.0.2.2'])
        out.write('%s dovecot: %s-login: Login: user=<%s>, method=PLAIN, rip=%s, lip=%s, mpid=%d, TLS, session=<%s>\n' % (t, svc, random.choice(users), a, lip, pid, s))
    elif r < 0.12:
        out.write('%s dovecot: imap-login: ID sent: name=Thunderbird, version=128.0: user=<>, rip=%s, lip=192.0.2.2, TLS, session=<%s>\n' % (t, ip(), sess()))
    elif r < 0.14:
        out.write('%s postfix/submission/smtpd[%d]: %s: client=unknown[%s], sasl_method=PLAIN, sasl_username=%s\n' % (t, pid, q, ip(), random.choice(users)))
    elif r < 0.30:
        out.write('%s postfix/smtpd[%d]: connect from %s[%s]\n' % (t, pid, random.choice(hosts), ip()))
    elif r < 0.45:
        out.write('%s postfix/smtpd[%d]: disconnect from %s[%s] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5\n' % (t, pid, random.choice(hosts), ip()))
    elif r < 0.55:
        out.write('%s postfix/smtpd[%d]: %s: client=%s[%s]\n' % (t, pid, q, random.choice(hosts), ip()))
    elif r < 0.65:
        out.write('%s postfix/cleanup[%d]: %s: message-id=<%s@example.net>\n' % (t, pid, q, sess()))
    elif r < 0.75:
        out.write('%s postfix/qmgr[%d]: %s: from=<bounce@example.net>, size=%d, nrcpt=1 (queue active)\n' % (t, pid, q, random.randint(1000, 90000)))
    elif r < 0.85:
        out.write('%s postfix/lmtp[%d]: %s: to=<%s>, relay=new.example.org[private/dovecot-lmtp], delay=0.1, delays=0.05/0/0.02/0.03, dsn=2.0.0, status=sent (250 2.0.0 <%s> Saved)\n' % (t, pid, q, random.choice(users), random.choice(users)))
    elif r < 0.92:
        out.write('%s dovecot: imap(%s)<%d><%s>: Disconnected: Logged out in=120 out=4321 deleted=0 expunged=0 trashed=0 hdr_count=0 hdr_bytes=0 body_count=0 body_bytes=0\n' % (t, random.choice(users), pid, sess()))
    else:
        out.write('%s postfix/smtpd[%d]: NOQUEUE: reject: RCPT from unknown[%s]: 554 5.7.1 Service unavailable; Client host [%s] blocked using zen.spamhaus.org; from=<x@example.net> to=<%s> proto=ESMTP helo=<x>\n' % (t, pid, ip(), ip(), random.choice(users)))
