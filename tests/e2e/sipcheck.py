#!/usr/bin/env python3
# tests/e2e/sipcheck.py — reads what SIPp logged (-trace_msg) and what sipedgectl/the CDR file print,
# for the end-to-end runner, the demo and the CPS benchmark. Runs on the test host, never touches the
# network. Exit status 0 = the check holds; messages on stderr say what did not.
#   sipcheck.py sdp LOG ADDR                 every SDP the UA received names only ADDR (c=, o=)
#   sipcheck.py hdr LOG SEL HEADER RE...     the first received message matching SEL ("INVITE",
#                                            "200/INVITE" = a 200 whose CSeq method is INVITE) has
#                                            exactly len(RE) HEADER values, each fully matching its RE
#   sipcheck.py nohdr LOG SEL HEADER RE      no HEADER value of that message matches RE (search)
#   sipcheck.py ladder LOG ME PEER [LOG ME PEER...]  one line per message, all logs merged in time
#                                            order: "ME -> PEER: INVITE +SDP", "PEER -> ME: 200 OK (INVITE)"
#   sipcheck.py count JSONFILE KEY           how many KEY entries the sipedgectl JSON lists
#   sipcheck.py idle JSONFILE [KEY...]       `sipedgectl --json stats`: calls, transactions, media
#                                            sessions, flows and proxy contexts (or only the KEYs
#                                            named) are all 0
#   sipcheck.py reg JSONFILE AOR RECEIVED NAT `sipedgectl --json registrations` lists AOR bound
#                                            from RECEIVED ("ip:port") with behind_nat NAT (0|1);
#                                            AOR alone: exit 0 when AOR has no binding at all
#   sipcheck.py cdr FILE CALL_ID             the CDR line of that call, as JSON (exit 1 if none); the
#                                            Call-ID of either leg (call_id, or callee_call_id in b2bua mode)
#   sipcheck.py cdrok FILE CALL_ID REASON    that call was answered (200), relayed RTP both ways and
#                                            ended with end_reason REASON (a regex, full match)
#   sipcheck.py start LOG SEL LINE           the first received message matching SEL starts with
#                                            exactly LINE ("SIP/2.0 486 Busy Here", "INVITE sip:...")
#   sipcheck.py hep HEPJSON LOG ME GW        every message the UA at ME (ip:port) exchanged with GW (as
#                                            its SIPp LOG shows it) is in the HEP capture (sipsend.py
#                                            hepsink) once per copy, with GW -> ME or ME -> GW as its
#                                            addresses and the same start line, Call-ID and CSeq
#   sipcheck.py seq LOG WHAT...              the messages the UA received, in order, are exactly WHAT:
#                                            requests by method, responses as "CODE/METHOD"
#   sipcheck.py body LOG SEL RE              the body of the first received SEL matches RE (search)
#   sipcheck.py hidden LOG_A ADDR_A LOG_B ADDR_B  topology hiding (B2BUA): no message A received
#                                            contains anything that identifies B's side (ADDR_B, the
#                                            Call-IDs, own tags, Via branches and Contact URIs of
#                                            what B sent), and the other way round
import json
import re
import sys
import time

COMPACT = {"v": "via", "m": "contact", "f": "from", "t": "to", "i": "call-id", "l": "content-length",
           "c": "content-type"}


def messages(path, with_time=False):
    """Yields (direction, start_line, headers [(name_lower, value)], body) for each logged message,
    preceded by SIPp's timestamp when with_time."""
    text = open(path, encoding="latin-1").read()
    blocks = re.split(r"^-{20,} ([0-9-]+ [0-9:.]+)\n", text, flags=re.M)
    for stamp, block in zip(blocks[1::2], blocks[2::2]):
        m = re.match(r"(UDP|TCP) message (sent|received)[^\n]*\n\n", block)
        if not m:
            continue
        raw = block[m.end():].replace("\r\n", "\n")
        head, _, body = raw.partition("\n\n")
        lines = head.split("\n")
        headers = []
        for line in lines[1:]:
            if line[:1] in (" ", "\t") and headers:
                headers[-1] = (headers[-1][0], headers[-1][1] + " " + line.strip())
            elif ":" in line:
                name, value = line.split(":", 1)
                name = name.strip().lower()
                headers.append((COMPACT.get(name, name), value.strip()))
        item = (m.group(2), lines[0], headers, body.strip("\n"))
        yield ((stamp,) + item) if with_time else item


def split_commas(value):
    out, depth, quote, cur = [], 0, False, ""
    for ch in value:
        if ch == '"':
            quote = not quote
        elif not quote and ch == "<":
            depth += 1
        elif not quote and ch == ">":
            depth -= 1
        if ch == "," and not quote and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def values(headers, name):
    out = []
    for n, v in headers:
        if n == name.lower():
            out.extend(split_commas(v) if n in ("via", "record-route", "route", "contact") else [v])
    return out


def selected(path, sel):
    want, _, cseq_method = sel.partition("/")
    for direction, start, headers, body in messages(path):
        if direction != "received":
            continue
        if want.isdigit():
            if not start.startswith("SIP/2.0 " + want):
                continue
            if cseq_method:
                cseq = values(headers, "cseq")
                if not cseq or cseq[0].split()[-1] != cseq_method:
                    continue
        elif not start.startswith(want + " "):
            continue
        return start, headers, body
    return None


def cmd_sdp(log, addr):
    seen = 0
    bad = []
    for direction, start, headers, body in messages(log):
        if direction != "received" or "v=0" not in body:
            continue
        seen += 1
        for line in body.split("\n"):
            line = line.strip()
            if line.startswith("c=") or line.startswith("o="):
                # c=IN IP4 0.0.0.0 is RFC 2543 hold, not an address.
                if line.split()[-1] != addr and not (line.startswith("c=") and line.split()[-1] == "0.0.0.0"):
                    bad.append(f"{start}: {line}")
            elif addr not in line and re.search(r"\b\d+\.\d+\.\d+\.\d+\b", line):
                bad.append(f"{start}: {line}")
    if not seen:
        print(f"sdp: {log}: no SDP received", file=sys.stderr)
        return 1
    for b in bad:
        print(f"sdp: names an address other than {addr}: {b}", file=sys.stderr)
    return 1 if bad else 0


def cmd_hdr(log, sel, name, regexes):
    msg = selected(log, sel)
    if not msg:
        print(f"hdr: {log}: no received {sel}", file=sys.stderr)
        return 1
    got = values(msg[1], name)
    ok = len(got) == len(regexes) and all(re.fullmatch(r, v) for r, v in zip(regexes, got))
    if not ok:
        print(f"hdr: {sel} {name}: got {got}, expected {regexes}", file=sys.stderr)
    return 0 if ok else 1


def cmd_nohdr(log, sel, name, regex):
    msg = selected(log, sel)
    if not msg:
        print(f"nohdr: {log}: no received {sel}", file=sys.stderr)
        return 1
    bad = [v for v in values(msg[1], name) if re.search(regex, v)]
    for v in bad:
        print(f"nohdr: {sel} {name}: {v} matches {regex}", file=sys.stderr)
    return 1 if bad else 0


def cmd_ladder(*triples):
    rows = []
    for log, me, peer in zip(triples[0::3], triples[1::3], triples[2::3]):
        for stamp, direction, start, headers, body in messages(log, with_time=True):
            rows.append((stamp, me, peer, direction, start, headers, body))
    rows.sort(key=lambda r: r[0])
    for stamp, me, peer, direction, start, headers, body in rows:
        label = start[8:] if start.startswith("SIP/2.0") else start.split(" ")[0]
        cseq = values(headers, "cseq")
        if start.startswith("SIP/2.0") and cseq:
            label += f" ({cseq[0].split()[-1]})"
        if "v=0" in body:
            label += " +SDP"
        src, dst = (me, peer) if direction == "sent" else (peer, me)
        print(f"{src} -> {dst}: {label}")
    return 0


def count(doc, key):
    if isinstance(doc, list):
        return len(doc)
    if isinstance(doc, dict):
        for k in (key, "items", "entries", "list"):
            if isinstance(doc.get(k), list):
                return len(doc[k])
            if isinstance(doc.get(k), dict):
                return count(doc[k], key)
        for k in ("count", "active", "total", key):
            if isinstance(doc.get(k), int):
                return doc[k]
    raise ValueError(f"cannot find how many {key} in {json.dumps(doc)[:200]}")


def cmd_count(path, key):
    try:
        print(count(json.load(open(path)), key))
        return 0
    except (ValueError, OSError) as e:
        print(f"count: {e}", file=sys.stderr)
        return 1


IDLE_KEYS = ("calls", "transactions", "media_sessions", "flows", "proxy_contexts")


def cmd_idle(path, *keys):
    try:
        state = json.load(open(path))["state"]
    except (ValueError, OSError, KeyError, TypeError) as e:
        print(f"idle: {path}: {e}", file=sys.stderr)
        return 2
    print(" ".join(f"{k}={state.get(k)}" for k in IDLE_KEYS))
    return 0 if all(state.get(k) == 0 for k in (keys or IDLE_KEYS)) else 1


def cmd_reg(path, aor, received=None, nat=None):
    try:
        regs = json.load(open(path))["registrations"]
    except (ValueError, OSError, KeyError, TypeError) as e:
        print(f"reg: {path}: {e}", file=sys.stderr)
        return 2
    mine = [r for r in regs if aor in r.get("aor", "")]
    if received is None:
        for r in mine:
            print(f"reg: {aor} still bound: {json.dumps(r)}", file=sys.stderr)
        return 1 if mine else 0
    for r in mine:
        if r.get("received") == received and bool(r.get("behind_nat")) == (nat == "1"):
            return 0
    print(f"reg: no binding of {aor} from {received} behind_nat={nat}: {json.dumps(regs)}", file=sys.stderr)
    return 1


# The CDR of a call: (record, line), or None. sipedge's writer thread puts a line in the file within
# ~10 ms of the call's end (control/api/cdr_writer.h): a line not there yet is waited for, 3 s at most.
def cdr_of(path, call_id):
    deadline = time.monotonic() + 3.0
    while True:
        try:
            lines = open(path).read().splitlines()
        except FileNotFoundError:
            lines = []
        for line in lines:
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if call_id in (rec.get("call_id"), rec.get("callee_call_id")):
                return rec, line
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.02)


def cmd_cdrok(path, call_id, reason):
    found = cdr_of(path, call_id)
    if found is not None:
        rec, line = found
        problems = []
        if not rec.get("answered") or rec.get("final_status") != 200:
            problems.append("not answered with 200")
        if rec.get("packets_caller_to_callee", 0) <= 0 or rec.get("packets_callee_to_caller", 0) <= 0:
            problems.append("RTP not relayed both ways")
        if not re.fullmatch(reason, rec.get("end_reason", "")):
            problems.append(f"end_reason is not {reason}")
        if problems:
            print(f"cdrok: {call_id}: {', '.join(problems)}: {line}", file=sys.stderr)
            return 1
        print(f"  CDR: {line}")
        return 0
    print(f"cdrok: no line for Call-ID {call_id} in {path}", file=sys.stderr)
    return 1


def cmd_start(log, sel, line):
    msg = selected(log, sel)
    if not msg:
        print(f"start: {log}: no received {sel}", file=sys.stderr)
        return 1
    if msg[0] != line:
        print(f"start: {sel}: got '{msg[0]}', expected '{line}'", file=sys.stderr)
        return 1
    return 0


def cmd_seq(log, *want):
    got = []
    last = None
    for direction, start, headers, body in messages(log):
        if direction != "received":
            continue
        # A retransmission (same start line, CSeq, To and Via) is the same message again.
        key = (start, tuple(values(headers, "cseq")), tuple(values(headers, "to")), tuple(values(headers, "via")))
        if key == last:
            continue
        last = key
        if start.startswith("SIP/2.0"):
            cseq = values(headers, "cseq")
            got.append(start.split()[1] + "/" + (cseq[0].split()[-1] if cseq else "?"))
        else:
            got.append(start.split()[0])
    if got != list(want):
        print(f"seq: {log}: received {got}, expected {list(want)}", file=sys.stderr)
        return 1
    return 0


def cmd_body(log, sel, regex):
    msg = selected(log, sel)
    if not msg:
        print(f"body: {log}: no received {sel}", file=sys.stderr)
        return 1
    if not re.search(regex, msg[2]):
        print(f"body: {sel}: {msg[2]!r} does not match {regex}", file=sys.stderr)
        return 1
    return 0


def cmd_hep(hep_path, log, me, gw):
    caps = []
    for line in open(hep_path):
        rec = json.loads(line)
        if "bad" in rec:
            print("hep: a datagram that is not HEPv3: %s" % rec["bad"][:80], file=sys.stderr)
            return 1
        p = rec["payload"].replace("\r\n", "\n")
        head = p.partition("\n\n")[0].split("\n")
        hdr = {}
        for h in head[1:]:
            if ":" in h:
                n, v = h.split(":", 1)
                n = COMPACT.get(n.strip().lower(), n.strip().lower())
                hdr.setdefault(n, v.strip())
        caps.append((rec["src"], rec["dst"], head[0], hdr.get("call-id", ""), hdr.get("cseq", ""), rec))
    missing, seen = [], 0
    used = set()
    for direction, start, headers, _ in messages(log):
        h = dict(headers)
        src, dst = (gw, me) if direction == "received" else (me, gw)
        key = (src, dst, start, h.get("call-id", ""), h.get("cseq", ""))
        seen += 1
        hit = next((i for i, c in enumerate(caps) if i not in used and c[:5] == key), None)
        if hit is None:
            missing.append("%s -> %s: %s (%s)" % key[:4])
        else:
            used.add(hit)
            if caps[hit][5]["call_id"] != key[3] or caps[hit][5]["proto"] != 1:
                missing.append("%s: correlation id %r / protocol %r" % (start, caps[hit][5]["call_id"], caps[hit][5]["proto"]))
    for m in missing:
        print("hep: not captured: " + m, file=sys.stderr)
    print("hep: %d messages in %s, %d captured, %d HEP packets in all" % (seen, log, seen - len(missing), len(caps)),
          file=sys.stderr)
    return 1 if missing or seen == 0 else 0


def cmd_cdr(path, call_id):
    found = cdr_of(path, call_id)
    if found is not None:
        print(json.dumps(found[0]))
        return 0
    print(f"cdr: no line for Call-ID {call_id} in {path}", file=sys.stderr)
    return 1


def identifiers(log, addr):
    """What the messages this UA sent say about its side: its address, its Call-IDs, its own tags
    (From of its requests, To of its responses), its Via branches and its Contact URIs."""
    found = {addr}
    for direction, start, headers, _ in messages(log):
        if direction != "sent":
            continue
        request = not start.startswith("SIP/2.0 ")
        found.update(values(headers, "call-id"))
        for v in values(headers, "from" if request else "to"):
            m = re.search(r";\s*tag=([^;>\s]+)", v)
            if m:
                found.add("tag=" + m.group(1))
        if request:
            for v in values(headers, "via")[:1]:
                m = re.search(r";\s*branch=([^;\s]+)", v)
                if m:
                    found.add(m.group(1))
        for v in values(headers, "contact"):
            m = re.search(r"<([^>]+)>", v)
            found.add(m.group(1) if m else v.split(";")[0])
    return found


def cmd_hidden(log_a, addr_a, log_b, addr_b):
    bad = 0
    for receiver, log, sender, secrets in ((log_a, log_a, log_b, identifiers(log_b, addr_b)),
                                           (log_b, log_b, log_a, identifiers(log_a, addr_a))):
        seen = 0
        for direction, start, headers, body in messages(log):
            if direction != "received":
                continue
            seen += 1
            text = start + "\n" + "\n".join(n + ": " + v for n, v in headers) + "\n\n" + body
            for secret in sorted(secrets):
                if secret and secret in text:
                    bad += 1
                    print(f"hidden: {receiver} received '{start}' naming '{secret}' of {sender}'s side",
                          file=sys.stderr)
        if not seen:
            bad += 1
            print(f"hidden: {receiver} received nothing", file=sys.stderr)
    return 1 if bad else 0


def main(argv):
    if len(argv) < 2:
        print(__doc__ or "usage: see the header of sipcheck.py", file=sys.stderr)
        return 2
    cmd, args = argv[1], argv[2:]
    if cmd == "sdp" and len(args) == 2:
        return cmd_sdp(*args)
    if cmd == "hdr" and len(args) >= 4:
        return cmd_hdr(args[0], args[1], args[2], args[3:])
    if cmd == "nohdr" and len(args) == 4:
        return cmd_nohdr(*args)
    if cmd == "ladder" and args and len(args) % 3 == 0:
        return cmd_ladder(*args)
    if cmd == "count" and len(args) == 2:
        return cmd_count(*args)
    if cmd == "idle" and len(args) >= 1 and all(k in IDLE_KEYS for k in args[1:]):
        return cmd_idle(*args)
    if cmd == "reg" and len(args) in (2, 4):
        return cmd_reg(*args)
    if cmd == "cdr" and len(args) == 2:
        return cmd_cdr(*args)
    if cmd == "cdrok" and len(args) == 3:
        return cmd_cdrok(*args)
    if cmd == "start" and len(args) == 3:
        return cmd_start(*args)
    if cmd == "hep" and len(args) == 4:
        return cmd_hep(*args)
    if cmd == "seq" and args:
        return cmd_seq(*args)
    if cmd == "hidden" and len(args) == 4:
        return cmd_hidden(*args)
    if cmd == "body" and len(args) == 3:
        return cmd_body(*args)
    print(f"sipcheck: bad arguments: {argv[1:]}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
