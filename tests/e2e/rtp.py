#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Tiny RTP endpoint for the sipalg e2e lab.

Binds one UDP port (the one the phone announced in its SDP), sends COUNT
PCMU packets with an RTP header from that port to TARGET (symmetric RTP),
reads whatever arrives on the same socket meanwhile and for LINGER seconds
afterwards, then writes one line of statistics and exits:

    sent=N errors=E received=R sources=IP:PORT/COUNT,... first_error=...

Usage: rtp.py --port PORT --to IP:PORT [--bind IP] [--count N]
              [--interval-ms MS] [--linger S] [--stats FILE]

A target of 0.0.0.0 or port 0 (a stream on hold or refused) sends nothing.
Send errors (no route, ICMP unreachable) are counted, not fatal.
"""

import argparse
import os
import random
import select
import socket
import struct
import sys
import time


def parse_target(text):
    host, _, port = text.rpartition(":")
    if not host:
        raise argparse.ArgumentTypeError("target must be IP:PORT")
    return host, int(port)


def main():
    ap = argparse.ArgumentParser(description="send and count RTP")
    ap.add_argument("--port", type=int, required=True, help="local RTP port")
    ap.add_argument("--bind", default="0.0.0.0", help="local address")
    ap.add_argument("--to", type=parse_target, required=True, help="IP:PORT")
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--interval-ms", type=float, default=20.0)
    ap.add_argument("--linger", type=float, default=1.0)
    ap.add_argument("--stats", default="-")
    args = ap.parse_args()

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.bind, args.port))
    sock.setblocking(False)

    host, port = args.to
    send = host != "0.0.0.0" and port != 0
    ssrc = random.getrandbits(32)
    seq = random.getrandbits(16)
    stamp = random.getrandbits(32)
    payload = b"\xff" * 160  # 20 ms of PCMU silence

    sent = errors = received = 0
    sources = {}
    first_error = ""

    def drain(timeout):
        """Counts what arrives until the deadline: the sender keeps its 20 ms pace
        whatever the other side does."""
        nonlocal received
        deadline = time.monotonic() + max(timeout, 0)
        while True:
            ready, _, _ = select.select([sock], [], [], max(deadline - time.monotonic(), 0))
            if not ready:
                return
            try:
                _, addr = sock.recvfrom(2048)
            except BlockingIOError:
                continue
            except OSError:  # an ICMP error reported on the socket
                continue
            received += 1
            key = "%s:%d" % addr
            sources[key] = sources.get(key, 0) + 1

    interval = args.interval_ms / 1000.0
    next_at = time.monotonic()
    for i in range(args.count if send else 0):
        header = struct.pack("!BBHII", 0x80, 0x80 if i == 0 else 0x00,
                             (seq + i) & 0xFFFF, (stamp + 160 * i) & 0xFFFFFFFF,
                             ssrc)
        try:
            sock.sendto(header + payload, (host, port))
            sent += 1
        except OSError as exc:
            errors += 1
            if not first_error:
                first_error = exc.strerror or str(exc)
        next_at += interval
        drain(next_at - time.monotonic())

    end = time.monotonic() + args.linger
    while time.monotonic() < end:
        drain(end - time.monotonic())

    line = "sent=%d errors=%d received=%d sources=%s first_error=%s\n" % (
        sent, errors, received,
        ",".join("%s/%d" % kv for kv in sorted(sources.items())) or "-",
        (first_error or "-").replace(" ", "_"))
    if args.stats == "-":
        sys.stdout.write(line)
    else:
        tmp = args.stats + ".tmp"
        with open(tmp, "w", encoding="ascii") as out:
            out.write(line)
        os.rename(tmp, args.stats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
