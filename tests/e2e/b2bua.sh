# tests/e2e/b2bua.sh — sourced by tests/e2e/run: the call flows with sipedge in b2bua mode
# (`tests/e2e/run --mode b2bua`). Each leg is a dialog of its own: the callee sees one Via
# (sipedge's), no Record-Route, sipedge's Contact and a Call-ID of sipedge's; the caller sees the
# same of its own dialog. Every scenario also checks that neither side received anything that
# identifies the other (sipcheck.py hidden: addresses, Call-IDs, tags, branches, Contacts).

B2BUA_CORE_PORT=5075 B2BUA_CORE_MEDIA=6900  # a callee in the core namespace (route "b2bua-core", 5...)

# [sip] mode = "b2bua" (every route inherits it) and a route to a callee in the core namespace.
b2bua_config() {
  CONTACT_GW="<sip:$GW:5060;sek=[0-9a-f]+\\.[0-9a-f]{20}>"  # sipedge's Contact on the access side
  sed -i 's/^default_interface = "core"$/&\nmode = "b2bua"/' "$E2E_CFG"
  grep -q '^mode = "b2bua"$' "$E2E_CFG" || { e2e_log "e2e: config has no [sip] default_interface line"; return 1; }
  cat >>"$E2E_CFG" <<EOF

[[route]]
name = "b2bua-core"
match_prefix = "5"
target = "next_hop"
next_hops = ["$E2E_UA_CORE:$B2BUA_CORE_PORT"]
interface = "core"
EOF
}

# The dialogs of an answered access-to-access call: what each side received is its own dialog only.
b2bua_answered_checks() {  # b2bua_answered_checks CALLEE_LABEL CALLER_LABEL CALLEE_PORT
  local callee=$1 calr=$2 callee_port=$3
  check "$callee: INVITE has sipedge's Via only" hdr "$E2E_WORK/$callee.msg" INVITE Via "$VIA_GW"
  check "$callee: INVITE has no Record-Route" nohdr "$E2E_WORK/$callee.msg" INVITE Record-Route .
  check "$callee: INVITE Contact is sipedge's" hdr "$E2E_WORK/$callee.msg" INVITE Contact "$CONTACT_GW"
  check "$calr: 200 has the caller's Via only" hdr "$E2E_WORK/$calr.msg" 200/INVITE Via \
    "SIP/2.0/UDP $UA:$CALLER_PORT;branch=[^;]+;received=$UA;rport=$CALLER_PORT"
  check "$calr: 200 has no Record-Route" nohdr "$E2E_WORK/$calr.msg" 200/INVITE Record-Route .
  check "$calr: 200 Contact is sipedge's" hdr "$E2E_WORK/$calr.msg" 200/INVITE Contact "$CONTACT_GW"
  check "$callee: SDP names only $GW" sdp "$E2E_WORK/$callee.msg" "$GW"
  check "$calr: SDP names only $GW" sdp "$E2E_WORK/$calr.msg" "$GW"
  check "$calr/$callee: neither side sees the other's" hidden "$E2E_WORK/$calr.msg" "$UA:$CALLER_PORT" \
    "$E2E_WORK/$callee.msg" "$UA:$callee_port"
}

# b2bua_cdr CALLER_LABEL CALLEE_LABEL [REASON]: one CDR names the caller's Call-ID as call_id and the
# callee's (another) as callee_call_id; answered with RTP both ways and ending for REASON when given.
b2bua_cdr() {
  local a b
  a=$(e2e_call_id "$1") b=$(e2e_call_id "$2")
  [[ -n "$a" && -n "$b" ]] || { fail "$1/$2: no Call-ID in a trace"; return; }
  [[ "$a" != "$b" ]] || fail "$1/$2: both legs have Call-ID $a"
  "$E2E_PYTHON" "$E2E_CHECK" cdr "$E2E_CDR" "$a" >/dev/null  # waits for the writer thread's line
  "$E2E_PYTHON" - "$E2E_CDR" "$a" "$b" "${3:-}" <<'PY' || fail "$1/$2: CDR of $a"
import json, re, sys
path, a, b, reason = sys.argv[1:]
for line in open(path):
    c = json.loads(line)
    if c.get("call_id") != a:
        continue
    print("  CDR:", line.strip(), file=sys.stderr)
    ok = c.get("callee_call_id") == b
    if reason:
        ok = ok and c.get("answered") and c["packets_caller_to_callee"] > 0 and c["packets_callee_to_caller"] > 0 \
             and re.fullmatch(reason, c.get("end_reason", "")) is not None
    sys.exit(0 if ok else 1)
print(f"no CDR for {a}", file=sys.stderr)
sys.exit(1)
PY
}

scenario_b2bua_call() {
  register bc-reg 1012 "$CALLEE_PORT" "$UA:$CALLEE_PORT" "$UA:$CALLEE_PORT" || return
  callee_start bc-uas uas_answer "$CALLEE_PORT" "$UA:$CALLEE_PORT" -mi "$UA" -mp "$CALLEE_MEDIA" -rtp_echo
  caller bc-uac uac_call 25 -ap sipedge-1006 -mi "$UA" -mp "$CALLER_MEDIA"
  callee_finish bc-uas
  b2bua_answered_checks bc-uas bc-uac "$CALLEE_PORT"
  b2bua_cdr bc-uac bc-uas "bye from caller"
  unregister bc-unreg 1012
}

scenario_b2bua_callee_bye() {
  register bb-reg 1012 "$CALLEE_PORT" "$UA:$CALLEE_PORT" "$UA:$CALLEE_PORT" || return
  uas bb-uas uas_bye "$CALLEE_PORT" 1012 -mi "$UA" -mp "$CALLEE_MEDIA" -rtp_echo
  call_as bb-uac uac_wait_bye 25 1012 -mi "$UA" -mp "$CALLER_MEDIA"
  uas_finish bb-uas
  check "bb-uac: messages" seq "$E2E_WORK/bb-uac.msg" 407/INVITE 100/INVITE 180/INVITE 200/INVITE BYE
  check "bb-uac: BYE has sipedge's Via only" hdr "$E2E_WORK/bb-uac.msg" BYE Via "$VIA_GW"
  check "bb-uac: BYE Request-URI is the caller's Contact" start "$E2E_WORK/bb-uac.msg" BYE \
    "BYE sip:1006@$UA:$CALLER_PORT SIP/2.0"
  check "bb-uas: 200 to its BYE" seq "$E2E_WORK/bb-uas.msg" INVITE ACK 200/BYE
  check "bb-uac/bb-uas: neither side sees the other's" hidden "$E2E_WORK/bb-uac.msg" "$UA:$CALLER_PORT" \
    "$E2E_WORK/bb-uas.msg" "$UA:$CALLEE_PORT"
  b2bua_cdr bb-uac bb-uas "bye from callee"
  unregister bb-unreg 1012
}

scenario_b2bua_busy() {
  register bu-reg 1012 "$CALLEE_PORT" "$UA:$CALLEE_PORT" "$UA:$CALLEE_PORT" || return
  callee_start bu-uas uas_busy "$CALLEE_PORT" "$UA:$CALLEE_PORT"
  caller bu-uac uac_busy 20 -ap sipedge-1006
  callee_finish bu-uas
  check "bu-uac: 486 in the caller's dialog" hdr "$E2E_WORK/bu-uac.msg" 486/INVITE Via \
    "SIP/2.0/UDP $UA:$CALLER_PORT;branch=[^;]+;received=$UA;rport=$CALLER_PORT"
  check "bu-uac/bu-uas: neither side sees the other's" hidden "$E2E_WORK/bu-uac.msg" "$UA:$CALLER_PORT" \
    "$E2E_WORK/bu-uas.msg" "$UA:$CALLEE_PORT"
  b2bua_cdr bu-uac bu-uas
  unregister bu-unreg 1012
}

scenario_b2bua_cancel() {
  register bx-reg 1012 "$CALLEE_PORT" "$UA:$CALLEE_PORT" "$UA:$CALLEE_PORT" || return
  callee_start bx-uas uas_ring_cancel "$CALLEE_PORT" "$UA:$CALLEE_PORT"
  caller bx-uac uac_cancel 20 -ap sipedge-1006
  callee_finish bx-uas
  check "bx-uas: CANCEL has sipedge's Via only" hdr "$E2E_WORK/bx-uas.msg" CANCEL Via "$VIA_GW"
  check "bx-uac/bx-uas: neither side sees the other's" hidden "$E2E_WORK/bx-uac.msg" "$UA:$CALLER_PORT" \
    "$E2E_WORK/bx-uas.msg" "$UA:$CALLEE_PORT"
  b2bua_cdr bx-uac bx-uas
  unregister bx-unreg 1012
}

scenario_b2bua_reinvite() {
  register br-reg 1012 "$CALLEE_PORT" "$UA:$CALLEE_PORT" "$UA:$CALLEE_PORT" || return
  callee_start br-uas uas_reinvite "$CALLEE_PORT" "$UA:$CALLEE_PORT" -mi "$UA" -mp "$CALLEE_MEDIA" -rtp_echo
  caller br-uac uac_reinvite 30 -ap sipedge-1006 -mi "$UA" -mp "$CALLER_MEDIA"
  callee_finish br-uas
  check "br-uas: SDP of both INVITEs names only $GW" sdp "$E2E_WORK/br-uas.msg" "$GW"
  check "br-uac: SDP of both 200s names only $GW" sdp "$E2E_WORK/br-uac.msg" "$GW"
  check "br-uac/br-uas: neither side sees the other's" hidden "$E2E_WORK/br-uac.msg" "$UA:$CALLER_PORT" \
    "$E2E_WORK/br-uas.msg" "$UA:$CALLEE_PORT"
  b2bua_cdr br-uac br-uas "bye from caller"
  unregister br-unreg 1012
}

scenario_b2bua_topology() {
  # An access caller and a callee in the core namespace (another network): hold (sendonly,
  # inactive), resume and BYE, each re-INVITE bridged. Neither side receives an address, Call-ID,
  # tag, branch or Contact of the other's network; each SDP names sipedge's address on its side.
  core_uas bt-uas uas_hold "$B2BUA_CORE_PORT" -s 5001 -mi "$E2E_UA_CORE" -mp "$B2BUA_CORE_MEDIA" -rtp_echo
  call_as bt-uac uac_hold 35 5001 -mi "$UA" -mp "$CALLER_MEDIA"
  uas_finish bt-uas
  check "bt-uas: INVITE has sipedge's Via only" hdr "$E2E_WORK/bt-uas.msg" INVITE Via \
    "SIP/2.0/UDP $E2E_GW_CORE:5060;branch=z9hG4bK[^;]+;rport"
  check "bt-uas: SDP names only $E2E_GW_CORE" sdp "$E2E_WORK/bt-uas.msg" "$E2E_GW_CORE"
  check "bt-uac: SDP names only $GW" sdp "$E2E_WORK/bt-uac.msg" "$GW"
  check "bt-uac/bt-uas: neither network sees the other's" hidden "$E2E_WORK/bt-uac.msg" "$UA" \
    "$E2E_WORK/bt-uas.msg" "$E2E_UA_CORE"
  b2bua_cdr bt-uac bt-uas "bye from caller"
}

scenario_b2bua_two_proxies() {
  # Seed 002's 407 through two proxies, both sipedges in b2bua mode: caller -> sipedge -> second
  # sipedge -> callee, three dialogs. Only the first hop challenges; nobody sees a Record-Route or
  # another hop's Via; the callee's BYE crosses all three dialogs; each CDR links its two Call-IDs.
  second_proxy_up || { fail "b2bua_two_proxies: second sipedge did not start"; return; }
  e2e_sipp_bg b2p-uas "${E2E_NET}-core2" 40 -i "$P2_CALLEE" -m 1 -timeout 38s -timeout_error \
    -sf "$E2E_SCEN/uas_bye.xml" -p 5062 -s 6000 -key contact "$P2_CALLEE:5062" -mi "$P2_CALLEE" -mp 6100 -rtp_echo
  UAS_PID[b2p-uas]=$E2E_BG_PID
  e2e_wait_udp "${E2E_NET}-core2" 5062 || fail "b2p-uas: did not open port 5062"
  call_as b2p-uac uac_wait_bye 30 6000 -mi "$UA" -mp "$CALLER_MEDIA"
  uas_finish b2p-uas
  check "b2p-uac: one 407, from the first hop only" seq "$E2E_WORK/b2p-uac.msg" 407/INVITE 100/INVITE \
    180/INVITE 200/INVITE BYE
  check "b2p-uas: ACK and the 200 to its BYE came" seq "$E2E_WORK/b2p-uas.msg" INVITE ACK 200/BYE
  check "b2p-uas: INVITE has the second sipedge's Via only" hdr "$E2E_WORK/b2p-uas.msg" INVITE Via \
    "SIP/2.0/UDP $P2_CORE:5060;branch=z9hG4bK[^;]+;rport"
  check "b2p-uas: INVITE has no Record-Route" nohdr "$E2E_WORK/b2p-uas.msg" INVITE Record-Route .
  check "b2p-uac: the callee's BYE has sipedge's Via only" hdr "$E2E_WORK/b2p-uac.msg" BYE Via "$VIA_GW"
  check "b2p-uac: 200 Contact is sipedge's" hdr "$E2E_WORK/b2p-uac.msg" 200/INVITE Contact "$CONTACT_GW"
  check "b2p-uac: SDP names only $GW" sdp "$E2E_WORK/b2p-uac.msg" "$GW"
  check "b2p-uas: SDP names only $P2_CORE" sdp "$E2E_WORK/b2p-uas.msg" "$P2_CORE"
  check "b2p-uac/b2p-uas: neither end sees the other's" hidden "$E2E_WORK/b2p-uac.msg" "$UA" \
    "$E2E_WORK/b2p-uas.msg" "$P2_CALLEE"
  # The first sipedge's callee leg is the second's caller leg: the CDRs chain the three Call-IDs.
  "$E2E_PYTHON" "$E2E_CHECK" cdr "$E2E_CDR" "$(e2e_call_id b2p-uac)" >/dev/null  # each file's line written
  "$E2E_PYTHON" "$E2E_CHECK" cdr "$P2_CDR" "$(e2e_call_id b2p-uas)" >/dev/null
  "$E2E_PYTHON" - "$E2E_CDR" "$P2_CDR" "$(e2e_call_id b2p-uac)" "$(e2e_call_id b2p-uas)" <<'PY' ||
import json, sys
first, second, a, c = sys.argv[1:]
one = [json.loads(l) for l in open(first) if json.loads(l).get("call_id") == a]
two = [json.loads(l) for l in open(second) if json.loads(l).get("callee_call_id") == c]
print("  CDRs:", one, two, file=sys.stderr)
ok = len(one) == 1 and len(two) == 1 and two[0]["call_id"] == one[0]["callee_call_id"] != a \
     and all(r["end_reason"] == "bye from callee" and r["packets_caller_to_callee"] > 0 for r in one + two)
sys.exit(0 if ok else 1)
PY
    fail "b2p: the CDRs do not chain caller -> second sipedge -> callee"
  second_proxy_down
}

scenario_b2bua_attended_transfer() {
  # Seed 001's attended transfer, both calls through sipedge in b2bua mode: A (1006) talks to B
  # (5001) and consults C (5002), then REFERs B to C with Replaces naming A's consultation dialog.
  # B's REFER must name C's dialog instead (the Call-ID and tags C has), and nothing of A's side.
  # With several control shards the consultation is placed on another shard than the held call
  # (b2bua_transfer.py reads the shard from the 407's nonce): the REFER's shard asks the other.
  local log="$E2E_WORK/bat-core.jsonl" core_pid asked_before asked
  asked_before=$(stat stats proxy.replaces_asked) || { fail "bat: sipedgectl stats"; return; }
  : >"$log"
  ip netns exec "$E2E_CORE_NS" "$E2E_PYTHON" "$E2E_DIR/b2bua_transfer.py" answer "$E2E_UA_CORE:$B2BUA_CORE_PORT" 20 "$log" \
    >"$E2E_WORK/bat-core.out" 2>&1 &
  core_pid=$!
  E2E_PIDS+=("$core_pid")
  e2e_wait_udp "$E2E_CORE_NS" "$B2BUA_CORE_PORT" || fail "bat: the core side did not open port $B2BUA_CORE_PORT"
  timeout -k 2 20 ip netns exec "$E2E_ACC_NS" "$E2E_PYTHON" "$E2E_DIR/b2bua_transfer.py" refer "$UA:$CALLER_PORT" "$GW" \
    "$E2E_SHARDS" "$log" >"$E2E_WORK/bat-acc.out" 2>&1 || fail "bat: $(tail -1 "$E2E_WORK/bat-acc.out")"
  sed 's/^/  /' "$E2E_WORK/bat-acc.out" | grep -v "^  b2bua_transfer:" >&2 || true
  kill -TERM "$core_pid" 2>/dev/null
  e2e_sipp_wait "$core_pid" || true
  asked=$(stat stats proxy.replaces_asked)
  local want=$((E2E_SHARDS > 1 ? 1 : 0))
  (( asked - asked_before == want )) || fail "bat: proxy.replaces_asked rose by $((asked - asked_before)), want $want"
}

