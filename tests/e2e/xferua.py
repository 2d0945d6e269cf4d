#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""xferua.py: a SIP user agent for call transfer in the sipalg lab: REFER (RFC 3515),
Replaces (RFC 3891), Referred-By (RFC 3892), with RTP on every call (rtp.py).

  xferua.py --user U --proxy IP:PORT --rtp-port P --results FILE [--count N] [--calls N]
            [--seconds S] [STEP ...]

Every request out of a dialog goes to the proxy (a phone configured with its provider); in a
dialog, to the first Record-Route or else the remote target. On its own, the agent:
- answers every INVITE (200 with SDP); one with Replaces that names one of its dialogs
  (481 otherwise) takes that call's place: once it is up, the old dialog gets a BYE;
- follows a REFER (transferee): 202, NOTIFY "100 Trying", then an INVITE to the Refer-To URI
  with the Replaces of its URI headers and the REFER's Referred-By, then a NOTIFY with that
  INVITE's final status as sipfrag (Subscription-State: terminated); it ends the call it placed
  for the REFER (BYE) once that call's media is done;
- answers a NOTIFY (200); a final one whose sipfrag says 2xx, in a dialog where it sent a
  REFER (transferor), makes it end that dialog (BYE);
- runs media on every call once it is up: rtp.py sends N packets from port P+2k (the k-th
  call) to the address the other side's SDP names and counts what arrives on that port.

Steps, run in order:
  call NAME USER                   INVITE sip:USER@proxy; waits for the 200, sends the ACK
  media NAME                       waits until NAME's media is done
  refer NAME URI                   REFER in NAME's dialog with Refer-To <URI>; waits for 2xx
  refer-replaces NAME OTHER URI    the same with Refer-To <URI?Replaces=OTHER's dialog>
                                   (Call-ID, to-tag: the target's tag, from-tag: our own)
Calls the agent answers are named in1, in2, ...; the call it places for a REFER received in
NAME's dialog is NAME-xfer.

It exits 0 once its steps are done and at least --calls calls (default 1) have ended with
their media done; 1 after --seconds. RESULTS gets key=value lines per call (NAME.call_id,
NAME.peer, NAME.answer, NAME.ended_by, NAME.rtp: rtp.py's statistics line, NAME.replaces,
NAME.replaced_by, NAME.referred_by, NAME.refer_to, NAME.refer_answer, NAME.notify: the
sipfrag status lines received, |-separated) and RESULTS.msg every message received and sent.
"""
import argparse
import os
import random
import select
import socket
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from iceua import header, local_ip, parse_sip, uri_addr  # noqa: E402 (the lab's helpers)

RTP_PY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rtp.py")


def rand_hex():
    return "%08x" % random.getrandbits(32)


def uri_of(value):
    """The URI of a name-addr (<...>) or of a bare addr-spec (up to its parameters)."""
    if "<" in value:
        return value[value.index("<") + 1:value.index(">")]
    return value.split(";")[0].strip()


def tag_of(value):
    for p in value.split(">")[-1].split(";")[1:]:
        name, _, v = p.strip().partition("=")
        if name.lower() == "tag":
            return v
    return None


def headers_all(hdrs, name):
    out = []
    for n, v in hdrs:
        if n == name:
            out.extend(x.strip() for x in v.split(","))
    return out


def sdp_media(body):
    """(ip, port) of the first audio stream of an SDP body."""
    ip = port = None
    for line in body.splitlines():
        if line.startswith("c=IN IP4 "):
            ip = line[9:].strip()
        elif line.startswith("m=audio "):
            port = int(line.split()[1])
    return (ip, port) if ip and port is not None else None


class Call:
    def __init__(self, name, call_id, outgoing, rtp_port):
        self.name, self.call_id, self.outgoing, self.rtp_port = name, call_id, outgoing, rtp_port
        self.local_tag = rand_hex()
        self.local = self.remote = self.target = None
        self.route = []
        self.cseq = 0
        self.state = "new"  # new, up, ended
        self.remote_sdp = None
        self.media = None  # rtp.py's process
        self.media_done = False
        self.for_refer = None  # the call whose REFER this one follows
        self.replaces = None  # the call this one takes the place of
        self.refer_sent = False
        self.refer_answer = None
        self.ack = None
        self.info = {}


class Agent:
    def __init__(self, a):
        self.a = a
        self.proxy = (a.proxy.split(":")[0], int(a.proxy.split(":")[1]))
        self.me = local_ip(self.proxy[0])
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("", a.sip_port))
        self.calls = {}
        self.order = []
        self.incoming = 0
        self.pending = {}  # branch -> [bytes, target, next_send, tries, call, method, provisional]
        self.answered = {}  # (branch, method) -> response bytes (retransmissions)
        self.log = open(a.results + ".msg", "w")
        self.contact = "<sip:%s@%s:%d>" % (a.user, self.me, a.sip_port)

    # --- messages
    def send(self, data, target, what="sent"):
        self.log.write("=== %s to %s:%d\n%s\n" % (what, target[0], target[1], data.decode(errors="replace")))
        self.log.flush()
        self.sock.sendto(data, target)

    def new_call(self, name, call_id, outgoing):
        c = Call(name, call_id, outgoing, self.a.rtp_port + 2 * len(self.order))
        self.calls[name] = c
        self.order.append(name)
        return c

    def sdp(self, c):
        return ("v=0\r\no=- %d 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
                "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n") % (
            random.getrandbits(24), self.me, self.me, c.rtp_port)

    def request(self, c, method, ruri=None, extra=(), body="", ctype="application/sdp", branch=None):
        if method != "ACK":
            c.cseq += 1
        branch = branch or "z9hG4bK" + rand_hex() + rand_hex()
        msg = ["%s %s SIP/2.0" % (method, ruri or c.target),
               "Via: SIP/2.0/UDP %s:%d;branch=%s;rport" % (self.me, self.a.sip_port, branch),
               "Max-Forwards: 70", "From: %s" % c.local, "To: %s" % c.remote,
               "Call-ID: %s" % c.call_id, "CSeq: %d %s" % (c.cseq, method),
               "Contact: %s" % self.contact]
        msg += ["Route: %s" % r for r in c.route]
        msg += list(extra)
        if body:
            msg.append("Content-Type: %s" % ctype)
        msg.append("Content-Length: %d" % len(body))
        data = ("\r\n".join(msg) + "\r\n\r\n" + body).encode()
        target = uri_addr(uri_of(c.route[0])) if c.route else (
            self.proxy if c.state == "new" else uri_addr(c.target))
        if method == "ACK":
            self.send(data, target)
        else:
            self.pending[branch] = [data, target, 0.0, 0, c, method, False]
        return data, target

    def reply(self, hdrs, src, code, c=None, body="", extra=()):
        msg = ["SIP/2.0 %s" % code]
        for n, v in hdrs:
            if n in ("via", "from", "call-id", "cseq") or (n == "record-route" and code.startswith("2")):
                msg.append("%s: %s" % ("Record-Route" if n == "record-route" else n.title(), v))
            elif n == "to":
                msg.append("To: %s" % (v if tag_of(v) or not c else "%s;tag=%s" % (v, c.local_tag)))
        msg.append("Contact: %s" % self.contact)
        msg += list(extra)
        if body:
            msg.append("Content-Type: application/sdp")
        msg.append("Content-Length: %d" % len(body))
        data = ("\r\n".join(msg) + "\r\n\r\n" + body).encode()
        via = header(hdrs, "via") or ""
        branch = via.split("branch=")[-1].split(";")[0]
        self.answered[(branch, header(hdrs, "cseq").split()[-1])] = (data, src)
        self.send(data, src)

    # --- calls
    def place(self, name, ruri, to, extra=()):
        c = self.new_call(name, "%s@%s" % (rand_hex(), self.me), True)
        c.local = "<sip:%s@%s>;tag=%s" % (self.a.user, self.proxy[0], c.local_tag)
        c.remote = to
        c.target = ruri
        self.request(c, "INVITE", ruri, extra, self.sdp(c))
        return c

    def start_media(self, c):
        if c.media is not None:
            return
        c.state = "up"
        to = c.remote_sdp or ("0.0.0.0", 0)
        c.stats = self.a.results + "." + c.name + ".rtp"
        c.media = subprocess.Popen([sys.executable, RTP_PY, "--port", str(c.rtp_port), "--to",
                                    "%s:%d" % to, "--count", str(self.a.count), "--stats", c.stats])

    def end(self, c):
        if c.state != "ended":
            c.state = "ended"
            c.info["ended_by"] = "local"
            self.request(c, "BYE")

    def notify(self, c, status, final):
        self.request(c, "NOTIFY", extra=["Event: refer",
                     "Subscription-State: %s" % ("terminated;reason=noresource" if final else "active;expires=60")],
                     body="SIP/2.0 %s\r\n" % status, ctype="message/sipfrag;version=2.0")

    def find_dialog(self, call_id, tag_a, tag_b):
        for c in self.calls.values():
            if c.call_id == call_id and {c.local_tag, tag_of(c.remote or "") or ""} == {tag_a, tag_b}:
                return c
        return None

    def dialog_of(self, hdrs):
        for c in self.calls.values():
            if c.call_id == header(hdrs, "call-id") and tag_of(header(hdrs, "to") or "") == c.local_tag:
                return c
        return None

    def on_request(self, start, hdrs, body, src):
        method = start.split()[0]
        via = header(hdrs, "via") or ""
        key = (via.split("branch=")[-1].split(";")[0], method)
        if key in self.answered and method != "ACK":
            self.send(*self.answered[key], what="sent again")
            return
        c = self.dialog_of(hdrs)
        if method == "INVITE" and c is None:
            self.incoming += 1
            c = self.new_call("in%d" % self.incoming, header(hdrs, "call-id"), False)
            c.remote = header(hdrs, "from")
            c.local = "%s;tag=%s" % (header(hdrs, "to"), c.local_tag)
            c.target = uri_of(header(hdrs, "contact"))
            c.route = headers_all(hdrs, "record-route")
            c.remote_sdp = sdp_media(body)
            c.info["peer"] = uri_of(c.remote)
            for name in ("referred-by", "replaces"):
                if header(hdrs, name):
                    c.info[name.replace("-", "_")] = header(hdrs, name)
            rep = header(hdrs, "replaces")
            if rep:
                f = rep.split(";")
                params = dict(p.strip().partition("=")[::2] for p in f[1:])
                old = self.find_dialog(f[0].strip(), params.get("to-tag"), params.get("from-tag"))
                if old is None or old.state == "ended":
                    c.state = "ended"
                    self.reply(hdrs, src, "481 Call/Transaction Does Not Exist", c)
                    return
                c.replaces = old
            c.state = "answered"
            self.reply(hdrs, src, "200 OK", c, self.sdp(c))
        elif method == "ACK":
            if c and c.state == "answered":
                self.start_media(c)
                if c.replaces:
                    c.replaces.info["replaced_by"] = c.name
                    self.end(c.replaces)
        elif c is None:
            self.reply(hdrs, src, "481 Call/Transaction Does Not Exist")
        elif method == "BYE":
            self.reply(hdrs, src, "200 OK", c)
            if c.state != "ended":
                c.state = "ended"
                c.info["ended_by"] = "remote"
        elif method == "REFER":
            self.reply(hdrs, src, "202 Accepted", c)
            refer_to = header(hdrs, "refer-to")
            c.info["refer_to"] = refer_to
            by = header(hdrs, "referred-by") or header(hdrs, "from")
            c.info["refer_referred_by"] = by
            self.notify(c, "100 Trying", False)
            uri = uri_of(refer_to)
            target, _, query = uri.partition("?")
            extra = ["Referred-By: %s" % by]
            for h in query.split("&") if query else []:
                name, _, value = h.partition("=")
                extra.append("%s: %s" % (name, urllib.parse.unquote(value)))
            x = self.place(c.name + "-xfer", target, "<%s>" % target, extra)
            x.for_refer = c
        elif method == "NOTIFY":
            self.reply(hdrs, src, "200 OK", c)
            frag = body.split("\r\n")[0].strip()
            c.info["notify"] = (c.info.get("notify", "") + "|" + frag).lstrip("|")
            final = (header(hdrs, "subscription-state") or "").startswith("terminated")
            if final and c.refer_sent and frag.split()[1:2] and frag.split()[1].startswith("2"):
                self.end(c)
        else:
            self.reply(hdrs, src, "200 OK", c)

    def on_response(self, start, hdrs, body):
        code = int(start.split()[1])
        via = header(hdrs, "via") or ""
        branch = via.split("branch=")[-1].split(";")[0]
        method = header(hdrs, "cseq").split()[-1]
        p = self.pending.get(branch)
        if p is None:
            # a 2xx to an INVITE again: its ACK went missing
            for c in self.calls.values():
                if method == "INVITE" and code < 300 and c.ack and c.call_id == header(hdrs, "call-id"):
                    self.send(*c.ack, what="sent again")
            return
        c = p[4]
        if code < 200:
            p[6] = True
            return
        del self.pending[branch]
        if method == "INVITE":
            c.info["answer"] = code
            if code < 300:
                c.remote = header(hdrs, "to")
                c.target = uri_of(header(hdrs, "contact"))
                c.route = headers_all(hdrs, "record-route")[::-1]
                c.remote_sdp = sdp_media(body)
                c.info["peer"] = uri_of(c.remote)
                c.ack = self.request(c, "ACK")
                self.start_media(c)
            else:  # the ACK of a failure is hop by hop, on the INVITE's branch
                c.remote = header(hdrs, "to")
                c.state = "ended"
                self.request(c, "ACK", c.target, branch=branch)
            if c.for_refer is not None:
                self.notify(c.for_refer, start.split(" ", 1)[1], True)
        elif method == "REFER":
            c.refer_answer = code
            c.info["refer_answer"] = code

    # --- steps
    def step_start(self, step):
        kind, args = step[0], step[1:]
        if kind == "call":
            self.place(args[0], "sip:%s@%s" % (args[1], self.proxy[0]), "<sip:%s@%s>" % (args[1], self.proxy[0]))
        elif kind in ("refer", "refer-replaces"):
            c = self.calls[args[0]]
            uri = args[-1]
            if kind == "refer-replaces":
                o = self.calls[args[1]]
                rep = "%s;to-tag=%s;from-tag=%s" % (o.call_id, tag_of(o.remote), o.local_tag)
                uri += "?Replaces=" + urllib.parse.quote(rep, safe="")
            c.refer_sent = True
            self.request(c, "REFER", extra=["Refer-To: <%s>" % uri, "Referred-By: %s" % self.contact])

    def step_done(self, step):
        kind, args = step[0], step[1:]
        c = self.calls.get(args[0])
        if kind == "call":
            if c.state == "ended":
                raise SystemExit("call %s: %s" % (args[0], c.info.get("answer")))
            return c.state == "up"
        if kind == "media":
            return c.media_done
        return c.refer_answer is not None and c.refer_answer < 300

    def idle(self):
        return (len(self.order) >= self.a.calls and not self.pending and
                all(self.calls[n].state == "ended" and self.calls[n].media_done for n in self.order))

    def run(self, steps):
        end = time.monotonic() + self.a.seconds
        started = False
        ok = False
        while time.monotonic() < end:
            now = time.monotonic()
            for branch, p in list(self.pending.items()):
                if now >= p[2] and not (p[6] and p[5] == "INVITE"):
                    if p[3] >= 10:
                        del self.pending[branch]
                        continue
                    self.send(p[0], p[1], "sent" if p[3] == 0 else "sent again")
                    p[2], p[3] = now + 0.5, p[3] + 1
            for c in self.calls.values():
                if c.media is not None and not c.media_done and c.media.poll() is not None:
                    c.media_done = True
                    try:
                        c.info["rtp"] = open(c.stats).read().strip()
                    except OSError:
                        c.info["rtp"] = "none"
                    if c.for_refer is not None:
                        self.end(c)
                if c.state == "ended" and c.media is None:
                    c.media_done = True
            if steps and not started:
                self.step_start(steps[0])
                started = True
            if steps and self.step_done(steps[0]):
                steps.pop(0)
                started = False
            if not steps and self.idle():
                ok = True
                break
            if select.select([self.sock], [], [], 0.02)[0]:
                data, src = self.sock.recvfrom(65536)
                self.log.write("=== received from %s:%d\n%s\n" % (src[0], src[1], data.decode(errors="replace")))
                self.log.flush()
                start, hdrs, body = parse_sip(data)
                if start.startswith("SIP/2.0 "):
                    self.on_response(start, hdrs, body)
                else:
                    self.on_request(start, hdrs, body, src)
        # answer what comes late (a retransmitted BYE) for a moment
        linger = time.monotonic() + 0.5
        while time.monotonic() < linger:
            if select.select([self.sock], [], [], 0.05)[0]:
                data, src = self.sock.recvfrom(65536)
                start, hdrs, body = parse_sip(data)
                if not start.startswith("SIP/2.0 "):
                    self.on_request(start, hdrs, body, src)
        with open(self.a.results + ".tmp", "w") as out:
            out.write("done=%d\n" % ok)
            for n in self.order:
                c = self.calls[n]
                out.write("%s.call_id=%s\n%s.state=%s\n" % (n, c.call_id, n, c.state))
                for k, v in c.info.items():
                    out.write("%s.%s=%s\n" % (n, k, v))
        os.rename(self.a.results + ".tmp", self.a.results)
        for c in self.calls.values():
            if c.media is not None and c.media.poll() is None:
                c.media.kill()
        return 0 if ok else 1


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--user", required=True)
    p.add_argument("--proxy", required=True)
    p.add_argument("--rtp-port", type=int, required=True)
    p.add_argument("--results", required=True)
    p.add_argument("--sip-port", type=int, default=5060)
    p.add_argument("--count", type=int, default=100)
    p.add_argument("--calls", type=int, default=1)
    p.add_argument("--seconds", type=float, default=40)
    p.add_argument("steps", nargs="*", help="each step one argument: 'call A 2001'")
    a = p.parse_args()
    return Agent(a).run([s.split() for s in a.steps])


if __name__ == "__main__":
    sys.exit(main())
