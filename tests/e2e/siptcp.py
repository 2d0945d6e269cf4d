#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""siptcp.py: crafted SIP over TCP for tests/e2e/test-tcp.sh, on both ends of one connection.

  siptcp.py server --port 5060 --log FILE [--tls-cert FILE --tls-key FILE]
      on the internet side: logs every message it receives, whole, between "=== MSG from
      IP:PORT len=N cl=C body=B" and "=== END" lines (N: the message's bytes as framed by
      Content-Length; B: the body's real length, so that cl == body when the message arrived
      intact); answers requests with a 200 (Contact/SDP echoed back as they came, naming the
      router's public address) and, after a REGISTER's 200, sends an INVITE with SDP to the
      registered Contact over the same connection (connection reuse, RFC 5923), --invite-after
      S seconds after the 200 (0 by default). With
      --tls-cert/--tls-key it speaks SIP over TLS (RFC 3261 26.2) on every connection.
  siptcp.py tls-phone --server IP:PORT --user U --log FILE
      SIP over TLS: a REGISTER naming its own (private) address, on one TLS connection (the
      server's certificate is not checked: the lab's is made on the spot); logs the reply.
  siptcp.py phone --server IP:PORT --user U --log FILE [--rtp-port P]
      on the LAN side: one connection; REGISTER; waits for the server's INVITE and answers it
      200 with SDP naming its own address and port P; then three OPTIONS in one segment;
      then an INVITE with SDP sent one byte per segment; then a BYE. Logs what it receives
      like the server.
  siptcp.py raw --server IP:PORT --log FILE
      not SIP first (garbage), then a REGISTER with a CRLFCRLF keep-alive before it, on one
      connection; logs what comes back like the phone.
  siptcp.py many --server IP:PORT -n N [--hold S]
      N connections at once, an OPTIONS on each; prints "ok=K reset=R" (replies, resets), keeps
      them open S seconds.
  siptcp.py serial --server IP:PORT -n N --log FILE
      N connections one after the other (each closed after its reply), an OPTIONS on each
      whose Via names the connection's port and whose Contact names 5060 (where a phone
      listens); logs the replies like the phone; prints "ok=K reset=R".
  siptcp.py half --server IP:PORT --wait S
      half a message, then nothing; prints "closed after N s" when the far side closes (reset
      or FIN) within S seconds, else "still open".
  siptcp.py sink --port P --seconds S
      accepts connections and never reads them, for S seconds.
  siptcp.py flood --server IP:PORT --seconds S
      sends OPTIONS after OPTIONS on one connection until a send has blocked for S seconds
      (the far side does not read); prints "sent=N" (bytes).
"""
import argparse
import socket
import ssl
import sys
import threading
import time


def addr(text):
    ip, port = text.rsplit(":", 1)
    return ip, int(port)


def read_message(s, buf=b""):
    """One message framed by Content-Length: (message, rest), or (None, buf) at EOF.
    CR/LF before a message (keep-alives) is skipped."""
    buf = buf.lstrip(b"\r\n")
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            return None, buf
        buf = (buf + chunk).lstrip(b"\r\n")
    head, rest = buf.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() in (b"content-length", b"l"):
            length = int(value.strip())
    while len(rest) < length:
        chunk = s.recv(65536)
        if not chunk:
            return None, buf
        rest += chunk
    return head + b"\r\n\r\n" + rest[:length], rest[length:]


def header(msg, name):
    for line in msg.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        n, _, v = line.partition(b":")
        if n.strip().lower() == name:
            return v.strip()
    return b""


def log_message(log, msg, rest_after, peer):
    """Logs one framed message; body= is what actually followed the header block."""
    head, _, body = msg.partition(b"\r\n\r\n")
    cl = header(msg, b"content-length").decode() or "none"
    log.write("=== MSG from %s:%d len=%d cl=%s body=%d\n" % (peer[0], peer[1], len(msg), cl, len(body)))
    log.write(msg.decode(errors="replace").replace("\r\n", "\n"))
    log.write("\n=== END\n")
    log.flush()


def sdp(ip, port):
    return ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n" % (ip, ip, port)).encode()


def message(start, headers, body=b""):
    text = start + "\r\n" + "".join("%s: %s\r\n" % h for h in headers)
    text += "Content-Length: %d\r\n\r\n" % len(body)
    return text.encode() + body


def reply_to(req, code, extra=(), body=b""):
    keep = [(n.decode(), header(req, n.lower()).decode()) for n in (b"Via", b"From", b"To", b"Call-ID", b"CSeq")]
    if body:
        extra = list(extra) + [("Content-Type", "application/sdp")]
    return message("SIP/2.0 %d OK" % code, keep + list(extra), body)


def send_quietly(c, data):
    try:
        c.sendall(data)
    except OSError:
        pass  # the peer has gone meanwhile


def cmd_server(a):
    log = open(a.log, "a")
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", a.port))
    ls.listen(16)
    me = a.me
    tls = None
    if a.tls_cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(a.tls_cert, a.tls_key)

    def serve(c, peer):
        if tls:
            try:
                c = tls.wrap_socket(c, server_side=True)
            except (ssl.SSLError, OSError):
                c.close()
                return
        buf = b""
        n = 0
        while True:
            try:
                msg, buf = read_message(c, buf)
            except OSError:
                break
            if msg is None:
                break
            log_message(log, msg, buf, peer)
            first = msg.split(b"\r\n", 1)[0]
            if first.startswith(b"SIP/2.0"):
                if header(msg, b"cseq").endswith(b"INVITE") and header(msg, b"call-id").startswith(b"reuse-"):
                    target = header(msg, b"contact").strip(b"<>").split(b">")[0].decode()
                    c.sendall(message("ACK %s SIP/2.0" % target, [
                        ("Via", "SIP/2.0/TCP %s:%d;branch=z9hG4bK-srvack%d" % (me, a.port, n)),
                        ("Max-Forwards", "70"), ("From", header(msg, b"from").decode()),
                        ("To", header(msg, b"to").decode()), ("Call-ID", header(msg, b"call-id").decode()),
                        ("CSeq", "1 ACK")]))
                continue
            method = first.split()[0]
            if method == b"ACK":
                continue
            contact = header(msg, b"contact")
            c.sendall(reply_to(msg, 200, [("Contact", contact.decode())] if contact else []))
            if method == b"REGISTER":
                # the Contact as registered (public, as the ALG wrote it), over this connection,
                # later if asked (meanwhile the connection is served as before)
                uri = contact.strip(b"<>").split(b">")[0].decode()
                n += 1
                invite = message("INVITE %s SIP/2.0" % uri, [
                    ("Via", "SIP/2.0/TCP %s:%d;branch=z9hG4bK-srv%d" % (me, a.port, n)),
                    ("Max-Forwards", "70"), ("From", "<sip:2001@%s>;tag=srv%d" % (me, n)),
                    ("To", "<%s>" % uri), ("Call-ID", "reuse-%d@%s" % (n, me)),
                    ("CSeq", "1 INVITE"), ("Contact", "<sip:2001@%s:%d;transport=tcp>" % (me, a.port)),
                    ("Content-Type", "application/sdp")], sdp(me, a.rtp_port))
                threading.Timer(a.invite_after, send_quietly, args=(c, invite)).start()
        c.close()

    while True:
        c, peer = ls.accept()
        threading.Thread(target=serve, args=(c, peer), daemon=True).start()


def cmd_phone(a):
    log = open(a.log, "a")
    srv = addr(a.server)
    s = socket.create_connection(srv, timeout=30)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    me = s.getsockname()
    ip = me[0]

    def req(method, seq, body=b"", uri=None, cid="phone"):
        h = [("Via", "SIP/2.0/TCP %s:5060;branch=z9hG4bK-ph%d" % (ip, seq)), ("Max-Forwards", "70"),
             ("From", "<sip:%s@%s>;tag=ph" % (a.user, srv[0])), ("To", "<sip:%s@%s>" % (a.user, srv[0])),
             ("Call-ID", "%s-%d@%s" % (cid, seq, ip)), ("CSeq", "%d %s" % (seq, method)),
             ("Contact", "<sip:%s@%s:5060;transport=tcp>" % (a.user, ip))]
        if method == "REGISTER":
            h.append(("Expires", "300"))
        if body:
            h.append(("Content-Type", "application/sdp"))
        return message("%s %s SIP/2.0" % (method, uri or "sip:%s" % srv[0]), h, body)

    buf = b""

    def expect(what):
        nonlocal buf
        msg, buf = read_message(s, buf)
        if msg is None:
            print("eof waiting for %s" % what, flush=True)
            sys.exit(1)
        log_message(log, msg, buf, srv)
        return msg

    s.sendall(req("REGISTER", 1))
    expect("200 to REGISTER")
    invite = expect("INVITE over the same connection")
    print("invite-uri=%s" % invite.split(b"\r\n", 1)[0].split()[1].decode(), flush=True)
    s.sendall(reply_to(invite, 200, [("Contact", "<sip:%s@%s:5060;transport=tcp>" % (a.user, ip))],
                       sdp(ip, a.rtp_port)))
    expect("ACK")
    # a keep-alive ping, then three requests in one segment
    s.sendall(b"\r\n\r\n")
    time.sleep(0.2)
    s.sendall(req("OPTIONS", 2) + req("OPTIONS", 3) + req("OPTIONS", 4))
    for i in range(3):
        expect("200 to OPTIONS %d" % i)
    # an INVITE with SDP, one byte per segment
    one = req("INVITE", 5, sdp(ip, a.rtp_port + 2), uri="sip:2001@%s" % srv[0], cid="bytewise")
    for i in range(len(one)):
        s.send(one[i:i + 1])
        time.sleep(0.002)
    expect("200 to the byte-wise INVITE")
    # a 60 KiB message (over TCP the limit is tcp_max_message_size, 65535)
    big = req("MESSAGE", 7, uri="sip:2001@%s" % srv[0], cid="big").replace(
        b"Content-Length: 0\r\n\r\n", b"Content-Type: text/plain\r\nContent-Length: 60000\r\n\r\n")
    s.sendall(big + (b"0123456789" * 6000))
    expect("200 to the 60 KiB MESSAGE")
    print("ready", flush=True)
    if a.hold:
        time.sleep(a.hold)
    # both calls end: the server's (in its dialog, from its callee) and the byte-wise one
    bye = [("Via", "SIP/2.0/TCP %s:5060;branch=z9hG4bK-phbye1" % ip), ("Max-Forwards", "70"),
           ("From", header(invite, b"to").decode() + ";tag=phone"), ("To", header(invite, b"from").decode()),
           ("Call-ID", header(invite, b"call-id").decode()), ("CSeq", "1 BYE")]
    target = header(invite, b"contact").strip(b"<>").split(b">")[0].decode()
    s.sendall(message("BYE %s SIP/2.0" % target, bye))
    expect("200 to the BYE")
    s.sendall(req("BYE", 6, uri="sip:2001@%s" % srv[0], cid="bytewise").replace(b"bytewise-6", b"bytewise-5"))
    expect("200 to the second BYE")
    print("done", flush=True)
    s.close()
    return 0


def options(ip, port, srv, n, kind="many", contact_port=None):
    """An OPTIONS whose Via names the connection's port; its Contact too, or contact_port."""
    return message("OPTIONS sip:%s SIP/2.0" % srv[0], [
        ("Via", "SIP/2.0/TCP %s:%d;branch=z9hG4bK-%s%d" % (ip, port, kind, n)), ("Max-Forwards", "70"),
        ("From", "<sip:1004@%s>;tag=m%d" % (srv[0], n)), ("To", "<sip:1004@%s>" % srv[0]),
        ("Call-ID", "%s-%d@%s" % (kind, n, ip)), ("CSeq", "1 OPTIONS"),
        ("Contact", "<sip:1004@%s:%d;transport=tcp>" % (ip, contact_port or port))])


def cmd_raw(a):
    log = open(a.log, "a")
    srv = addr(a.server)
    s = socket.create_connection(srv, timeout=5)
    ip, port = s.getsockname()
    s.sendall(b"HELLO this is not SIP\r\n\r\n")
    time.sleep(0.3)
    reg = message("REGISTER sip:%s SIP/2.0" % srv[0], [
        ("Via", "SIP/2.0/TCP %s:5060;branch=z9hG4bK-raw" % ip), ("Max-Forwards", "70"),
        ("From", "<sip:1005@%s>;tag=raw" % srv[0]), ("To", "<sip:1005@%s>" % srv[0]),
        ("Call-ID", "raw@%s" % ip), ("CSeq", "1 REGISTER"),
        ("Contact", "<sip:1005@%s:5060;transport=tcp>" % ip), ("Expires", "300")])
    s.sendall(b"\r\n\r\n" + reg)
    s.settimeout(2)
    buf = b""
    try:
        while True:
            msg, buf = read_message(s, buf)
            if msg is None:
                break
            log_message(log, msg, buf, srv)
    except (socket.timeout, OSError):
        pass
    s.close()
    return 0


def cmd_tls_phone(a):
    log = open(a.log, "a")
    srv = addr(a.server)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    tls.check_hostname = False
    tls.verify_mode = ssl.CERT_NONE
    s = tls.wrap_socket(socket.create_connection(srv, timeout=5))
    ip, port = s.getsockname()
    s.sendall(message("REGISTER sips:%s SIP/2.0" % srv[0], [
        ("Via", "SIP/2.0/TLS %s:%d;branch=z9hG4bK-tls" % (ip, port)), ("Max-Forwards", "70"),
        ("From", "<sips:%s@%s>;tag=tls" % (a.user, srv[0])), ("To", "<sips:%s@%s>" % (a.user, srv[0])),
        ("Call-ID", "tls@%s" % ip), ("CSeq", "1 REGISTER"),
        ("Contact", "<sips:%s@%s:%d>" % (a.user, ip, port)), ("Expires", "300")]))
    msg, _ = read_message(s, b"")
    if msg is not None:
        log_message(log, msg, b"", srv)
    s.close()
    return 0 if msg is not None and msg.startswith(b"SIP/2.0 200") else 1


def cmd_many(a):
    srv = addr(a.server)
    socks, ok, reset = [], 0, 0
    for i in range(a.n):
        try:
            s = socket.create_connection(srv, timeout=3)
            ip, port = s.getsockname()
            s.sendall(options(ip, port, srv, i))
            msg, _ = read_message(s, b"")
            if msg is None:
                reset += 1
            else:
                ok += 1
            socks.append(s)
        except (ConnectionResetError, BrokenPipeError):
            reset += 1
        except (socket.timeout, OSError):
            reset += 1
    print("ok=%d reset=%d" % (ok, reset), flush=True)
    time.sleep(a.hold)
    for s in socks:
        s.close()
    return 0


def cmd_serial(a):
    log = open(a.log, "a")
    srv = addr(a.server)
    ok, reset = 0, 0
    for i in range(a.n):
        try:
            s = socket.create_connection(srv, timeout=3)
            ip, port = s.getsockname()
            s.sendall(options(ip, port, srv, i, "serial", 5060))
            msg, _ = read_message(s, b"")
            if msg is None:
                reset += 1
            else:
                ok += 1
                log_message(log, msg, b"", srv)
            s.close()
        except OSError:
            reset += 1
    print("ok=%d reset=%d" % (ok, reset), flush=True)
    return 0


def cmd_half(a):
    srv = addr(a.server)
    s = socket.create_connection(srv, timeout=5)
    ip, port = s.getsockname()
    s.sendall(options(ip, port, srv, 99)[:40])
    start = time.monotonic()
    s.settimeout(a.wait)
    try:
        data = s.recv(4096)
        print("closed after %d s%s" % (time.monotonic() - start, "" if not data else " (data)"), flush=True)
    except socket.timeout:
        print("still open", flush=True)
    except OSError:
        print("closed after %d s (reset)" % (time.monotonic() - start), flush=True)
    return 0


def cmd_sink(a):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    ls.bind(("0.0.0.0", a.port))
    ls.listen(16)
    ls.settimeout(a.seconds)
    held = []
    end = time.monotonic() + a.seconds
    while time.monotonic() < end:
        try:
            c, _ = ls.accept()
            held.append(c)
        except socket.timeout:
            break
    return 0


def cmd_flood(a):
    srv = addr(a.server)
    s = socket.create_connection(srv, timeout=5)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    ip, port = s.getsockname()
    s.settimeout(a.seconds)
    sent, n = 0, 0
    try:
        while True:
            msg = options(ip, port, srv, n)
            s.sendall(msg)
            sent += len(msg)
            n += 1
    except (socket.timeout, OSError):
        pass
    print("sent=%d" % sent, flush=True)
    time.sleep(a.hold)
    s.close()
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("server")
    r.add_argument("--port", type=int, default=5060)
    r.add_argument("--me", required=True, help="the server's own address, written in its messages")
    r.add_argument("--rtp-port", type=int, default=20000)
    r.add_argument("--log", required=True)
    r.add_argument("--invite-after", type=float, default=0)
    r.add_argument("--tls-cert")
    r.add_argument("--tls-key")
    r = sub.add_parser("tls-phone")
    r.add_argument("--server", required=True)
    r.add_argument("--user", default="1006")
    r.add_argument("--log", required=True)
    r = sub.add_parser("phone")
    r.add_argument("--server", required=True)
    r.add_argument("--user", default="1003")
    r.add_argument("--rtp-port", type=int, default=16010)
    r.add_argument("--hold", type=float, default=0)
    r.add_argument("--log", required=True)
    r = sub.add_parser("raw")
    r.add_argument("--server", required=True)
    r.add_argument("--log", required=True)
    r = sub.add_parser("many")
    r.add_argument("--server", required=True)
    r.add_argument("-n", type=int, default=5)
    r.add_argument("--hold", type=float, default=0)
    r = sub.add_parser("serial")
    r.add_argument("--server", required=True)
    r.add_argument("-n", type=int, default=5)
    r.add_argument("--log", required=True)
    r = sub.add_parser("half")
    r.add_argument("--server", required=True)
    r.add_argument("--wait", type=float, default=30)
    r = sub.add_parser("sink")
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--seconds", type=float, default=30)
    r = sub.add_parser("flood")
    r.add_argument("--server", required=True)
    r.add_argument("--seconds", type=float, default=2)
    r.add_argument("--hold", type=float, default=0)
    a = p.parse_args()
    return {"server": cmd_server, "phone": cmd_phone, "tls-phone": cmd_tls_phone, "raw": cmd_raw, "many": cmd_many,
            "serial": cmd_serial, "half": cmd_half, "sink": cmd_sink, "flood": cmd_flood}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
