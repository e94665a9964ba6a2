#!/usr/bin/env python3
# tests/e2e/sipsend.py — hand-made SIP datagrams for the end-to-end runner, sent from inside a test
# namespace (ip netns exec), for the cases SIPp cannot express: forged in-dialog requests, datagrams
# of a chosen size, and a listener that counts what reaches a namespace. Only ever talks to the
# addresses it is given (the devnet's). Exit status 0 = the check holds; stderr says what did not.
#   sipsend.py forge BIND GW TARGET        forged requests with a To tag (INVITE, BYE, ACK, MESSAGE,
#                                          REFER, OPTIONS), without a Route, with a Route naming GW
#                                          and with a forged token, all to TARGET; each non-ACK must
#                                          draw exactly a 481 from GW, each ACK nothing
#   sipsend.py options BIND GW SIZE...     OPTIONS to GW of about SIZE bytes each (the sender's kernel
#                                          fragments the large ones); each must draw a 200
#   sipsend.py silent BIND GW UA COUNT     COUNT OPTIONS to GW with User-Agent UA (a scanner's, or from a
#                                          banned source); none may draw any answer within a second
#   sipsend.py burst BIND GW COUNT         COUNT OPTIONS to GW at once, each a new transaction; prints
#                                          how many drew an answer within 2 s (sooner once all have)
#   sipsend.py hepsink BIND:PORT SECONDS OUT  a HEPv3 collector: decodes each datagram (its own decoder)
#                                          and writes one JSON line per message to OUT: src, dst,
#                                          capture_id, call_id, payload; a datagram that is not HEPv3
#                                          is written as {"bad": hex}
#   sipsend.py sink BIND:PORT SECONDS OUT  counts datagrams arriving at BIND:PORT for SECONDS (or until
#                                          SIGTERM), writes the count to OUT
#   sipsend.py garp DEV ADDR MAC           one gratuitous ARP request (RFC 5227 §3 announcement) out of
#                                          DEV: ADDR is at MAC, broadcast, as a standby router sends it
import random
import signal
import socket
import sys
import time


def sock(bind_ip, port=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((bind_ip, port))
    return s


def answers(s, wait, call_id=None, settle=None, enough=None):
    """First lines of the datagrams arriving within `wait` seconds (of call `call_id` only, if given:
    an INVITE's final response is retransmitted until ACKed, and may arrive while a later request
    waits). With `settle`, the wait ends `settle` seconds after the first final response; with
    `enough`, as soon as that many have arrived."""
    out = []
    end = time.time() + wait
    while True:
        left = end - time.time()
        if left <= 0 or (enough is not None and len(out) >= enough):
            return out
        s.settimeout(left)
        try:
            data, _ = s.recvfrom(70000)
        except socket.timeout:
            return out
        text = data.decode("latin-1")
        if call_id is not None and ("\r\nCall-ID: %s\r\n" % call_id) not in text:
            continue
        out.append(text.split("\r\n", 1)[0])
        if settle is not None and not out[-1].startswith("SIP/2.0 1"):
            end = min(end, time.time() + settle)


def request(method, target, bind_ip, port, route, n, call_id):
    cseq_method = method
    branch = "z9hG4bKforge%d%06d" % (n, random.randrange(10**6))
    lines = [
        "%s %s SIP/2.0" % (method, target),
        "Via: SIP/2.0/UDP %s:%d;branch=%s;rport" % (bind_ip, port, branch),
    ]
    if route:
        lines.append("Route: " + route)
    lines += [
        "Max-Forwards: 70",
        "From: <sip:1006@sipedge.test>;tag=forged%d" % n,
        "To: <%s>;tag=victim%d" % (target, n),
        "Call-ID: " + call_id,
        "CSeq: 7 %s" % cseq_method,
        "Contact: <sip:1006@%s:%d>" % (bind_ip, port),
        "Content-Length: 0",
        "",
        "",
    ]
    return "\r\n".join(lines).encode()


def cmd_forge(bind_ip, gw, target):
    gw_ip, gw_port = gw.rsplit(":", 1)
    s = sock(bind_ip)
    port = s.getsockname()[1]
    routes = ["", "<sip:%s;lr>" % gw, "<sip:%s;lr;sek=1.00000000000000000000>" % gw]
    bad = []
    n = 0
    for route in routes:
        for method in ("INVITE", "BYE", "ACK", "MESSAGE", "REFER", "OPTIONS"):
            n += 1
            call_id = "forged-%d-%d@%s" % (n, random.randrange(10**9), bind_ip)
            s.sendto(request(method, target, bind_ip, port, route, n, call_id), (gw_ip, int(gw_port)))
            # An ACK gets nothing: the whole half second. Any other request: a little past its
            # final answer, long enough for a second, different one to show.
            got = [a for a in answers(s, 0.5, call_id, settle=0.1) if not a.startswith("SIP/2.0 100 ")]
            want = [] if method == "ACK" else ["SIP/2.0 481"]
            # An INVITE's 481 is retransmitted (Timer G) since nobody ACKs it: one distinct answer.
            if sorted(set(a[:11] for a in got)) != want:
                bad.append("%s route=%r: got %s, want %s" % (method, route, got, want))
    for b in bad:
        print("forge: " + b, file=sys.stderr)
    print("forge: %d forged requests, %d answered wrongly" % (n, len(bad)))
    return 1 if bad else 0


def cmd_options(bind_ip, gw, sizes):
    gw_ip, gw_port = gw.rsplit(":", 1)
    s = sock(bind_ip)
    port = s.getsockname()[1]
    bad = []
    for size in sizes:
        head = ("OPTIONS sip:sipedge.test SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bKsize%d;rport\r\n"
                "Max-Forwards: 70\r\nFrom: <sip:probe@%s>;tag=s%d\r\nTo: <sip:sipedge.test>\r\n"
                "Call-ID: size-%d@%s\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\nX-Padding: "
                % (bind_ip, port, size, bind_ip, size, size, bind_ip))
        msg = head + "p" * max(0, size - len(head) - 4) + "\r\n\r\n"
        s.sendto(msg.encode(), (gw_ip, int(gw_port)))
        got = answers(s, 2.0, "size-%d@%s" % (size, bind_ip), settle=0)
        print("options: %d bytes -> %s" % (len(msg), got[0] if got else "no answer"))
        if not got or not got[0].startswith("SIP/2.0 200 "):
            bad.append(size)
    return 1 if bad else 0


def cmd_silent(bind_ip, gw, user_agent, count):
    gw_ip, gw_port = gw.rsplit(":", 1)
    s = sock(bind_ip)
    port = s.getsockname()[1]
    for n in range(count):
        msg = ("OPTIONS sip:100@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bKscan%d%06d;rport\r\n"
               "Max-Forwards: 70\r\nFrom: \"scan\" <sip:100@%s>;tag=sc%d\r\nTo: \"scan\" <sip:100@%s>\r\n"
               "Call-ID: scan-%d-%d@%s\r\nCSeq: 1 OPTIONS\r\nUser-Agent: %s\r\nAccept: application/sdp\r\n"
               "Content-Length: 0\r\n\r\n"
               % (gw_ip, bind_ip, port, n, random.randrange(10**6), bind_ip, n, bind_ip, n,
                  random.randrange(10**9), bind_ip, user_agent))
        s.sendto(msg.encode(), (gw_ip, int(gw_port)))
    got = answers(s, 1.0)
    print("silent: %d OPTIONS with User-Agent %r from %s -> %d answers %s" % (count, user_agent, bind_ip, len(got), got[:3]))
    return 1 if got else 0


def cmd_burst(bind_ip, gw, count):
    gw_ip, gw_port = gw.rsplit(":", 1)
    s = sock(bind_ip)
    port = s.getsockname()[1]
    tag = random.randrange(10**9)
    for n in range(count):
        msg = ("OPTIONS sip:sipedge.test SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bKburst%d-%d;rport\r\n"
               "Max-Forwards: 70\r\nFrom: <sip:probe@%s>;tag=b%d\r\nTo: <sip:sipedge.test>\r\n"
               "Call-ID: burst-%d-%d@%s\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
               % (bind_ip, port, tag, n, bind_ip, n, tag, n, bind_ip))
        s.sendto(msg.encode(), (gw_ip, int(gw_port)))
    print(len(answers(s, 2.0, enough=count)))
    return 0


def cmd_sink(bind, seconds, out):
    ip, port = bind.rsplit(":", 1)
    s = sock(ip, int(port))
    count = 0
    stop = [False]
    signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__(0, True))
    end = time.time() + float(seconds)
    print("ready", flush=True)
    while not stop[0] and time.time() < end:
        s.settimeout(0.2)
        try:
            s.recvfrom(70000)
            count += 1
        except socket.timeout:
            pass
        except InterruptedError:
            pass
    with open(out, "w") as f:
        f.write("%d\n" % count)
    return 0


def hep_decode(d):
    if len(d) < 6 or d[:4] != b"HEP3" or int.from_bytes(d[4:6], "big") != len(d):
        return None
    chunks, at = {}, 6
    while at < len(d):
        if at + 6 > len(d):
            return None
        vendor, typ, ln = (int.from_bytes(d[at + i:at + i + 2], "big") for i in (0, 2, 4))
        if vendor != 0 or ln < 6 or at + ln > len(d):
            return None
        chunks[typ] = d[at + 6:at + ln]
        at += ln
    v6 = chunks.get(1) == b"\x0a"
    fam = socket.AF_INET6 if v6 else socket.AF_INET
    src = socket.inet_ntop(fam, chunks[5 if v6 else 3])
    dst = socket.inet_ntop(fam, chunks[6 if v6 else 4])
    fmt = "[%s]:%d" if v6 else "%s:%d"
    return {
        "src": fmt % (src, int.from_bytes(chunks[7], "big")),
        "dst": fmt % (dst, int.from_bytes(chunks[8], "big")),
        "time": int.from_bytes(chunks[9], "big") + int.from_bytes(chunks[10], "big") / 1e6,
        "proto": chunks[11][0],
        "capture_id": int.from_bytes(chunks[12], "big"),
        "call_id": chunks.get(0x11, b"").decode("latin-1"),
        "payload": chunks[15].decode("latin-1"),
    }


def cmd_hepsink(bind, seconds, out):
    import json
    ip, port = bind.rsplit(":", 1)
    s = sock(ip, int(port))
    stop = [False]
    signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__(0, True))
    end = time.time() + float(seconds)
    print("ready", flush=True)
    with open(out, "w") as f:
        while not stop[0] and time.time() < end:
            s.settimeout(0.2)
            try:
                data, _ = s.recvfrom(70000)
            except (socket.timeout, InterruptedError):
                continue
            rec = hep_decode(data)
            f.write(json.dumps(rec if rec else {"bad": data.hex()}) + "\n")
            f.flush()
    return 0


def cmd_garp(dev, addr, mac):
    hw = bytes(int(b, 16) for b in mac.split(":"))
    ip = socket.inet_aton(addr)
    frame = (b"\xff" * 6 + hw + b"\x08\x06"                     # Ethernet: broadcast, ARP
             + b"\x00\x01\x08\x00\x06\x04\x00\x01"             # Ethernet/IPv4, 6/4 bytes, request
             + hw + ip + b"\x00" * 6 + ip)                       # sender = target address
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((dev, 0))
    s.send(frame)
    print("garp: %s is at %s, announced on %s" % (addr, mac, dev))
    return 0


def main(argv):
    if len(argv) >= 4 and argv[0] == "forge":
        return cmd_forge(argv[1], argv[2], argv[3])
    if len(argv) >= 4 and argv[0] == "options":
        return cmd_options(argv[1], argv[2], [int(x) for x in argv[3:]])
    if len(argv) == 5 and argv[0] == "silent":
        return cmd_silent(argv[1], argv[2], argv[3], int(argv[4]))
    if len(argv) == 4 and argv[0] == "burst":
        return cmd_burst(argv[1], argv[2], int(argv[3]))
    if len(argv) == 4 and argv[0] == "hepsink":
        return cmd_hepsink(argv[1], argv[2], argv[3])
    if len(argv) == 4 and argv[0] == "sink":
        return cmd_sink(argv[1], argv[2], argv[3])
    if len(argv) == 4 and argv[0] == "garp":
        return cmd_garp(argv[1], argv[2], argv[3])
    print(__doc__ or "usage: see the header of tests/e2e/sipsend.py", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
