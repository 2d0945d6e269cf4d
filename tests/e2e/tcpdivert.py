#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""tcpdivert.py: SIP over TCP pieces for tests/e2e/test-tcp-divert.sh, which checks the kernel
plumbing that sipalgd's transparent TCP proxy will rely on (nftables tproxy + IP_TRANSPARENT).

  tcpdivert.py register DST_IP [--port 5060] [--user 1001] [--timeout S] [--hold PATH]
                       [--bind IP:PORT]
      a REGISTER over a new TCP connection (from IP:PORT with --bind); prints "status=CODE
      local=IP:PORT ms=N" (N: milliseconds from connect to the reply) and exits 0 on a 200. With --hold, after the reply it creates PATH.ready, waits for PATH.go, then
      reads for up to 3 s, sends a second REGISTER, reads its reply, sends a third, and prints
      what the socket saw: "after recv=eof|reset|timeout|data send=ok|reset|...
      reply=eof|reset|timeout|CODE send=...".
  tcpdivert.py relay --listen IP:PORT --log FILE [--map LOCAL=DEST ...]
      a transparent relay (IP_TRANSPARENT listener): every connection it accepts is logged
      ("accept peer=IP:PORT local=IP:PORT": local is the address the client connected to),
      relayed over a new connection of the router's own to that address ("upstream
      local=IP:PORT peer=IP:PORT"), both ways, byte for byte. A connection to LOCAL (the
      router's public ip:port) goes to DEST instead (a phone), from the client's own address
      (a transparent bind), as sipalgd would relay a server's connection to a phone.
  tcpdivert.py tconnect --src IP:PORT --dst IP:PORT [--timeout S]
      a connection from a source address that is not the host's own (IP_TRANSPARENT bind),
      an OPTIONS on it; prints "status=CODE local=IP:PORT" and exits 0 on a 200.
  tcpdivert.py uas --port N --log FILE
      answers every SIP request arriving over TCP on PORT with a 200 and logs
      "request METHOD from IP:PORT to IP:PORT".
"""
import argparse
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from siptcp import read_message  # noqa: E402 (one framer for the lab's TCP peers)

IP_TRANSPARENT = 19  # SOL_IP option, <linux/in.h>


def addr(text):
    ip, port = text.rsplit(":", 1)
    return ip, int(port)


def fmt(a):
    return "%s:%d" % (a[0], a[1])


def request(method, user, dst, local, seq):
    uri = "sip:%s" % dst[0] if method == "REGISTER" else "sip:%s@%s" % (user, dst[0])
    text = ("%s %s SIP/2.0\r\n"
            "Via: SIP/2.0/TCP %s;branch=z9hG4bK-tcpdivert-%d-%d\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:%s@%s>;tag=td%d\r\nTo: <sip:%s@%s>\r\n"
            "Call-ID: tcpdivert-%d-%s@%s\r\nCSeq: %d %s\r\n"
            "Contact: <sip:%s@%s;transport=tcp>\r\n"
            "Expires: 300\r\nContent-Length: 0\r\n\r\n") % (
                method, uri, fmt(local), os.getpid(), seq, user, dst[0], os.getpid(), user,
                dst[0], os.getpid(), user, local[0], seq, method, user, fmt(local))
    return text.encode()


def status(msg):
    if msg is None:
        return "eof"
    first = msg.split(b"\r\n", 1)[0].split()
    return first[1].decode() if len(first) > 1 and first[0] == b"SIP/2.0" else "not-a-reply"


def wait_file(path, seconds):
    end = time.time() + seconds
    while not os.path.exists(path):
        if time.time() > end:
            return False
        time.sleep(0.05)
    return True


def outcome(fn):
    try:
        return fn()
    except socket.timeout:
        return "timeout"
    except ConnectionResetError:
        return "reset"
    except OSError as e:
        return "error-%s" % (e.strerror or e).replace(" ", "-")


def cmd_register(a):
    dst = (a.dst, a.port)
    start = time.monotonic()
    s = socket.create_connection(dst, timeout=a.timeout,
                                 source_address=addr(a.bind) if a.bind else None)
    local = s.getsockname()
    s.sendall(request("REGISTER", a.user, dst, local, 1))
    msg, rest = read_message(s)
    code = status(msg)
    print("status=%s local=%s ms=%d" % (code, fmt(local), (time.monotonic() - start) * 1000),
          flush=True)
    if a.hold:
        open(a.hold + ".ready", "w").close()
        if not wait_file(a.hold + ".go", 30):
            print("after go-not-given", flush=True)
            return 1
        s.settimeout(3)

        def recv():
            data = s.recv(65536)
            return "data" if data else "eof"

        def send():
            s.sendall(request("REGISTER", a.user, dst, local, 2))
            return "ok"

        def reply():
            time.sleep(0.5)  # time for the router's answer to the segment just sent
            return status(read_message(s, rest)[0])

        print("after recv=%s send=%s reply=%s send=%s" % (outcome(recv), outcome(send),
                                                          outcome(reply), outcome(send)),
              flush=True)
    s.close()
    return 0 if code == "200" else 1


def pump(src, dst, done):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    done.set()


def cmd_relay(a):
    log = open(a.log, "a", buffering=1)
    maps = dict((addr(m.split("=")[0]), addr(m.split("=")[1])) for m in a.map)
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.setsockopt(socket.SOL_IP, IP_TRANSPARENT, 1)
    lsock.bind(addr(a.listen))
    lsock.listen(16)
    log.write("listening %s\n" % a.listen)
    while True:
        c, peer = lsock.accept()
        local = c.getsockname()
        log.write("accept peer=%s local=%s\n" % (fmt(peer), fmt(local)))

        def serve(c=c, peer=peer, local=local):
            dest = maps.get(local, local)
            try:
                u = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                if dest != local:  # inbound: to the phone, from the peer's own address
                    u.setsockopt(socket.SOL_IP, IP_TRANSPARENT, 1)
                    u.bind((peer[0], 0))
                u.settimeout(5)
                u.connect(dest)
            except OSError as e:
                log.write("upstream failed %s: %s\n" % (fmt(dest), e))
                c.close()
                return
            u.settimeout(None)
            log.write("upstream local=%s peer=%s\n" % (fmt(u.getsockname()), fmt(dest)))
            d1, d2 = threading.Event(), threading.Event()
            threading.Thread(target=pump, args=(c, u, d1), daemon=True).start()
            threading.Thread(target=pump, args=(u, c, d2), daemon=True).start()
            d1.wait()
            d2.wait()
            c.close()
            u.close()

        threading.Thread(target=serve, daemon=True).start()


def cmd_tconnect(a):
    src, dst = addr(a.src), addr(a.dst)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_IP, IP_TRANSPARENT, 1)
    s.bind(src)
    s.settimeout(a.timeout)
    try:
        s.connect(dst)
        local = s.getsockname()
        s.sendall(request("OPTIONS", "1001", dst, local, 1))
        code = status(read_message(s)[0])
    except socket.timeout:
        code, local = "timeout", src
    except OSError as e:
        code, local = "error-%s" % (e.strerror or e).replace(" ", "-"), src
    print("status=%s local=%s" % (code, fmt(local)), flush=True)
    return 0 if code == "200" else 1


def cmd_uas(a):
    log = open(a.log, "a", buffering=1)
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("0.0.0.0", a.port))
    lsock.listen(16)
    log.write("listening %d\n" % a.port)

    def serve(c, peer):
        buf = b""
        while True:
            try:
                msg, buf = read_message(c, buf)
            except OSError:
                break
            if msg is None:
                break
            head = msg.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
            log.write("request %s from %s to %s\n" % (head[0].split()[0].decode(), fmt(peer),
                                                        fmt(c.getsockname())))
            keep = [h for h in head[1:] if h.split(b":")[0].strip().lower() in
                    (b"via", b"from", b"to", b"call-id", b"cseq")]
            c.sendall(b"SIP/2.0 200 OK\r\n" + b"\r\n".join(keep) +
                      b"\r\nContent-Length: 0\r\n\r\n")
        c.close()

    while True:
        c, peer = lsock.accept()
        threading.Thread(target=serve, args=(c, peer), daemon=True).start()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("register")
    r.add_argument("dst")
    r.add_argument("--port", type=int, default=5060)
    r.add_argument("--user", default="1001")
    r.add_argument("--timeout", type=float, default=5)
    r.add_argument("--hold")
    r.add_argument("--bind")
    r = sub.add_parser("relay")
    r.add_argument("--listen", required=True)
    r.add_argument("--log", required=True)
    r.add_argument("--map", action="append", default=[])
    r = sub.add_parser("tconnect")
    r.add_argument("--src", required=True)
    r.add_argument("--dst", required=True)
    r.add_argument("--timeout", type=float, default=5)
    r = sub.add_parser("uas")
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--log", required=True)
    a = p.parse_args()
    try:
        return {"register": cmd_register, "relay": cmd_relay, "tconnect": cmd_tconnect,
                "uas": cmd_uas}[a.cmd](a)
    except socket.timeout:
        print("status=timeout", flush=True)
        return 1
    except OSError as e:
        print("status=error-%s" % (e.strerror or e).replace(" ", "-"), flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
