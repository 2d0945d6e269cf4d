#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""iceua.py: a SIP user agent with ICE (RFC 8445, SDP per RFC 8839) for the sipalg lab.

  iceua.py uac --to IP:PORT --ruri URI --user U --rtp-port P --stats FILE
               [--stun IP:PORT] [--reoffer] [--wait-for-check] [--count N]
      calls: INVITE with an ICE offer (host candidates, RTP and RTCP components), ACK, the
      media phase, with --reoffer a re-INVITE naming the selected remote candidates
      (a=remote-candidates, as the controlling agent), then BYE. --stun first asks that
      STUN server for the RTP socket's mapping and offers it as a server-reflexive candidate
      and default destination (a phone that traverses the NAT itself).
  iceua.py uas --user U --rtp-port P --stats FILE [--sip-port 5060] [--stun-port N]
               [--wait-for-check] [--count N] [--seconds S]
      answers one call the same way, until its BYE; --stun-port also answers plain STUN
      binding requests there (a STUN server).

The media phase: each side sends STUN binding requests (RFC 5389: USERNAME, PRIORITY,
ICE-CONTROLLING/CONTROLLED, MESSAGE-INTEGRITY, FINGERPRINT) from each component's socket to the
default destination the other's SDP announced, until a success response arrives, and answers
the requests it receives (XOR-MAPPED-ADDRESS: the source it saw). --wait-for-check: send no
request before the peer's first one arrived (the peer's checks open the way: triggered checks).
Then COUNT RTP packets go to the announced RTP address and 5 to the RTCP one; what arrives is
counted. The stats file gets key=value pairs, one a line:
  default_is_candidate=1    the default destination of the SDP received matches a candidate
  sdp_received=...          the SDP received (one line per SDP line, prefixed "sdp: ")
  checks_ok=N               own checks answered (by components), responses from where sent
  mapped=IP:PORT            XOR-MAPPED-ADDRESS of the first success response (component 1)
  requests_answered=N       valid requests received and answered
  request_from=IP:PORT      where the first request came from
  rtp_received=N rtcp_received=N
  remote_candidates=...     the a=remote-candidates line of a re-offer received
"""
import argparse
import hashlib
import hmac
import os
import random
import select
import socket
import struct
import sys
import time
import zlib

COOKIE = 0x2112A442
BINDING_REQUEST = 0x0001
BINDING_SUCCESS = 0x0101
A_USERNAME = 0x0006
A_INTEGRITY = 0x0008
A_XOR_MAPPED = 0x0020
A_PRIORITY = 0x0024
A_USE_CANDIDATE = 0x0025
A_FINGERPRINT = 0x8028
A_CONTROLLED = 0x8029
A_CONTROLLING = 0x802A


def attr(kind, value):
    return struct.pack("!HH", kind, len(value)) + value + b"\0" * (-len(value) % 4)


def stun_message(kind, tid, attrs, key):
    """A STUN message with MESSAGE-INTEGRITY (when key) and FINGERPRINT (RFC 5389 15.4, 15.5)."""
    body = b"".join(attrs)
    if key is not None:
        head = struct.pack("!HHI", kind, len(body) + 24, COOKIE) + tid
        body += attr(A_INTEGRITY, hmac.new(key, head + body, hashlib.sha1).digest())
    head = struct.pack("!HHI", kind, len(body) + 8, COOKIE) + tid
    crc = (zlib.crc32(head + body) ^ 0x5354554E) & 0xFFFFFFFF
    return head + body + attr(A_FINGERPRINT, struct.pack("!I", crc))


def stun_parse(data):
    """(type, tid, {attr: value}, integrity_ok(key)) or None when it is no STUN message."""
    if len(data) < 20 or data[0] & 0xC0:
        return None
    kind, length, cookie = struct.unpack("!HHI", data[:8])
    if cookie != COOKIE or length + 20 != len(data):
        return None
    tid = data[8:20]
    attrs, offsets, p = {}, {}, 20
    while p + 4 <= len(data):
        a, n = struct.unpack("!HH", data[p:p + 4])
        attrs.setdefault(a, data[p + 4:p + 4 + n])
        offsets.setdefault(a, p)
        p += 4 + n + (-n % 4)

    def integrity_ok(key):
        if A_INTEGRITY not in attrs:
            return False
        at = offsets[A_INTEGRITY]
        head = struct.pack("!HHI", kind, at - 20 + 24, COOKIE) + tid
        return hmac.compare_digest(hmac.new(key, head + data[20:at], hashlib.sha1).digest(),
                                   attrs[A_INTEGRITY])

    if A_FINGERPRINT in attrs:
        at = offsets[A_FINGERPRINT]
        head = struct.pack("!HHI", kind, at - 20 + 8, COOKIE) + tid
        if struct.unpack("!I", attrs[A_FINGERPRINT])[0] != (zlib.crc32(head + data[20:at]) ^ 0x5354554E) & 0xFFFFFFFF:
            return None
    return kind, tid, attrs, integrity_ok


def xor_address(value):
    port = struct.unpack("!H", value[2:4])[0] ^ (COOKIE >> 16)
    ip = struct.unpack("!I", value[4:8])[0] ^ COOKIE
    return socket.inet_ntoa(struct.pack("!I", ip)), port


def xor_value(addr):
    ip = struct.unpack("!I", socket.inet_aton(addr[0]))[0] ^ COOKIE
    return struct.pack("!BBHI", 0, 1, addr[1] ^ (COOKIE >> 16), ip)


def priority(type_pref, component):
    return (type_pref << 24) + (65535 << 8) + 256 - component


class Media:
    """The two component sockets, the ICE credentials and the SDP of one side."""

    def __init__(self, me, port, controlling, stun_server=None):
        self.me = me
        self.socks = {}
        for comp in (1, 2):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("", port + comp - 1))
            self.socks[comp] = s
        self.port = port
        self.ufrag = "%08x" % random.getrandbits(32)
        self.pwd = "%024x" % random.getrandbits(96)
        self.controlling = controlling
        self.default = {1: (me, port), 2: (me, port + 1)}
        self.srflx = {}
        if stun_server:
            for comp in (1, 2):
                self.srflx[comp] = self.stun_mapping(comp, stun_server)
            self.default = dict(self.srflx)
        self.version = 1

    def stun_mapping(self, comp, server):
        s = self.socks[comp]
        tid = os.urandom(12)
        for _ in range(20):
            s.sendto(stun_message(BINDING_REQUEST, tid, [], None), server)
            if select.select([s], [], [], 0.25)[0]:
                data, _ = s.recvfrom(2048)
                m = stun_parse(data)
                if m and m[0] == BINDING_SUCCESS and m[1] == tid:
                    return xor_address(m[2][A_XOR_MAPPED])
        raise SystemExit("no answer from the STUN server %s:%d" % server)

    def sdp(self, remote_candidates=None):
        self.version += 1
        lines = ["v=0", "o=- 4242 %d IN IP4 %s" % (self.version, self.me), "s=ice",
                 "c=IN IP4 %s" % self.default[1][0], "t=0 0",
                 "m=audio %d RTP/AVP 0" % self.default[1][1],
                 "a=rtcp:%d" % self.default[2][1], "a=rtpmap:0 PCMU/8000", "a=sendrecv",
                 "a=ice-ufrag:%s" % self.ufrag, "a=ice-pwd:%s" % self.pwd]
        for comp in (1, 2):
            if comp in self.srflx:
                lines.append("a=candidate:2 %d UDP %d %s %d typ srflx raddr %s rport %d" % (
                    comp, priority(100, comp), self.srflx[comp][0], self.srflx[comp][1],
                    self.me, self.port + comp - 1))
            lines.append("a=candidate:1 %d UDP %d %s %d typ host" % (
                comp, priority(126, comp), self.me, self.port + comp - 1))
        if remote_candidates:
            lines.append("a=remote-candidates:" + remote_candidates)
        return "\r\n".join(lines) + "\r\n"


def sdp_remote(text):
    """The remote's defaults, candidates and credentials from its SDP."""
    r = {"candidates": [], "c": None, "m": None, "rtcp": None, "remote_candidates": ""}
    for line in text.splitlines():
        if line.startswith("c=IN IP4 "):
            r["c"] = line[9:].strip()
        elif line.startswith("m=audio "):
            r["m"] = int(line.split()[1])
        elif line.startswith("a=rtcp:"):
            r["rtcp"] = int(line[7:].split()[0])
        elif line.startswith("a=ice-ufrag:"):
            r["ufrag"] = line[12:].strip()
        elif line.startswith("a=ice-pwd:"):
            r["pwd"] = line[10:].strip()
        elif line.startswith("a=candidate:"):
            f = line[12:].split()
            r["candidates"].append((int(f[1]), f[4], int(f[5]), f[7]))
        elif line.startswith("a=remote-candidates:"):
            r["remote_candidates"] = line[20:].strip()
    rtcp = r["rtcp"] if r["rtcp"] else r["m"] + 1
    r["default"] = {1: (r["c"], r["m"]), 2: (r["c"], rtcp)}
    r["default_is_candidate"] = all(
        any(c[0] == comp and (c[1], c[2]) == r["default"][comp] for c in r["candidates"])
        for comp in (1, 2))
    return r


def media_phase(media, remote, stats, count, wait_for_check, sip_sock=None, stash=None):
    """ICE checks both ways, then RTP and RTCP; counts what arrives."""
    local_key, remote_key = media.pwd.encode(), remote["pwd"].encode()
    pending = {comp: os.urandom(12) for comp in (1, 2)}
    answered = {}
    stats.setdefault("requests_answered", 0)
    stats.setdefault("rtp_received", 0)
    stats.setdefault("rtcp_received", 0)
    heard = not wait_for_check
    socks = list(media.socks.values()) + ([sip_sock] if sip_sock else [])
    start = time.monotonic()
    next_check = start
    rtp_sent = rtcp_sent = 0
    next_rtp = None
    end = start + 8 + count * 0.02

    def check(comp):
        role = A_CONTROLLING if media.controlling else A_CONTROLLED
        attrs = [attr(A_USERNAME, ("%s:%s" % (remote["ufrag"], media.ufrag)).encode()),
                 attr(A_PRIORITY, struct.pack("!I", priority(110, comp))),
                 attr(role, os.urandom(8))]
        if media.controlling:
            attrs.append(attr(A_USE_CANDIDATE, b""))
        media.socks[comp].sendto(stun_message(BINDING_REQUEST, pending[comp], attrs, remote_key),
                                 remote["default"][comp])

    while time.monotonic() < end:
        now = time.monotonic()
        if heard and now >= next_check and len(answered) < 2:
            for comp in (1, 2):
                if comp not in answered:
                    check(comp)
            next_check = now + 0.2
        # media once the checks are done (or given up on), never before this side has heard
        # a check when it waits for one: a packet sent first toward a NAT that has no flow for
        # it yet would make that NAT map the other side's first packet to another port
        if heard and (len(answered) == 2 or now - start > 5):
            if next_rtp is None:
                next_rtp = now
                end = now + count * 0.02 + 1.5
            while now >= next_rtp and rtp_sent < count:
                media.socks[1].sendto(b"\x80\x00" + struct.pack("!HII", rtp_sent, 160 * rtp_sent, 42) +
                                      b"\xff" * 160, remote["default"][1])
                rtp_sent += 1
                if rtcp_sent < 5 and rtp_sent % 20 == 0:
                    media.socks[2].sendto(b"\x81\xc9\x00\x01" + struct.pack("!I", 42), remote["default"][2])
                    rtcp_sent += 1
                next_rtp += 0.02
        for s in select.select(socks, [], [], 0.01)[0]:
            data, src = s.recvfrom(4096)
            if s is sip_sock:
                stash.append((data, src))
                continue
            comp = 1 if s is media.socks[1] else 2
            m = stun_parse(data)
            if m is None:
                stats["rtp_received" if comp == 1 else "rtcp_received"] += 1
                continue
            kind, tid, attrs, integrity_ok = m
            if kind == BINDING_REQUEST:
                user = attrs.get(A_USERNAME, b"").decode(errors="replace")
                if user != "%s:%s" % (media.ufrag, remote["ufrag"]) or not integrity_ok(local_key):
                    stats["requests_refused"] = stats.get("requests_refused", 0) + 1
                    continue
                s.sendto(stun_message(BINDING_SUCCESS, tid, [attr(A_XOR_MAPPED, xor_value(src))], local_key), src)
                stats["requests_answered"] += 1
                stats.setdefault("request_from", "%s:%d" % src)
                if not heard:
                    heard = True
                    next_check = time.monotonic()
            elif kind == BINDING_SUCCESS and tid == pending[comp] and comp not in answered:
                if src != remote["default"][comp] or not integrity_ok(remote_key):
                    stats["responses_refused"] = stats.get("responses_refused", 0) + 1
                    continue
                answered[comp] = xor_address(attrs[A_XOR_MAPPED])
    stats["checks_ok"] = len(answered)
    if 1 in answered:
        stats["mapped"] = "%s:%d" % answered[1]
    if 2 in answered:
        stats["mapped_rtcp"] = "%s:%d" % answered[2]
    stats["rtp_sent"] = rtp_sent


def parse_sip(data):
    text = data.decode(errors="replace")
    head, _, body = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    hdrs = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        hdrs.append((name.strip().lower(), value.strip()))
    return lines[0], hdrs, body


def header(hdrs, name):
    for n, v in hdrs:
        if n == name:
            return v
    return None


def uri_addr(uri):
    """The host:port of a SIP URI (IPv4 literals only, as in the lab)."""
    u = uri.strip("<>").split(";")[0]
    host = u.split("@")[-1].replace("sip:", "")
    ip, _, port = host.partition(":")
    return ip, int(port or 5060)


def write_stats(path, stats):
    with open(path + ".tmp", "w") as out:
        for k, v in stats.items():
            if k == "sdp_received":
                for line in v.splitlines():
                    out.write("sdp: %s\n" % line)
            else:
                out.write("%s=%s\n" % (k, v))
    os.rename(path + ".tmp", path)


def local_ip(dst):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((dst, 9))
    return s.getsockname()[0]


def uac(a):
    dst = a.to.split(":")
    dst = (dst[0], int(dst[1]))
    me = local_ip(dst[0])
    sip = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sip.bind(("", a.sip_port))
    stun = None
    if a.stun:
        stun = a.stun.split(":")
        stun = (stun[0], int(stun[1]))
    media = Media(me, a.rtp_port, True, stun)
    call_id = "ice-%08x" % random.getrandbits(32)
    tag = "%08x" % random.getrandbits(32)
    stats = {"call_id": call_id}
    cseq = [0]

    def request(method, ruri, to, body="", route=(), target=dst):
        if method != "ACK":
            cseq[0] += 1
        msg = ("%s %s SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bK%08x;rport\r\n"
               "Max-Forwards: 70\r\nFrom: <sip:%s@%s>;tag=%s\r\nTo: %s\r\nCall-ID: %s\r\n"
               "CSeq: %d %s\r\nContact: <sip:%s@%s:%d>\r\n") % (
            method, ruri, me, a.sip_port, random.getrandbits(32), a.user, me, tag, to, call_id,
            cseq[0], method, a.user, me, a.sip_port)
        for r in route:
            msg += "Route: %s\r\n" % r
        if body:
            msg += "Content-Type: application/sdp\r\n"
        msg += "Content-Length: %d\r\n\r\n%s" % (len(body), body)
        return msg.encode(), target

    def transaction(msg, target):
        """Sends a request until a final response comes; returns it."""
        for _ in range(10):
            sip.sendto(msg, target)
            deadline = time.monotonic() + 1
            while time.monotonic() < deadline:
                if not select.select([sip], [], [], 0.1)[0]:
                    continue
                data, _ = sip.recvfrom(65536)
                start, hdrs, body = parse_sip(data)
                if start.startswith("SIP/2.0 ") and int(start.split()[1]) >= 200:
                    return start, hdrs, body
        raise SystemExit("no final response to %s" % msg.split(b" ")[0].decode())

    invite, _ = request("INVITE", a.ruri, "<%s>" % a.ruri, media.sdp())
    start, hdrs, body = transaction(invite, dst)
    if not start.startswith("SIP/2.0 200"):
        raise SystemExit("INVITE: " + start)
    to = header(hdrs, "to")
    contact = header(hdrs, "contact").strip("<>").split(">")[0]
    route = [v for n, v in hdrs if n == "record-route"][::-1]
    target = uri_addr(route[0]) if route else uri_addr(contact)
    remote = sdp_remote(body)
    stats["sdp_received"] = body
    stats["default_is_candidate"] = int(remote["default_is_candidate"])
    ack = request("ACK", contact, to, route=route, target=target)
    sip.sendto(*ack)
    media_phase(media, remote, stats, a.count, a.wait_for_check, sip, [])
    if a.reoffer:
        # the controlling agent names the remote candidates of its selected pairs
        sel = "1 %s %d 2 %s %d" % (remote["default"][1] + remote["default"][2])
        reinvite, _ = request("INVITE", contact, to, media.sdp(sel), route=route, target=target)
        start, hdrs, body = transaction(reinvite, target)
        stats["reinvite"] = start.split(" ", 2)[1]
        sip.sendto(*request("ACK", contact, to, route=route, target=target))
    bye, _ = request("BYE", contact, to, route=route, target=target)
    start, _, _ = transaction(bye, target)
    stats["bye"] = start.split(" ", 2)[1]
    write_stats(a.stats, stats)


def uas(a):
    sip = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sip.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sip.bind(("", a.sip_port))
    stun_sock = None
    if a.stun_port:
        stun_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        stun_sock.bind(("", a.stun_port))
    media = None
    remote = None
    stats = {}
    stash = []
    tag = "%08x" % random.getrandbits(32)
    end = time.monotonic() + a.seconds
    answered_media = False

    def reply(hdrs, src, code, body=""):
        msg = "SIP/2.0 %s\r\n" % code
        for n, v in hdrs:
            if n in ("via", "record-route", "from", "call-id", "cseq"):
                msg += "%s: %s\r\n" % (n.title(), v)
            elif n == "to":
                msg += "To: %s\r\n" % (v if ";tag=" in v else v + ";tag=" + tag)
        msg += "Contact: <sip:%s@%s:%d>\r\n" % (a.user, media.me if media else "0.0.0.0", a.sip_port)
        if body:
            msg += "Content-Type: application/sdp\r\n"
        msg += "Content-Length: %d\r\n\r\n%s" % (len(body), body)
        sip.sendto(msg.encode(), src)

    while time.monotonic() < end:
        if stash:
            data, src = stash.pop(0)
        else:
            socks = [sip] + ([stun_sock] if stun_sock else [])
            ready = select.select(socks, [], [], 0.2)[0]
            if not ready:
                continue
            if ready[0] is stun_sock:
                data, src = stun_sock.recvfrom(2048)
                m = stun_parse(data)
                if m and m[0] == BINDING_REQUEST:
                    stun_sock.sendto(stun_message(BINDING_SUCCESS, m[1], [attr(A_XOR_MAPPED, xor_value(src))], None), src)
                continue
            data, src = sip.recvfrom(65536)
        start, hdrs, body = parse_sip(data)
        method = start.split(" ")[0]
        if method == "INVITE":
            if media is None:
                media = Media(local_ip(src[0]), a.rtp_port, False)
            remote_now = sdp_remote(body)
            if remote is None:
                remote = remote_now
                stats["sdp_received"] = body
                stats["default_is_candidate"] = int(remote["default_is_candidate"])
            elif remote_now["remote_candidates"]:
                stats["remote_candidates"] = remote_now["remote_candidates"].replace(" ", ",")
            reply(hdrs, src, "200 OK", media.sdp())
        elif method == "ACK":
            if not answered_media and remote:
                answered_media = True
                media_phase(media, remote, stats, a.count, a.wait_for_check, sip, stash)
        elif method == "BYE":
            reply(hdrs, src, "200 OK")
            stats["bye"] = 200
            break
    write_stats(a.stats, stats)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("uac", "uas"):
        s = sub.add_parser(name)
        s.add_argument("--user", required=True)
        s.add_argument("--rtp-port", type=int, required=True)
        s.add_argument("--stats", required=True)
        s.add_argument("--sip-port", type=int, default=5060)
        s.add_argument("--count", type=int, default=100)
        s.add_argument("--wait-for-check", action="store_true")
    c = sub.choices["uac"]
    c.add_argument("--to", required=True)
    c.add_argument("--ruri", required=True)
    c.add_argument("--stun")
    c.add_argument("--reoffer", action="store_true")
    s = sub.choices["uas"]
    s.add_argument("--stun-port", type=int)
    s.add_argument("--seconds", type=float, default=40)
    a = p.parse_args()
    (uac if a.cmd == "uac" else uas)(a)


if __name__ == "__main__":
    sys.exit(main())
