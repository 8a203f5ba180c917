#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Send one forged VXLAN packet, as an attacker on the internet (blind, or on
the path: then it knows the tunnel's id) would: raw packets, so the outer
source may be another host's. Only ever pointed at the lab's documentation
addresses.

usage: vxlan.py FROM TO VNI [--dst-mac MAC] KIND ARGS...
  FROM TO       the outer (underlay) source and destination addresses
  VNI           the VXLAN network identifier
  --dst-mac     the inner frame's destination (default: broadcast)
  udp SRC DST PORT TEXT   an inner UDP datagram
  syn SRC DST PORT        an inner TCP SYN
  arp IP MAC              an inner gratuitous ARP request: IP is at MAC
  ns SRC TARGET MAC       an inner neighbour solicitation from SRC (at MAC)
  refused                 no VXLAN packet: FROM's host refusing one of TO's to it
                          (ICMP port unreachable quoting TO -> FROM:4789 with VNI)
"""
import ipaddress
import random
import socket
import struct
import sys

from syn import checksum  # the Internet checksum, beside this file

VXLAN_PORT = 4789


def mac(text):
    return bytes(int(x, 16) for x in text.split(":"))


def ip_packet(src, dst, proto, payload, hop_limit=64):
    """An IPv4 or IPv6 header before @payload, whose checksum needs the pseudo header."""
    if src.version == 4:
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), random.getrandbits(16),
                          0x4000, hop_limit, proto, 0, src.packed, dst.packed)
        return hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:] + payload
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), proto, hop_limit, src.packed,
                       dst.packed) + payload


def pseudo(src, dst, proto, length):
    if src.version == 4:
        return src.packed + dst.packed + struct.pack("!BBH", 0, proto, length)
    return src.packed + dst.packed + struct.pack("!IxxxB", length, proto)


def with_checksum(src, dst, proto, segment, at):
    csum = checksum(pseudo(src, dst, proto, len(segment)) + segment)
    return segment[:at] + struct.pack("!H", csum) + segment[at + 2:]


def udp(src, dst, sport, dport, data):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    return with_checksum(src, dst, socket.IPPROTO_UDP, seg, 6)


def syn(src, dst, dport):
    seg = struct.pack("!HHIIBBHHH", random.randint(32768, 60999), dport, random.getrandbits(32),
                      0, 5 << 4, 0x02, 64240, 0, 0)
    return with_checksum(src, dst, socket.IPPROTO_TCP, seg, 16)


def inner_ip(args, kind):
    src, dst = ipaddress.ip_address(args[0]), ipaddress.ip_address(args[1])
    port = int(args[2])
    if kind == "udp":
        body, proto = udp(src, dst, random.randint(32768, 60999), port, args[3].encode()), 17
    else:
        body, proto = syn(src, dst, port), 6
    return ip_packet(src, dst, proto, body), 0x0800 if src.version == 4 else 0x86DD


def inner_arp(args):
    ip, hw = ipaddress.ip_address(args[0]), mac(args[1])
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, hw, ip.packed,
                       b"\0" * 6, ip.packed), 0x0806


def inner_ns(args):
    src, target, hw = ipaddress.ip_address(args[0]), ipaddress.ip_address(args[1]), mac(args[2])
    solicited = ipaddress.ip_address("ff02::1:ff00:0").packed[:13] + target.packed[13:]
    dst = ipaddress.ip_address(solicited)
    icmp = struct.pack("!BBHI16sBB6s", 135, 0, 0, 0, target.packed, 1, 1, hw)
    icmp = with_checksum(src, dst, 58, icmp, 2)
    return ip_packet(src, dst, 58, icmp, hop_limit=255), 0x86DD


def refusal(outer_src, outer_dst, vni):
    """ICMP(v6) port unreachable from @outer_src to @outer_dst, quoting a VXLAN packet
    @outer_dst sent it (of @vni, from a port the forger cannot know)."""
    vxlan = struct.pack("!II", 0x08000000, vni << 8) + b"\0" * 60
    quoted = ip_packet(outer_dst, outer_src, 17,
                       udp(outer_dst, outer_src, random.randint(32768, 60999), VXLAN_PORT, vxlan))
    if outer_src.version == 4:
        icmp = struct.pack("!BBHI", 3, 3, 0, 0) + quoted
        icmp = icmp[:2] + struct.pack("!H", checksum(icmp)) + icmp[4:]
        return ip_packet(outer_src, outer_dst, 1, icmp)
    icmp = with_checksum(outer_src, outer_dst, 58, struct.pack("!BBHI", 1, 4, 0, 0) + quoted, 2)
    return ip_packet(outer_src, outer_dst, 58, icmp)


def frame(dst_mac, ethertype, payload):
    return dst_mac + bytes([2, 0x66, 0x6f, 0x72, 0x67, 0x65]) + struct.pack("!H", ethertype) + \
        payload


def main():
    argv = sys.argv[1:]
    dst_mac = b"\xff" * 6
    if "--dst-mac" in argv:
        i = argv.index("--dst-mac")
        dst_mac = mac(argv[i + 1])
        del argv[i:i + 2]
    if len(argv) < 4 or (len(argv) < 5 and argv[3] != "refused"):
        sys.exit(__doc__)
    outer_src, outer_dst = ipaddress.ip_address(argv[0]), ipaddress.ip_address(argv[1])
    vni, kind, args = int(argv[2]), argv[3], argv[4:]
    family = socket.AF_INET if outer_dst.version == 4 else socket.AF_INET6
    # IPPROTO_RAW: the kernel takes our IP header as it is (IPv6 too, since 4.5)
    sock = socket.socket(family, socket.SOCK_RAW, socket.IPPROTO_RAW)
    if kind == "refused":
        sock.sendto(refusal(outer_src, outer_dst, vni), (str(outer_dst), 0))
        return
    if kind in ("udp", "syn"):
        payload, ethertype = inner_ip(args, kind)
    elif kind == "arp":
        payload, ethertype = inner_arp(args)
    else:
        payload, ethertype = inner_ns(args)
    vxlan = struct.pack("!II", 0x08000000, vni << 8) + frame(dst_mac, ethertype, payload)
    packet = ip_packet(outer_src, outer_dst, 17,
                       udp(outer_src, outer_dst, random.randint(32768, 60999), VXLAN_PORT, vxlan))
    sock.sendto(packet, (str(outer_dst), 0))


if __name__ == "__main__":
    main()
