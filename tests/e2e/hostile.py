#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Hostile and broken SIP for the sipalg e2e lab's fault tests.

Sends COUNT UDP datagrams from one socket to TARGET, cycling through a mix of
kinds, paced at RATE per second (0: as fast as the socket takes them), and
prints one line: sent=N errors=E kinds=KIND/COUNT,...

  random     random bytes, 1-1400 of them
  truncated  a well-formed INVITE with SDP cut at a random byte
  huge       a request with one header of 8-30 kB (IP-fragmented on the way)
  many       a request with 300-1000 Via headers (up to 55 kB)
  badlen     Content-Length absent, negative, huge, doubled or not a number
  sdp        an INVITE whose SDP has absurd values: ports above 65535, 300.x
             addresses, thousands of m= lines, port counts, IPv6, NULs
  binary     a SIP start line followed by NULs and bytes above 0x7f

Call-IDs come from a pool of CALLIDS values, so a burst does not stand for
more dialogs than that (the dialog table's limits are tested elsewhere).

Usage: hostile.py --to IP:PORT --src-ip IP [--count N] [--rate R]
                  [--bind-port P] [--seed S] [--callids K] [--lan-ip IP]
"""

import argparse
import random
import socket
import sys
import time

KINDS = ("random", "truncated", "huge", "many", "badlen", "sdp", "binary")


def request(rng, args, method="INVITE", extra="", body="", length=None):
    cid = "hostile-%d@%s" % (rng.randrange(args.callids), args.src)
    if length is None:
        length = str(len(body.encode()))
    head = (
        "%s sip:1002@%s SIP/2.0\r\n"
        "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%08x\r\n"
        "From: <sip:x@%s>;tag=%x\r\n"
        "To: <sip:1002@%s>\r\n"
        "Call-ID: %s\r\n"
        "CSeq: %d %s\r\n"
        "Contact: <sip:x@%s:%d>\r\n"
        "%s"
        "Content-Type: application/sdp\r\n"
        "Content-Length: %s\r\n\r\n"
        % (method, args.host, args.src, args.sport, rng.getrandbits(32), args.src,
           rng.getrandbits(32), args.host, cid, rng.randrange(1, 1 << 31), method,
           args.src, args.sport, extra, length))
    return (head + body).encode("latin-1", "replace")


def sdp(rng, args, absurd=False):
    if not absurd:
        return ("v=0\r\no=x 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
                "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
                % (args.src, args.src))
    lan = args.lan_ip
    choice = rng.randrange(8)
    if choice == 0:  # ports and addresses out of range
        return ("v=0\r\no=x 1 1 IN IP4 300.1.1.1\r\ns=-\r\nc=IN IP4 999.999.999.999\r\n"
                "t=0 0\r\nm=audio 99999999 RTP/AVP 0\r\na=rtcp:70000 IN IP4 1.2.3.4.5\r\n")
    if choice == 1:  # thousands of streams
        lines = "".join("m=audio %d RTP/AVP 0\r\nc=IN IP4 %s\r\n" % (1024 + i * 2, lan)
                        for i in range(rng.randrange(200, 1500)))
        return "v=0\r\no=x 1 1 IN IP4 %s\r\ns=-\r\nt=0 0\r\n%s" % (lan, lines)
    if choice == 2:  # port counts and multicast TTLs
        return ("v=0\r\no=x 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s/255/65535\r\nt=0 0\r\n"
                "m=audio 16000/65535 RTP/AVP 0\r\nm=video 65535/2 RTP/AVP 96\r\n" % (lan, lan))
    if choice == 3:  # negative and empty values
        return ("v=0\r\no=x -1 -1 IN IP4 \r\ns=\r\nc=IN IP4 -1\r\nt=-1 -1\r\n"
                "m=audio -5 RTP/AVP\r\nm= \r\nc=\r\na=rtcp:-1\r\n")
    if choice == 4:  # IPv6 and unknown address types
        return ("v=0\r\no=x 1 1 IN IP6 ::1\r\ns=-\r\nc=IN IP6 fe80::1%eth0\r\nt=0 0\r\n"
                "m=audio 16000 RTP/AVP 0\r\nc=IN XYZ 1.2.3.4\r\n")
    if choice == 5:  # NULs and bytes above 0x7f inside the body
        return ("v=0\r\no=x 1 1 IN IP4 %s\r\ns=\x00\xff\xfe\r\nc=IN IP4 %s\x00\r\nt=0 0\r\n"
                "m=audio 16000\x00 RTP/AVP 0\r\n" % (lan, lan))
    if choice == 6:  # a line thousands of bytes long
        return ("v=0\r\no=x 1 1 IN IP4 %s\r\ns=%s\r\nc=IN IP4 %s\r\nt=0 0\r\n"
                "m=audio 16000 RTP/AVP %s\r\n"
                % (lan, "S" * rng.randrange(1000, 8000), lan, " ".join(["0"] * 2000)))
    # lines without CRLF, without '=', and a body that never ends its last line
    return "v=0\no=x\nc IN IP4 %s\nm=audio 16000 RTP/AVP 0\r\nm=audio" % lan


def make(kind, rng, args):
    if kind == "random":
        return bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 1400)))
    if kind == "truncated":
        msg = request(rng, args, body=sdp(rng, args))
        return msg[:rng.randrange(1, len(msg))]
    if kind == "huge":
        return request(rng, args, "OPTIONS",
                       "X-Junk: %s\r\n" % ("A" * rng.randrange(8000, 30000)))
    if kind == "many":
        vias = "".join("Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%d\r\n"
                       % (args.lan_ip, 5060 + i % 100, i) for i in range(rng.randrange(300, 1000)))
        return request(rng, args, "OPTIONS", vias)
    if kind == "badlen":
        body = sdp(rng, args)
        length = rng.choice(["-1", "99999", "4294967296", "abc", "", "12, 34",
                             "%d\r\nContent-Length: 0" % len(body), "0", " 1e3"])
        return request(rng, args, "INVITE", body=body, length=length)
    if kind == "sdp":
        return request(rng, args, "INVITE", body=sdp(rng, args, absurd=True))
    # binary
    return (b"INVITE sip:1002@" + args.host.encode() + b" SIP/2.0\r\nVia: \x00\x00\xff"
            + bytes(rng.getrandbits(8) | 0x80 for _ in range(rng.randrange(10, 600)))
            + b"\r\n\r\n")


def main():
    ap = argparse.ArgumentParser(description="send hostile SIP over UDP")
    ap.add_argument("--to", required=True, help="IP:PORT")
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--rate", type=float, default=0, help="datagrams per second, 0: no pacing")
    ap.add_argument("--bind-port", type=int, default=0)
    ap.add_argument("--seed", type=int, default=4475)
    ap.add_argument("--callids", type=int, default=50)
    ap.add_argument("--lan-ip", default="192.168.1.11", help="a LAN address to write in bodies")
    ap.add_argument("--src-ip", required=True, help="the address to write in Via, From and Contact")
    args = ap.parse_args()
    args.host, _, port = args.to.rpartition(":")
    target = (args.host, int(port))

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
    sock.bind(("0.0.0.0", args.bind_port))
    # Not connected: the ICMP errors that closed ports send back do not stop the burst.
    args.sport = sock.getsockname()[1]
    args.src = args.src_ip
    rng = random.Random(args.seed)
    # A pool of messages of every kind, built once, so that the sender is not the bottleneck.
    pool = [(kind, make(kind, rng, args)) for _ in range(40) for kind in KINDS]
    rng.shuffle(pool)

    sent = errors = 0
    kinds = {}
    start = time.monotonic()
    for i in range(args.count):
        kind, data = pool[i % len(pool)]
        try:
            sock.sendto(data, target)
            sent += 1
            kinds[kind] = kinds.get(kind, 0) + 1
        except OSError:  # a full buffer, no route
            errors += 1
        if args.rate > 0:
            ahead = start + (i + 1) / args.rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
    print("sent=%d errors=%d seconds=%.1f kinds=%s" % (
        sent, errors, time.monotonic() - start,
        ",".join("%s/%d" % kv for kv in sorted(kinds.items()))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
