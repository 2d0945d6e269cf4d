#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""sipcraft.py: hand-made SIP for the security tests: what a scanner, a hostile web page or a
greedy LAN host would send, and a listener that records what arrives.

  sipcraft.py invite DST_IP [--port 5060] [--sport 5062] [--me IP] [--sdp-ip IP]
                 [--rtp-port N] [--calls N] [--call-id ID] [--junk-prefix] [--pad BYTES]
                 [--tcp] [--gap SECONDS]
      INVITE(s) with SDP; --calls N sends N calls with Call-IDs ID-0.. and RTP ports
      N, N+2, ...; --junk-prefix puts bytes before the request line (SIP inside other
      traffic); --pad makes the message that long (fragments past the MTU); --tcp sends
      it on a TCP connection, split in two segments, the SIP starting the second; --gap
      paces the messages (so that a flood is received, not lost on the way).
  sipcraft.py reg200 DST_IP --contact IP:PORT [--port 5060]
      a 200 OK to a REGISTER that nobody sent, naming CONTACT.
  sipcraft.py listen OUT_FILE [--port 5060] [--seconds S]
      records every UDP datagram and TCP stream arriving on PORT, one line each
      ("udp SRC len=N private=0|1" ...), until S seconds pass.
"""
import argparse
import socket
import sys
import threading
import time


def invite(dst, me, sdp_ip, rtp_port, call_id, pad):
    body = ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n") % (sdp_ip, sdp_ip, rtp_port)
    head = ("INVITE sip:2001@%s SIP/2.0\r\n"
            "Via: SIP/2.0/UDP %s:5062;branch=z9hG4bK%s\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:1002@%s>;tag=%s\r\nTo: <sip:2001@%s>\r\n"
            "Call-ID: %s\r\nCSeq: 1 INVITE\r\n"
            "Contact: <sip:1002@%s:5062>\r\n"
            "Content-Type: application/sdp\r\n") % (dst, me, call_id, me, call_id, dst, call_id, me)
    if pad:
        filler = pad - len(head) - len(body) - 40
        if filler > 0:
            head += "X-Pad: %s\r\n" % ("p" * filler)
    return (head + "Content-Length: %d\r\n\r\n" % len(body) + body).encode()


def cmd_invite(a):
    me = a.me or local_ip(a.dst)
    sdp_ip = a.sdp_ip or me
    msgs = [invite(a.dst, me, sdp_ip, a.rtp_port + 2 * i,
                   "%s-%d" % (a.call_id, i) if a.calls > 1 else a.call_id, a.pad)
            for i in range(a.calls)]
    if a.tcp:
        s = socket.create_connection((a.dst, a.port), timeout=5)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 9999\r\n\r\n")
        time.sleep(0.2)
        for m in msgs:
            s.sendall(m)
        time.sleep(0.2)
        s.close()
        return
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, 10, 0)  # IP_MTU_DISCOVER = DONT: let it fragment
    s.bind(("", a.sport))
    for m in msgs:
        s.sendto((b"\x17\x03\x03\x00\x40junk" + m) if a.junk_prefix else m, (a.dst, a.port))
        if a.gap:
            time.sleep(a.gap)


def cmd_reg200(a):
    ip, port = a.contact.split(":")
    msg = ("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP %s:%s;branch=z9hG4bKforged\r\n"
           "From: <sip:1001@example.net>;tag=1\r\nTo: <sip:1001@example.net>;tag=2\r\n"
           "Call-ID: forged-registration\r\nCSeq: 1 REGISTER\r\n"
           "Contact: <sip:1001@%s:%s>;expires=3600\r\nContent-Length: 0\r\n\r\n") % (ip, port, ip, port)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(msg.encode(), (a.dst, a.port))


def record(out, lock, kind, src, data):
    with lock:
        out.write("%s %s:%d len=%d private=%d\n" % (kind, src[0], src[1], len(data),
                                                   int(b"192.168." in data)))
        out.flush()


def cmd_listen(a):
    out = open(a.out, "a")
    lock = threading.Lock()
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("", a.port))
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind(("", a.port))
    t.listen(8)

    def tcp_loop():
        while True:
            c, src = t.accept()
            data = b""
            c.settimeout(2)
            try:
                while True:
                    chunk = c.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            except OSError:
                pass
            record(out, lock, "tcp", src, data)
            c.close()

    threading.Thread(target=tcp_loop, daemon=True).start()
    u.settimeout(0.5)
    end = time.time() + a.seconds
    while time.time() < end:
        try:
            data, src = u.recvfrom(65536)
        except socket.timeout:
            continue
        record(out, lock, "udp", src, data)


def local_ip(dst):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((dst, 9))
    return s.getsockname()[0]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    i = sub.add_parser("invite")
    i.add_argument("dst")
    i.add_argument("--port", type=int, default=5060)
    i.add_argument("--sport", type=int, default=5062)
    i.add_argument("--me")
    i.add_argument("--sdp-ip")
    i.add_argument("--rtp-port", type=int, default=30000)
    i.add_argument("--calls", type=int, default=1)
    i.add_argument("--call-id", default="crafted")
    i.add_argument("--junk-prefix", action="store_true")
    i.add_argument("--pad", type=int, default=0)
    i.add_argument("--tcp", action="store_true")
    i.add_argument("--gap", type=float, default=0)
    r = sub.add_parser("reg200")
    r.add_argument("dst")
    r.add_argument("--contact", required=True)
    r.add_argument("--port", type=int, default=5060)
    li = sub.add_parser("listen")
    li.add_argument("out")
    li.add_argument("--port", type=int, default=5060)
    li.add_argument("--seconds", type=float, default=60)
    a = p.parse_args()
    {"invite": cmd_invite, "reg200": cmd_reg200, "listen": cmd_listen}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
