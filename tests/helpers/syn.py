#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Send one TCP SYN from each SOURCE to DESTINATION:PORT, as a scanner or a
spoofer does: raw packets, so the sources need not be this host's and no
handshake follows. Only ever pointed at the lab's documentation addresses.

usage: syn.py DESTINATION PORT SOURCE...
"""
import ipaddress
import random
import socket
import struct
import sys


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def tcp_syn(src, dst, sport, dport, pseudo):
    header = struct.pack("!HHIIBBHHH", sport, dport, random.getrandbits(32), 0,
                         5 << 4, 0x02, 64240, 0, 0)
    csum = checksum(pseudo + header)
    return header[:16] + struct.pack("!H", csum) + header[18:]


def packet(src, dst, dport):
    sport = random.randint(32768, 60999)
    if src.version == 4:
        pseudo = src.packed + dst.packed + struct.pack("!BBH", 0, socket.IPPROTO_TCP, 20)
        tcp = tcp_syn(src, dst, sport, dport, pseudo)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, random.getrandbits(16), 0x4000, 64,
                         socket.IPPROTO_TCP, 0, src.packed, dst.packed)
        ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
        return ip + tcp
    pseudo = src.packed + dst.packed + struct.pack("!IxxxB", 20, socket.IPPROTO_TCP)
    tcp = tcp_syn(src, dst, sport, dport, pseudo)
    ip = struct.pack("!IHBB16s16s", 6 << 28, 20, socket.IPPROTO_TCP, 64,
                     src.packed, dst.packed)
    return ip + tcp


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__.strip().splitlines()[-1])
    dst = ipaddress.ip_address(sys.argv[1])
    dport = int(sys.argv[2])
    family = socket.AF_INET if dst.version == 4 else socket.AF_INET6
    # IPPROTO_RAW: the kernel takes our IP header as it is (IPv6 too, since 4.5)
    sock = socket.socket(family, socket.SOCK_RAW, socket.IPPROTO_RAW)
    for text in sys.argv[3:]:
        src = ipaddress.ip_address(text)
        sock.sendto(packet(src, dst, dport), (str(dst), 0))


if __name__ == "__main__":
    main()
