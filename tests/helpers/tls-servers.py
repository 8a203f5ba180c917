#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Mail servers that misbehave on purpose, for the handshake engine's test
(tests/netns/handshake.sh): each KIND listens on ADDRESS:PORT, all in one
process, one thread per connection.

  tls-servers.py CERT KEY KIND,ADDRESS,PORT...

  trickle   SMTP with STARTTLS, every byte of the plain dialogue sent alone,
            TRICKLE_MS apart; then TLS, and QUIT answered
  endless   SMTP that greets with "220-" lines forever
  silent    takes the connection and says nothing
  garbage   implicit TLS port that answers the ClientHello in plain text,
            SLOW_MS late
  slow      implicit TLS IMAP: the handshake only after SLOW_MS, and the
            greeting SLOW_MS after it (its session tickets come first);
            LOGOUT answered
  split     implicit TLS IMAP: the handshake at once, the greeting 2 x
            SLOW_MS later, its TLS record cut in two 100 ms apart (the
            client reads half a record: OpenSSL wants to read more);
            LOGOUT answered

Each line it prints says what a client did: "KIND ADDRESS quit|logout"
when the goodbye came, "KIND ADDRESS gone" when the client left without.
"""
import socket
import ssl
import sys
import threading
import time

TRICKLE_MS = 4
SLOW_MS = 300


def say(what):
    sys.stdout.write(what + "\n")
    sys.stdout.flush()


def trickle(conn, text):
    for b in text.encode():
        conn.sendall(bytes([b]))
        time.sleep(TRICKLE_MS / 1000)


def lines(f):
    for line in f:
        yield line.decode(errors="replace").rstrip("\r\n")


def smtp_tls(conn, ctx, where):
    f = conn.makefile("rb")
    trickle(conn, "220 trickle.example ESMTP\r\n")
    for line in lines(f):
        verb = line.split(" ")[0].upper()
        if verb == "EHLO":
            trickle(conn, "250-trickle.example\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
        elif verb == "STARTTLS":
            trickle(conn, "220 go ahead\r\n")
            break
        else:
            conn.sendall(b"500 what\r\n")
    else:
        return say("trickle %s gone" % where)
    tls = ctx.wrap_socket(conn, server_side=True)
    f = tls.makefile("rb")
    for line in lines(f):
        if line.upper() == "QUIT":
            tls.sendall(b"221 bye\r\n")
            return say("trickle %s quit" % where)
        tls.sendall(b"250 ok\r\n")
    say("trickle %s gone" % where)


def endless(conn, where):
    while True:
        conn.sendall(b"220-still greeting\r\n")
        time.sleep(0.05)


def garbage(conn, where):
    conn.recv(4096)
    time.sleep(SLOW_MS / 1000)
    conn.sendall(b"this is no TLS at all\r\n")
    time.sleep(0.5)


def slow(conn, ctx, where):
    time.sleep(SLOW_MS / 1000)
    tls = ctx.wrap_socket(conn, server_side=True)
    time.sleep(SLOW_MS / 1000)
    tls.sendall(b"* OK slow IMAP ready\r\n")
    for line in lines(tls.makefile("rb")):
        if line.upper().endswith(" LOGOUT"):
            tls.sendall(b"* BYE\r\n" + line.split(" ")[0].encode() + b" OK bye\r\n")
            return say("slow %s logout" % where)
    say("slow %s gone" % where)


class Split:
    """TLS over memory buffers, so that a record can be sent in pieces."""

    def __init__(self, conn, ctx):
        self.conn, self.inc, self.out = conn, ssl.MemoryBIO(), ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.inc, self.out, server_side=True)

    def flush(self):
        data = self.out.read()
        if data:
            self.conn.sendall(data)

    def more(self):
        self.flush()
        data = self.conn.recv(16384)
        if not data:
            raise OSError("the client left")
        self.inc.write(data)

    def handshake(self):
        while True:
            try:
                return self.obj.do_handshake()
            except ssl.SSLWantReadError:
                self.more()

    def readline(self):
        buf = b""
        while b"\n" not in buf:
            try:
                buf += self.obj.read(4096)
            except ssl.SSLWantReadError:
                self.more()
        return buf.decode(errors="replace").strip()


def split(conn, ctx, where):
    t = Split(conn, ctx)
    t.handshake()
    t.flush()
    time.sleep(2 * SLOW_MS / 1000)
    t.obj.write(b"* OK split IMAP ready\r\n")
    record = t.out.read()
    conn.sendall(record[:3])
    time.sleep(0.1)
    conn.sendall(record[3:])
    line = t.readline()
    if line.upper().endswith(" LOGOUT"):
        t.obj.write(b"* BYE\r\n" + line.split(" ")[0].encode() + b" OK bye\r\n")
        t.flush()
        return say("split %s logout" % where)
    say("split %s gone" % where)


def handle(kind, conn, ctx):
    where = conn.getsockname()[0]
    try:
        if kind == "trickle":
            smtp_tls(conn, ctx, where)
        elif kind == "endless":
            endless(conn, where)
        elif kind == "silent":
            conn.recv(1)
        elif kind == "garbage":
            garbage(conn, where)
        elif kind == "slow":
            slow(conn, ctx, where)
        elif kind == "split":
            split(conn, ctx, where)
    except (OSError, ssl.SSLError):
        say("%s %s gone" % (kind, where))
    finally:
        conn.close()


def listen(kind, address, port, ctx):
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((address, int(port)))
    s.listen(16)

    def loop():
        while True:
            conn, _ = s.accept()
            threading.Thread(target=handle, args=(kind, conn, ctx), daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()


def main():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[1], sys.argv[2])
    for spec in sys.argv[3:]:
        listen(*spec.split(","), ctx)
    say("listening")
    threading.Event().wait()


main()
