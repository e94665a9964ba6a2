#!/usr/bin/env python3
# tests/e2e/b2bua_transfer.py — seed 001's attended transfer through sipedge in b2bua mode, for
# b2bua.sh: the REFER names, in its Replaces, a dialog whose to-tag sipedge chose and that another
# call holds, which SIPp cannot express. Two modes, each run in its namespace (ip netns exec), each
# talking only to the addresses it is given:
#   b2bua_transfer.py answer BIND:PORT SECONDS LOG
#       core side, the transfer's B (5001) and C (5002): answers every INVITE 200 with SDP (its own
#       tag, "t" + the Call-ID's digest), REFER 202, BYE and anything else 200 (ACK: nothing); writes
#       each request it receives as a JSON line {"start", "headers": [[name, value]...]} to LOG.
#   b2bua_transfer.py refer BIND:PORT GW SHARDS LOG
#       access side, A (1006, digest): calls 5001 (held) and 5002 (the consultation), the second on
#       another control shard than the first when SHARDS > 1 (the 407's nonce names the shard that
#       issued it, control/auth/digest.cc); REFERs held's far end to 5002 with Replaces naming A's
#       consultation dialog; then reads LOG: B's REFER must name, in its Replaces, C's dialog as C
#       has it (the INVITE's Call-ID and From tag, C's own tag), and nothing of A's; hangs up the
#       calls that were answered, whatever failed.
# Exit status 0 = every check held; stderr says what did not.
import hashlib
import json
import random
import socket
import sys
import time
import urllib.parse

PASSWORD = "sipedge-1006"


def parse(data):
    text = data.decode("utf-8", "replace")
    head, _, body = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append([name.strip(), value.strip()])
    return lines[0], headers, body


def values(headers, name):
    return [v for n, v in headers if n.lower() == name.lower()]


def first(headers, name):
    v = values(headers, name)
    return v[0] if v else ""


def tag_of(value):
    for p in value.split(";")[1:]:
        k, _, v = p.strip().partition("=")
        if k.lower() == "tag":
            return v
    return ""


def sdp(ip, port):
    return f"v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio {port} RTP/AVP 0\r\n"


def message(start, headers, body=""):
    out = start + "\r\n"
    for n, v in headers:
        out += f"{n}: {v}\r\n"
    if body:
        out += "Content-Type: application/sdp\r\n"
    out += f"Content-Length: {len(body.encode())}\r\n\r\n" + body
    return out.encode()


def answer(bind, seconds, log):
    ip, port = bind.rsplit(":", 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, int(port)))
    s.settimeout(0.2)
    end = time.time() + float(seconds)
    with open(log, "a") as out:
        while time.time() < end:
            try:
                data, peer = s.recvfrom(65535)
            except socket.timeout:
                continue
            start, headers, _ = parse(data)
            if start.startswith("SIP/2.0"):
                continue
            out.write(json.dumps({"start": start, "headers": headers}) + "\n")
            out.flush()
            method = start.split(" ", 1)[0]
            if method == "ACK":
                continue
            to = first(headers, "To")
            if not tag_of(to):
                to += ";tag=t" + hashlib.sha256(first(headers, "Call-ID").encode()).hexdigest()[:10]
            user = start.split(" ")[1].split("@")[0].split(":")[-1]
            reply = [["Via", v] for v in values(headers, "Via")]
            reply += [["From", first(headers, "From")], ["To", to], ["Call-ID", first(headers, "Call-ID")],
                      ["CSeq", first(headers, "CSeq")], ["Contact", f"<sip:{user}@{ip}:{port}>"]]
            if method == "INVITE":
                s.sendto(message("SIP/2.0 200 OK", reply, sdp(ip, 7000)), peer)
            elif method == "REFER":
                s.sendto(message("SIP/2.0 202 Accepted", reply), peer)
            else:
                s.sendto(message("SIP/2.0 200 OK", reply), peer)


class Caller:
    """A, 1006, on the access side: one socket, requests to sipedge, answers read by Call-ID."""

    def __init__(self, bind, gw):
        self.ip, port = bind.rsplit(":", 1)
        self.port = int(port)
        self.gw = gw
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind((self.ip, self.port))
        self.nc = 0

    def send(self, start, headers, body=""):
        self.s.sendto(message(start, headers, body), (self.gw, 5060))

    def final(self, call_id, cseq, wait=5.0):
        """The final response to CSeq `cseq` of `call_id` (provisional ones skipped), or None."""
        end = time.time() + wait
        while time.time() < end:
            self.s.settimeout(max(0.01, end - time.time()))
            try:
                data, _ = self.s.recvfrom(65535)
            except socket.timeout:
                break
            start, headers, body = parse(data)
            if not start.startswith("SIP/2.0 "):
                self.answer_request(start, headers)
                continue
            if first(headers, "Call-ID") == call_id and first(headers, "CSeq") == cseq and int(start.split()[1]) >= 200:
                return start, headers, body
        return None

    def answer_request(self, start, headers):
        """sipedge's NOTIFYs or BYEs during the test: answered 200 (ACK: nothing)."""
        if start.startswith("ACK "):
            return
        reply = [["Via", v] for v in values(headers, "Via")]
        reply += [["From", first(headers, "From")], ["To", first(headers, "To")], ["Call-ID", first(headers, "Call-ID")],
                  ["CSeq", first(headers, "CSeq")]]
        self.send("SIP/2.0 200 OK", reply)

    def base(self, call, method, cseq, to, branch=None):
        return [["Via", f"SIP/2.0/UDP {self.ip}:{self.port};branch={branch or 'z9hG4bK' + random_hex()};rport"],
                ["Max-Forwards", "70"], ["From", f"<sip:1006@{self.gw}>;tag={call['tag']}"], ["To", to],
                ["Call-ID", call["id"]], ["CSeq", f"{cseq} {method}"]]

    def challenge(self, call):
        """INVITE without credentials: the 407's challenge (ACKed), and the shard its nonce names."""
        branch = "z9hG4bK" + random_hex()
        to = f"<sip:{call['user']}@{self.gw}>"
        self.send(f"INVITE sip:{call['user']}@{self.gw} SIP/2.0",
                  self.base(call, "INVITE", 1, to, branch) + [["Contact", f"<sip:1006@{self.ip}:{self.port}>"]],
                  sdp(self.ip, 6000))
        got = self.final(call["id"], "1 INVITE")
        if not got or not got[0].startswith("SIP/2.0 407"):
            raise Failure(f"{call['id']}: no 407 to the first INVITE: {got and got[0]}")
        _, headers, _ = got
        self.send(f"ACK sip:{call['user']}@{self.gw} SIP/2.0", self.base(call, "ACK", 1, first(headers, "To"), branch))
        challenges = [dict(digest_params(v)) for v in values(headers, "Proxy-Authenticate")]
        chosen = next((c for c in challenges if c.get("algorithm", "MD5").upper() == "MD5"), challenges[0])
        return chosen, int(chosen["nonce"][16:18], 16)

    def answered(self, call, chal):
        """The authorised INVITE, answered and ACKed: the 200's To (sipedge's tag) and Contact."""
        uri = f"sip:{call['user']}@{self.gw}"
        self.nc += 1
        auth = digest(chal, "INVITE", uri, self.nc)
        self.send(f"INVITE {uri} SIP/2.0",
                  self.base(call, "INVITE", 2, f"<{uri}>") + [["Contact", f"<sip:1006@{self.ip}:{self.port}>"],
                                                              ["Proxy-Authorization", auth]],
                  sdp(self.ip, 6000))
        got = self.final(call["id"], "2 INVITE")
        if not got or not got[0].startswith("SIP/2.0 200"):
            raise Failure(f"{call['id']}: the authorised INVITE got {got and got[0]}")
        _, headers, _ = got
        call["to"] = first(headers, "To")
        call["contact"] = first(headers, "Contact").strip("<>")
        self.send(f"ACK {call['contact']} SIP/2.0", self.base(call, "ACK", 2, call["to"]))

    def in_dialog(self, call, method, cseq, extra=()):
        self.send(f"{method} {call['contact']} SIP/2.0", self.base(call, method, cseq, call["to"]) + list(extra))
        got = self.final(call["id"], f"{cseq} {method}")
        return got[0] if got else None


class Failure(Exception):
    pass


def random_hex():
    return "%016x" % random.getrandbits(64)


def digest_params(value):
    """The (name, value) pairs of a Digest challenge, names lower case, quotes taken off."""
    rest = value.split(" ", 1)[1] if " " in value else ""
    out = []
    for part in split_params(rest):
        k, _, v = part.strip().partition("=")
        out.append((k.strip().lower(), v.strip().strip('"')))
    return out


def split_params(s):
    """`s` split at the commas outside quotes."""
    parts, cur, quoted = [], "", False
    for ch in s:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur:
        parts.append(cur)
    return parts


def digest(chal, method, uri, nc):
    sha = chal.get("algorithm", "MD5").upper() == "SHA-256"
    h = (lambda x: hashlib.sha256(x.encode()).hexdigest()) if sha else (lambda x: hashlib.md5(x.encode()).hexdigest())
    realm, nonce = chal["realm"], chal["nonce"]
    ha1 = h(f"1006:{realm}:{PASSWORD}")
    ha2 = h(f"{method}:{uri}")
    cnonce, ncs = random_hex()[:8], "%08x" % nc
    if "auth" in chal.get("qop", "").split(","):
        resp = h(f"{ha1}:{nonce}:{ncs}:{cnonce}:auth:{ha2}")
        qop = f',qop=auth,nc={ncs},cnonce="{cnonce}"'
    else:
        resp, qop = h(f"{ha1}:{nonce}:{ha2}"), ""
    return (f'Digest username="1006",realm="{realm}",nonce="{nonce}",uri="{uri}",response="{resp}",'
            f'algorithm={"SHA-256" if sha else "MD5"}{qop}')


def wait_for(log, pred, seconds=5.0):
    end = time.time() + seconds
    while time.time() < end:
        with open(log) as f:
            for line in f:
                r = json.loads(line)
                if pred(r):
                    return r
        time.sleep(0.1)
    return None


def refer(bind, gw, shards, log):
    a = Caller(bind, gw)
    up = []
    try:
        transfer(a, gw, shards, log, up)
    finally:
        # Whatever failed, the calls that were answered end, so the next scenario finds sipedge idle.
        hung_up = [(call, a.in_dialog(call, "BYE", 4)) for call in up]
    for call, status in hung_up:
        if not status or not status.startswith("SIP/2.0 200"):
            raise Failure(f"{call['id']}: BYE got {status}")


def transfer(a, gw, shards, log, up):
    held = {"id": f"held-{random_hex()}@e2e", "tag": "a1" + random_hex()[:6], "user": "5001"}
    chal, held_shard = a.challenge(held)
    a.answered(held, chal)
    up.append(held)
    # The consultation: on another shard than held's when there are several.
    for attempt in range(40):
        consult = {"id": f"consult-{attempt}-{random_hex()}@e2e", "tag": "a2" + random_hex()[:6], "user": "5002"}
        chal, consult_shard = a.challenge(consult)
        if int(shards) < 2 or consult_shard != held_shard:
            break
    else:
        raise Failure("no consultation Call-ID landed on another shard in 40 tries")
    a.answered(consult, chal)
    up.append(consult)
    print(f"  held on shard {held_shard}, consultation on shard {consult_shard}", file=sys.stderr)
    # A's consultation dialog as A knows it: sipedge's tag is the to-tag, A's own the from-tag.
    replaces = f"{consult['id']};to-tag={tag_of(consult['to'])};from-tag={consult['tag']}"
    refer_to = f"<sip:5002@{gw}?Replaces={urllib.parse.quote(replaces, safe='')}>"
    status = a.in_dialog(held, "REFER", 3, [["Contact", f"<sip:1006@{a.ip}:{a.port}>"], ["Refer-To", refer_to],
                                           ["Referred-By", f"<sip:1006@{gw}>"]])
    if not status or not status.startswith("SIP/2.0 202"):
        raise Failure(f"REFER: {status}")
    # What C (5002) has of its dialog with sipedge, from the INVITE it answered.
    c_invite = wait_for(log, lambda r: r["start"].startswith("INVITE sip:5002@"))
    b_refer = wait_for(log, lambda r: r["start"].startswith("REFER "))
    if not c_invite or not b_refer:
        raise Failure("the core side did not log C's INVITE and B's REFER")
    c_call_id = first(c_invite["headers"], "Call-ID")
    expected = f"{c_call_id};to-tag=t{hashlib.sha256(c_call_id.encode()).hexdigest()[:10]};from-tag={tag_of(first(c_invite['headers'], 'From'))}"
    got_refer_to = first(b_refer["headers"], "Refer-To")
    got = urllib.parse.unquote(got_refer_to.split("Replaces=", 1)[1].split(">", 1)[0]) if "Replaces=" in got_refer_to else ""
    print(f"  B's Refer-To: {got_refer_to}", file=sys.stderr)
    if got != expected:
        raise Failure(f"B's REFER names {got!r} in its Replaces, not C's dialog {expected!r}")
    for secret in (consult["id"], consult["tag"], held["id"], a.ip):
        if secret in json.dumps(b_refer):
            raise Failure(f"B's REFER carries {secret!r} of A's side")


def main():
    try:
        if len(sys.argv) == 5 and sys.argv[1] == "answer":
            answer(sys.argv[2], sys.argv[3], sys.argv[4])
        elif len(sys.argv) == 6 and sys.argv[1] == "refer":
            refer(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
        else:
            print(__doc__ or "usage: see the file comment", file=sys.stderr)
            return 2
    except Failure as e:
        print(f"b2bua_transfer: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
