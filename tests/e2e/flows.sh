# tests/e2e/flows.sh — sourced by tests/e2e/run: the seed articles' call flows beyond the basic call
# (forwarding, redirect, session timers, hold, early media, PRACK/UPDATE, transfers, three-way
# calls, 3pcc, response codes, a callee that hangs up, a caller on the core side). Each scenario
# checks the messages each party received, the headers that matter, that SDP names only sipedge,
# the CDR (answered, RTP relayed both ways, why it ended); the runner then checks no state is left.

# Users, routes and limits these flows need, added to the config e2e_write_config made.
#   1013: a plain user, the target of every forwarding;  1014: a second line of B (call waiting)
#   1020 forwards on busy, 1021 on no answer (2 s), 1022 unconditionally, all to 1013
#   8...: a redirect server in the core namespace (recursed);  7...: a code server (redirect = "pass")
#   [sip] min_se_s = 2: session timers of a few seconds (RFC 4028 wants >= 90; a lab may go lower)
#   [sip] overload_wait_ms = 1000 (see below)
flows_config() {
  grep -q '^default_interface = "core"$' "$E2E_CFG" || { e2e_log "e2e: config has no [sip] default_interface line"; return 1; }
  # Overload control waits 1 s before refusing: a 2-core CI machine running SIPp beside sipedge may
  # stall the control lcore for longer than the 200 ms default, and a 503 there would fail a call.
  sed -i 's/^default_interface = "core"$/&\nmin_se_s = 2\noverload_wait_ms = 1000/' "$E2E_CFG"
  grep -q '^ipv4 = "10.202.0.1/24"$' "$E2E_CFG" || { e2e_log "e2e: config has no core ipv4 line"; return 1; }
  sed -i 's|^ipv4 = "10.202.0.1/24"$|&\ngateway4 = "10.202.0.2"|' "$E2E_CFG"
  cat >>"$E2E_CFG" <<EOF

[[user]]
name = "1013"
password = "sipedge-1013"

[[user]]
name = "1014"
password = "sipedge-1014"

[[user]]
name = "1020"
password = "sipedge-1020"
forward_busy = "sip:1013@sipedge.test"

[[user]]
name = "1021"
password = "sipedge-1021"
forward_no_answer = "sip:1013@sipedge.test"
forward_no_answer_s = 2

[[user]]
name = "1022"
password = "sipedge-1022"
forward_unconditional = "sip:1013@sipedge.test"

[[route]]
name = "redirect-server"
match_prefix = "8"
target = "next_hop"
next_hops = ["$E2E_UA_CORE:$REDIRECT_PORT"]
interface = "core"

[[route]]
name = "second-proxy"
match_prefix = "6"
target = "next_hop"
next_hops = ["$P2_ACC:5060"]
interface = "core"

[[route]]
name = "code-server"
match_prefix = "7"
target = "next_hop"
next_hops = ["$E2E_UA_CORE:$CODE_PORT"]
interface = "core"
redirect = "pass"
EOF
}

# The second sipedge of two_proxies: its access side on a segment behind the core namespace (which
# routes between 10.202.0.0/24 and 10.203.0.0/24), its core side on a namespace of its own.
P2_ACC=10.203.0.1 P2_ACC_PEER=10.203.0.2 P2_CORE=10.204.0.1 P2_CALLEE=10.204.0.2

# Ports of the extra parties (access namespace unless noted) and their RTP ports.
FWD_PORT=5065 FWD_MEDIA=6400       # 1020/1021: the user whose call is forwarded
TARGET_PORT=5066 TARGET_MEDIA=6500 # 1013: where forwarded and redirected calls go
CORE_CALLER_PORT=5074 CORE_MEDIA=6600  # a caller in the core namespace
REDIRECT_PORT=5072 CODE_PORT=5073  # servers in the core namespace

# uas LABEL SCENARIO PORT SERVICE [SIPP_ARGS...]: a SIPp UAS for SERVICE in the access namespace, in
# the background (its PID in the array UAS_PIDS under LABEL's position).
declare -A UAS_PID
uas() {
  local label=$1 scen=$2 port=$3 service=$4
  shift 4
  e2e_sipp_bg "$label" "$E2E_ACC_NS" 45 -i "$UA" -m 1 -timeout 43s -timeout_error -sf "$E2E_SCEN/$scen.xml" \
    -p "$port" -s "$service" -key contact "$UA:$port" "$@"
  UAS_PID[$label]=$E2E_BG_PID
  e2e_wait_udp "$E2E_ACC_NS" "$port" || fail "$label: SIPp UAS did not open port $port"
}
# core_uas LABEL SCENARIO PORT [SIPP_ARGS...]: the same in the core namespace.
core_uas() {
  local label=$1 scen=$2 port=$3
  shift 3
  e2e_sipp_bg "$label" "$E2E_CORE_NS" 45 -i "$E2E_UA_CORE" -m 1 -timeout 43s -timeout_error \
    -sf "$E2E_SCEN/$scen.xml" -p "$port" -key contact "$E2E_UA_CORE:$port" "$@"
  UAS_PID[$label]=$E2E_BG_PID
  e2e_wait_udp "$E2E_CORE_NS" "$port" || fail "$label: SIPp UAS did not open port $port"
}
uas_finish() {  # uas_finish LABEL
  e2e_sipp_wait "${UAS_PID[$1]}" || { e2e_sipp_why "$1"; fail "$1: SIPp UAS failed"; }
}
# call_as LABEL SCENARIO LIMIT_S SERVICE [SIPP_ARGS...]: 1006 (digest) calls SERVICE from the access side.
call_as() {
  local label=$1 scen=$2 limit=$3 service=$4
  shift 4
  sipp_ua "$label" "$limit" -sf "$E2E_SCEN/$scen.xml" -p "$CALLER_PORT" -s "$service" -key user 1006 -au 1006 \
    -ap sipedge-1006 "$@" "$GW:5060" || { e2e_sipp_why "$label"; fail "$label: caller SIPp failed"; }
}
# cdr_ok LABEL REASON: the CDR of the call in LABEL's trace: answered, RTP both ways, end_reason REASON.
cdr_ok() {
  local call_id
  call_id=$(e2e_call_id "$1")
  [[ -n "$call_id" ]] || { fail "$1: no Call-ID in its trace"; return; }
  "$E2E_PYTHON" "$E2E_CHECK" cdrok "$E2E_CDR" "$call_id" "$2" || fail "$1: CDR of $call_id"
}

scenario_callee_bye() {
  # Seed 002: the callee hangs up. Its BYE follows the route set (sipedge's Record-Route) and
  # reaches the caller with sipedge's Via on top.
  register cb-reg 1012 "$CALLEE_PORT" "$UA:$CALLEE_PORT" "$UA:$CALLEE_PORT" || return
  uas cb-uas uas_bye "$CALLEE_PORT" 1012 -mi "$UA" -mp "$CALLEE_MEDIA" -rtp_echo
  call_as cb-uac uac_wait_bye 25 1012 -mi "$UA" -mp "$CALLER_MEDIA"
  uas_finish cb-uas
  check "cb-uas: SDP in the INVITE names only $GW" sdp "$E2E_WORK/cb-uas.msg" "$GW"
  check "cb-uac: messages" seq "$E2E_WORK/cb-uac.msg" 407/INVITE 100/INVITE 180/INVITE 200/INVITE BYE
  check "cb-uac: BYE Via" hdr "$E2E_WORK/cb-uac.msg" BYE Via "$VIA_GW" \
    "SIP/2.0/UDP $UA:$CALLEE_PORT;branch=[^;]+;received=$UA;rport=$CALLEE_PORT"
  check "cb-uac: BYE Request-URI is the caller's Contact" start "$E2E_WORK/cb-uac.msg" BYE \
    "BYE sip:1006@$UA:$CALLER_PORT SIP/2.0"
  check "cb-uas: 200 to its BYE" seq "$E2E_WORK/cb-uas.msg" INVITE ACK 200/BYE
  cdr_ok cb-uas "bye from callee"
  unregister cb-unreg 1012
}

scenario_core_to_access() {
  # A caller on the trusted core side calls a phone registered on the access side: no digest, two
  # Record-Routes (each side's route set names the address it can reach), SDP rewritten per side.
  register c2a-reg 1012 "$CALLEE_PORT" "$UA:$CALLEE_PORT" "$UA:$CALLEE_PORT" || return
  uas c2a-uas uas_answer "$CALLEE_PORT" 1012 -mi "$UA" -mp "$CALLEE_MEDIA" -rtp_echo
  e2e_sipp c2a-uac "$E2E_CORE_NS" 25 -i "$E2E_UA_CORE" -m 1 -timeout 23s -timeout_error -sf "$E2E_SCEN/uac_core_call.xml" \
    -p "$CORE_CALLER_PORT" -s 1012 -key user 9001 -mi "$E2E_UA_CORE" -mp "$CORE_MEDIA" "$E2E_GW_CORE:5060" ||
    { e2e_sipp_why c2a-uac; fail "c2a-uac: caller SIPp failed"; }
  uas_finish c2a-uas
  local rr_core="<sip:$E2E_GW_CORE:5060;lr;sek=[0-9a-f]+\\.[0-9a-f]{20}>"
  check "c2a-uas: INVITE Record-Route (access entry on top, then core)" hdr "$E2E_WORK/c2a-uas.msg" INVITE \
    Record-Route "$RR_GW" "$rr_core"
  check "c2a-uas: INVITE Via" hdr "$E2E_WORK/c2a-uas.msg" INVITE Via "$VIA_GW" \
    "SIP/2.0/UDP $E2E_UA_CORE:$CORE_CALLER_PORT;branch=[^;]+;received=$E2E_UA_CORE;rport=$CORE_CALLER_PORT"
  check "c2a-uac: 200 Record-Route" hdr "$E2E_WORK/c2a-uac.msg" 200/INVITE Record-Route "$RR_GW" "$rr_core"
  check "c2a-uas: SDP names only $GW" sdp "$E2E_WORK/c2a-uas.msg" "$GW"
  check "c2a-uac: SDP names only $E2E_GW_CORE" sdp "$E2E_WORK/c2a-uac.msg" "$E2E_GW_CORE"
  cdr_ok c2a-uas "bye from caller"
  unregister c2a-unreg 1012
}

scenario_codes() {
  # Seed 003's table: every final answer of the callee side reaches the caller as it was sent, the
  # hop-by-hop ACK handled by sipedge; 503 becomes 500 (RFC 3261 §16.7 step 6: forwarding a 503
  # would say sipedge itself is unavailable). The code server's route relays 3xx (redirect = "pass").
  local code reason want
  for code_reason in "302 Moved Temporarily" "404 Not Found" "480 Temporarily Unavailable" "486 Busy Here" \
                     "488 Not Acceptable Here" "500 Server Internal Error" "503 Service Unavailable" \
                     "600 Busy Everywhere" "603 Decline" "606 Not Acceptable"; do
    code=${code_reason%% *} reason=${code_reason#* }
    want=$code_reason
    [[ $code == 503 ]] && want="500 Server Internal Error"
    sed "s/<recv response=\"486\"\/>/<recv response=\"${want%% *}\"\/>/" "$E2E_SCEN/uac_busy.xml" >"$E2E_WORK/uac_code.xml"
    grep -q "response=\"${want%% *}\"" "$E2E_WORK/uac_code.xml" || { fail "codes: uac_busy.xml changed shape"; return; }
    sed -e "s/@CODE@/$code/" -e "s/@REASON@/$reason/" "$E2E_SCEN/uas_code.xml" >"$E2E_WORK/uas_code_$code.xml"
    e2e_sipp_bg "code$code-uas" "$E2E_CORE_NS" 20 -i "$E2E_UA_CORE" -m 1 -timeout 18s -timeout_error \
      -sf "$E2E_WORK/uas_code_$code.xml" -p "$CODE_PORT" -s 7000 -key contact "$E2E_UA_CORE:$CODE_PORT"
    UAS_PID["code$code-uas"]=$E2E_BG_PID
    e2e_wait_udp "$E2E_CORE_NS" "$CODE_PORT" || fail "code $code: SIPp UAS did not open port $CODE_PORT"
    sipp_ua "code$code-uac" 15 -sf "$E2E_WORK/uac_code.xml" -p "$CALLER_PORT" -s 7000 -key user 1006 -au 1006 \
      -ap sipedge-1006 "$GW:5060" || { e2e_sipp_why "code$code-uac"; fail "code $code: caller SIPp failed"; }
    uas_finish "code$code-uas"
    check "code $code: the caller gets '$want'" start "$E2E_WORK/code$code-uac.msg" "${want%% *}/INVITE" "SIP/2.0 $want"
    check "code $code: the callee got sipedge's ACK" seq "$E2E_WORK/code$code-uas.msg" INVITE ACK
  done
}

# fwd_user LABEL USER SCENARIO: USER registered on FWD_PORT and answering with SCENARIO, and 1013
# registered on TARGET_PORT answering normally.
fwd_parties() {
  local label=$1 user=$2 scen=$3
  if [[ -n "$scen" ]]; then
    register "$label-reg" "$user" "$FWD_PORT" "$UA:$FWD_PORT" "$UA:$FWD_PORT" || return 1
    uas "$label-user" "$scen" "$FWD_PORT" "$user" -mi "$UA" -mp "$FWD_MEDIA"
  fi
  register "$label-treg" 1013 "$TARGET_PORT" "$UA:$TARGET_PORT" "$UA:$TARGET_PORT" || return 1
  uas "$label-target" uas_answer "$TARGET_PORT" 1013 -mi "$UA" -mp "$TARGET_MEDIA" -rtp_echo
}

scenario_fwd_busy() {
  # Seed 001: the callee is busy and forwards on busy. The caller never sees the 486; the target
  # gets the INVITE with Diversion naming the busy user; media anchors on the leg that answers.
  fwd_parties fb 1020 uas_busy || return
  call_as fb-uac uac_call 25 1020 -mi "$UA" -mp "$CALLER_MEDIA"
  uas_finish fb-user
  uas_finish fb-target
  check "fb-user: rung, then sipedge's ACK for its 486" seq "$E2E_WORK/fb-user.msg" INVITE ACK
  check "fb-target: INVITE Diversion" hdr "$E2E_WORK/fb-target.msg" INVITE Diversion \
    "<sip:1020@sipedge\\.test>;reason=user-busy;counter=1"
  check "fb-target: INVITE Request-URI" start "$E2E_WORK/fb-target.msg" INVITE "INVITE sip:1013@$UA:$TARGET_PORT SIP/2.0"
  check "fb-uac: no 486, the target's answer" seq "$E2E_WORK/fb-uac.msg" 407/INVITE 100/INVITE \
    180/INVITE 200/INVITE 200/BYE
  check "fb-target: SDP names only $GW" sdp "$E2E_WORK/fb-target.msg" "$GW"
  cdr_ok fb-target "bye from caller"
  unregister fb-unreg 1020
  unregister fb-tunreg 1013
}

scenario_fwd_noanswer() {
  # Seeds 001/004: the callee rings unanswered for its no-answer time (2 s): sipedge CANCELs it and
  # forwards with Diversion reason=no-answer; the caller hears ringing from both.
  fwd_parties fn 1021 uas_ring_cancel || return
  call_as fn-uac uac_call 25 1021 -mi "$UA" -mp "$CALLER_MEDIA"
  uas_finish fn-user
  uas_finish fn-target
  check "fn-user: rung, cancelled by sipedge" seq "$E2E_WORK/fn-user.msg" INVITE CANCEL ACK
  check "fn-target: INVITE Diversion" hdr "$E2E_WORK/fn-target.msg" INVITE Diversion \
    "<sip:1021@sipedge\\.test>;reason=no-answer;counter=1"
  # Two rings: one per callee in proxy mode (each its own early dialog); in b2bua mode both are the
  # caller's one early dialog with sipedge, the same 180 again, which the caller takes as a repeat.
  local rings=(180/INVITE 180/INVITE)
  [[ $mode == b2bua ]] && rings=(180/INVITE)
  check "fn-uac: no 487, the rings, the target's answer" seq "$E2E_WORK/fn-uac.msg" 407/INVITE \
    100/INVITE "${rings[@]}" 200/INVITE 200/BYE
  cdr_ok fn-target "bye from caller"
  unregister fn-unreg 1021
  unregister fn-tunreg 1013
}

scenario_fwd_unconditional() {
  # The callee forwards everything: it is never rung (it is not even registered).
  fwd_parties fu 1022 "" || return
  call_as fu-uac uac_call 25 1022 -mi "$UA" -mp "$CALLER_MEDIA"
  uas_finish fu-target
  check "fu-target: INVITE Diversion" hdr "$E2E_WORK/fu-target.msg" INVITE Diversion \
    "<sip:1022@sipedge\\.test>;reason=unconditional;counter=1"
  cdr_ok fu-target "bye from caller"
  unregister fu-tunreg 1013
}

scenario_redirect() {
  # Seed 002: a redirect server answers 302; sipedge recurses on its Contact and the caller only
  # ever sees the answer of where it was redirected to.
  fwd_parties rd "" "" || return
  core_uas rd-server uas_redirect "$REDIRECT_PORT" -key target "sip:1013@sipedge.test"
  call_as rd-uac uac_call 25 8123 -mi "$UA" -mp "$CALLER_MEDIA"
  uas_finish rd-server
  uas_finish rd-target
  check "rd-server: INVITE, then sipedge's ACK for the 302" seq "$E2E_WORK/rd-server.msg" INVITE ACK
  check "rd-uac: no 302, the target's answer" seq "$E2E_WORK/rd-uac.msg" 407/INVITE 100/INVITE \
    180/INVITE 200/INVITE 200/BYE
  check "rd-target: SDP names only $GW (the media moved to the access side)" sdp "$E2E_WORK/rd-target.msg" "$GW"
  check "rd-target: INVITE Request-URI" start "$E2E_WORK/rd-target.msg" INVITE "INVITE sip:1013@$UA:$TARGET_PORT SIP/2.0"
  cdr_ok rd-target "bye from caller"
  unregister rd-tunreg 1013
}

scenario_session_timer() {
  # RFC 4028 (seed 004 carries Session-Expires): an interval below Min-SE gets 422 with sipedge's
  # Min-SE; a call whose refresh never comes is ended by sipedge with BYE both ways.
  register st-reg 1012 "$CALLEE_PORT" "$UA:$CALLEE_PORT" "$UA:$CALLEE_PORT" || return
  uas st-uas uas_timer "$CALLEE_PORT" 1012 -mi "$UA" -mp "$CALLEE_MEDIA" -rtp_echo
  e2e_sipp st-uac "$E2E_CORE_NS" 30 -i "$E2E_UA_CORE" -m 1 -timeout 28s -timeout_error \
    -sf "$E2E_SCEN/uac_session_timer.xml" -p "$CORE_CALLER_PORT" -s 1012 -key user 9001 -key short 1 -key interval 4 \
    -mi "$E2E_UA_CORE" -mp "$CORE_MEDIA" "$E2E_GW_CORE:5060" || { e2e_sipp_why st-uac; fail "st-uac: caller SIPp failed"; }
  uas_finish st-uas
  check "st-uac: 422 with Min-SE" hdr "$E2E_WORK/st-uac.msg" 422/INVITE Min-SE 2
  check "st-uas: INVITE Session-Expires" hdr "$E2E_WORK/st-uas.msg" INVITE Session-Expires "4;refresher=uac"
  check "st-uac: BYE from sipedge" hdr "$E2E_WORK/st-uac.msg" BYE Reason 'SIP;cause=200;text="session timer expired"'
  check "st-uas: BYE from sipedge" hdr "$E2E_WORK/st-uas.msg" BYE Reason 'SIP;cause=200;text="session timer expired"'
  cdr_ok st-uas "session timer expired"
  unregister st-unreg 1012
}

# RTP packets the relay dropped for coming from another source than the latched one.
strict_drops() { stat dataplane relay.drops.StrictSource; }

scenario_hold() {
  # Seed 001 call hold: a=sendonly, then c=0.0.0.0 with a=inactive (RFC 2543), then a=sendrecv. Hold
  # passes through as hold, every other address is sipedge's, RTP flows again after the resume.
  local strict_before
  strict_before=$(strict_drops) || { fail "hold: sipedgectl dataplane"; return; }
  register hold-reg 1012 "$CALLEE_PORT" "$UA:$CALLEE_PORT" "$UA:$CALLEE_PORT" || return
  uas hold-uas uas_hold "$CALLEE_PORT" 1012 -mi "$UA" -mp "$CALLEE_MEDIA" -rtp_echo
  call_as hold-uac uac_hold 30 1012 -mi "$UA" -mp "$CALLER_MEDIA"
  uas_finish hold-uas
  check "hold-uas: messages" seq "$E2E_WORK/hold-uas.msg" INVITE ACK INVITE ACK INVITE ACK INVITE ACK BYE
  check "hold-uas: SDP names only $GW (or 0.0.0.0 for hold)" sdp "$E2E_WORK/hold-uas.msg" "$GW"
  check "hold-uac: SDP names only $GW" sdp "$E2E_WORK/hold-uac.msg" "$GW"
  "$E2E_PYTHON" -c '
import sys; sys.path.insert(0, sys.argv[1])
import sipcheck
bodies = [b for d, s, h, b in sipcheck.messages(sys.argv[2]) if d == "received" and s.startswith("INVITE ")]
want = [None, "a=sendonly", "a=inactive", "a=sendrecv"]
ok = len(bodies) == 4 and all(w is None or w in b for w, b in zip(want, bodies)) and "c=IN IP4 0.0.0.0" in bodies[2]
sys.exit(0 if ok else 1)' "$E2E_DIR" "$E2E_WORK/hold-uas.msg" || fail "hold-uas: re-INVITE directions"
  local strict
  strict=$(strict_drops)
  (( strict == strict_before )) || fail "hold: $((strict - strict_before)) RTP packet(s) dropped as StrictSource"
  cdr_ok hold-uas "bye from caller"
  unregister hold-unreg 1012
}

scenario_ringback() {
  # Seed 001 colour ringback: 183 with SDP and early media before the answer, then a 200 whose SDP
  # names another port: the relay follows it without dropping what the callee sends.
  local strict_before strict
  strict_before=$(strict_drops) || { fail "ringback: sipedgectl dataplane"; return; }
  register rb-reg 1012 "$CALLEE_PORT" "$UA:$CALLEE_PORT" "$UA:$CALLEE_PORT" || return
  uas rb-uas uas_ringback "$CALLEE_PORT" 1012 -mi "$UA" -mp "$CALLEE_MEDIA" -rtp_echo
  call_as rb-uac uac_call 30 1012 -mi "$UA" -mp "$CALLER_MEDIA"
  uas_finish rb-uas
  check "rb-uac: messages" seq "$E2E_WORK/rb-uac.msg" 407/INVITE 100/INVITE 183/INVITE 200/INVITE 200/BYE
  check "rb-uac: SDP of the 183 and the 200 names only $GW" sdp "$E2E_WORK/rb-uac.msg" "$GW"
  strict=$(strict_drops)
  (( strict == strict_before )) || fail "ringback: $((strict - strict_before)) RTP packet(s) dropped as StrictSource"
  # Early media (one pcap, 84 packets) and the answered call's (another) reached the caller.
  local call_id cdr
  call_id=$(e2e_call_id rb-uas)
  cdr_ok rb-uas "bye from caller"
  cdr=$("$E2E_PYTHON" "$E2E_CHECK" cdr "$E2E_CDR" "$call_id") &&
    "$E2E_PYTHON" -c 'import json,sys; sys.exit(0 if json.loads(sys.argv[1])["packets_callee_to_caller"] >= 160 else 1)' "$cdr" ||
    fail "ringback: early media and the answered call's RTP did not both reach the caller"
  unregister rb-unreg 1012
}

scenario_prack_update() {
  # Seed 003 (VoLTE): 183 with RSeq and SDP, PRACK with RAck, UPDATE before and after the answer;
  # RSeq/RAck/Require pass end to end and every offer and answer is anchored.
  register pu-reg 1012 "$CALLEE_PORT" "$UA:$CALLEE_PORT" "$UA:$CALLEE_PORT" || return
  uas pu-uas uas_prack "$CALLEE_PORT" 1012 -mi "$UA" -mp "$CALLEE_MEDIA" -rtp_echo
  call_as pu-uac uac_prack 30 1012 -mi "$UA" -mp "$CALLER_MEDIA"
  uas_finish pu-uas
  check "pu-uac: messages" seq "$E2E_WORK/pu-uac.msg" 407/INVITE 100/INVITE 183/INVITE 200/PRACK \
    200/UPDATE 200/INVITE 200/UPDATE 200/BYE
  check "pu-uas: messages" seq "$E2E_WORK/pu-uas.msg" INVITE PRACK UPDATE ACK UPDATE BYE
  check "pu-uac: 183 RSeq" hdr "$E2E_WORK/pu-uac.msg" 183/INVITE RSeq 1
  check "pu-uac: 183 Require" hdr "$E2E_WORK/pu-uac.msg" 183/INVITE Require 100rel
  # RAck names the INVITE of the callee's dialog: the caller's (CSeq 2, after the 407) in proxy mode,
  # sipedge's own (CSeq 1) in b2bua mode.
  check "pu-uas: PRACK RAck" hdr "$E2E_WORK/pu-uas.msg" PRACK RAck "1 $([[ $mode == b2bua ]] && echo 1 || echo 2) INVITE"
  check "pu-uas: INVITE Require" hdr "$E2E_WORK/pu-uas.msg" INVITE Require 100rel
  check "pu-uas: SDP names only $GW" sdp "$E2E_WORK/pu-uas.msg" "$GW"
  check "pu-uac: SDP names only $GW" sdp "$E2E_WORK/pu-uac.msg" "$GW"
  if [[ $mode == b2bua ]]; then
    check "pu-uac/pu-uas: neither side sees the other's" hidden "$E2E_WORK/pu-uac.msg" "$UA:$CALLER_PORT" \
      "$E2E_WORK/pu-uas.msg" "$UA:$CALLEE_PORT"
  fi
  cdr_ok pu-uas "bye from caller"
  unregister pu-unreg 1012
}

scenario_callwaiting() {
  # Seed 001 call waiting: B holds A (a re-INVITE from the callee side), talks to C on its second
  # line, resumes A. Two calls through sipedge at once, each with its own media.
  register cw-reg 1012 "$CALLEE_PORT" "$UA:$CALLEE_PORT" "$UA:$CALLEE_PORT" || return
  register cw-reg2 1014 "$FWD_PORT" "$UA:$FWD_PORT" "$UA:$FWD_PORT" || return
  uas cw-b uas_cw_b "$CALLEE_PORT" 1012 -mi "$UA" -mp "$CALLEE_MEDIA" -rtp_echo
  uas cw-b2 uas_answer "$FWD_PORT" 1014 -mi "$UA" -mp "$FWD_MEDIA" -rtp_echo
  e2e_sipp_bg cw-a "$E2E_ACC_NS" 40 -i "$UA" -m 1 -timeout 38s -timeout_error -sf "$E2E_SCEN/uac_cw_a.xml" \
    -p "$CALLER_PORT" -s 1012 -key user 1006 -au 1006 -ap sipedge-1006 -mi "$UA" -mp "$CALLER_MEDIA" "$GW:5060"
  local a_pid=$E2E_BG_PID
  e2e_wait_log cw-b "a=sendonly" 10 || fail "cw: B did not hold A"
  # C (1013) calls B's second line while A waits on hold.
  sipp_ua cw-c 25 -sf "$E2E_SCEN/uac_call.xml" -p "$TARGET_PORT" -s 1014 -key user 1013 -au 1013 -ap sipedge-1013 \
    -mi "$UA" -mp "$TARGET_MEDIA" "$GW:5060" || { e2e_sipp_why cw-c; fail "cw-c: caller SIPp failed"; }
  e2e_sipp_wait "$a_pid" || { e2e_sipp_why cw-a; fail "cw-a: SIPp failed"; }
  uas_finish cw-b
  uas_finish cw-b2
  check "cw-a: held and resumed by B" seq "$E2E_WORK/cw-a.msg" 407/INVITE 100/INVITE 180/INVITE \
    200/INVITE INVITE ACK INVITE ACK 200/BYE
  check "cw-a: SDP names only $GW" sdp "$E2E_WORK/cw-a.msg" "$GW"
  check "cw-b: SDP names only $GW" sdp "$E2E_WORK/cw-b.msg" "$GW"
  cdr_ok cw-b "bye from caller"
  cdr_ok cw-b2 "bye from caller"
  unregister cw-unreg 1012
  unregister cw-unreg2 1014
}

SECOND_PORT=5077 SECOND_MEDIA=6700   # a second SIPp of the same party (transfers, Join)

# bg_call LABEL SCENARIO PORT MEDIA SERVICE USER [SIPP_ARGS...]: USER (digest) calls SERVICE from the
# access namespace, in the background; the PID in E2E_BG_PID.
bg_call() {
  local label=$1 scen=$2 port=$3 media=$4 service=$5 user=$6
  shift 6
  e2e_sipp_bg "$label" "$E2E_ACC_NS" 40 -i "$UA" -m 1 -timeout 38s -timeout_error -sf "$E2E_SCEN/$scen.xml" \
    -p "$port" -s "$service" -key user "$user" -au "$user" -ap "sipedge-$user" -mi "$UA" -mp "$media" "$@" "$GW:5060"
}
bg_finish() {  # bg_finish LABEL PID
  e2e_sipp_wait "$2" || { e2e_sipp_why "$1"; fail "$1: SIPp failed"; }
}

scenario_blind_transfer() {
  # Seed 001 blind transfer: B REFERs A to C inside their dialog; A's 202 and NOTIFYs reach B; A's
  # new call to C carries Referred-By; all three parties only ever see sipedge's addresses.
  register bt-breg 1012 "$CALLEE_PORT" "$UA:$CALLEE_PORT" "$UA:$CALLEE_PORT" || return
  register bt-creg 1013 "$TARGET_PORT" "$UA:$TARGET_PORT" "$UA:$TARGET_PORT" || return
  uas bt-b uas_blind_b "$CALLEE_PORT" 1012 -mi "$UA" -mp "$CALLEE_MEDIA" -rtp_echo -key target "sip:1013@sipedge.test"
  uas bt-c uas_answer "$TARGET_PORT" 1013 -mi "$UA" -mp "$TARGET_MEDIA" -rtp_echo
  bg_call bt-a uac_blind_a "$CALLER_PORT" "$CALLER_MEDIA" 1012 1006
  local a_pid=$E2E_BG_PID
  e2e_wait_log bt-a "^REFER " 15 || fail "bt: A got no REFER"
  bg_call bt-a2 uac_referred "$SECOND_PORT" "$SECOND_MEDIA" 1013 1006 -key referrer "sip:1012@sipedge.test"
  local a2_pid=$E2E_BG_PID
  bg_finish bt-a "$a_pid"
  bg_finish bt-a2 "$a2_pid"
  uas_finish bt-b
  uas_finish bt-c
  check "bt-a: REFER Refer-To" hdr "$E2E_WORK/bt-a.msg" REFER Refer-To "<sip:1013@sipedge\\.test>"
  check "bt-a: REFER Referred-By" hdr "$E2E_WORK/bt-a.msg" REFER Referred-By "<sip:1012@sipedge\\.test>"
  check "bt-b: messages" seq "$E2E_WORK/bt-b.msg" INVITE ACK 202/REFER NOTIFY NOTIFY 200/BYE
  check "bt-b: the last NOTIFY says 200 OK" body "$E2E_WORK/bt-b.msg" NOTIFY "SIP/2.0 100 Trying"
  check "bt-c: INVITE Referred-By" hdr "$E2E_WORK/bt-c.msg" INVITE Referred-By "<sip:1012@sipedge\\.test>"
  for who in bt-a bt-b bt-c; do check "$who: SDP names only $GW" sdp "$E2E_WORK/$who.msg" "$GW"; done
  cdr_ok bt-b "bye from callee"
  cdr_ok bt-c "bye from caller"
  if [[ $mode == b2bua ]]; then
    # Each call a dialog per leg: the REFER, the 202 and NOTIFYs crossed legs, and nobody received
    # anything of another party's.
    check "bt-a/bt-b: neither side sees the other's" hidden "$E2E_WORK/bt-a.msg" "$UA:$CALLER_PORT" \
      "$E2E_WORK/bt-b.msg" "$UA:$CALLEE_PORT"
    check "bt-a2/bt-c: neither side sees the other's" hidden "$E2E_WORK/bt-a2.msg" "$UA:$SECOND_PORT" \
      "$E2E_WORK/bt-c.msg" "$UA:$TARGET_PORT"
  fi
  unregister bt-bunreg 1012
  unregister bt-cunreg 1013
}

scenario_attended_transfer() {
  # Seed 001 attended transfer: A holds B, consults C, REFERs B to C with Replaces naming the
  # consultation dialog; B's INVITE to C carries that Replaces unchanged; B NOTIFYs A. C is behind
  # NAT (its Contact names a private address) and A's Refer-To names C's Contact as A learned it
  # from the consultation's 200: the public address sipedge wrote there must lead B's INVITE to C.
  local c_private=192.168.77.13:5060 c_public="sip:1013@$UA:$TARGET_PORT"
  register at-breg 1012 "$CALLEE_PORT" "$UA:$CALLEE_PORT" "$UA:$CALLEE_PORT" || return
  register at-creg 1013 "$TARGET_PORT" "$c_private" "$c_private" || return
  uas at-b uas_att_b "$CALLEE_PORT" 1012 -mi "$UA" -mp "$CALLEE_MEDIA" -rtp_echo
  e2e_sipp_bg at-c "$E2E_ACC_NS" 45 -i "$UA" -m 2 -timeout 43s -timeout_error -sf "$E2E_SCEN/uas_answer_tag.xml" \
    -p "$TARGET_PORT" -s 1013 -key contact "$c_private" -mi "$UA" -mp "$TARGET_MEDIA" -rtp_echo -key totag ctag
  UAS_PID[at-c]=$E2E_BG_PID
  e2e_wait_udp "$E2E_ACC_NS" "$TARGET_PORT" || fail "at-c: SIPp UAS did not open port $TARGET_PORT"
  bg_call at-a uac_att_a "$CALLER_PORT" "$CALLER_MEDIA" 1012 1006 -key target "$c_public" \
    -key replaces_escaped "att2%40e2e%3Bto-tag%3Dctag%3Bfrom-tag%3Da2tag"
  local a_pid=$E2E_BG_PID
  e2e_wait_log at-b "a=sendonly" 15 || fail "at: A did not hold B"
  bg_call at-a2 uac_consult "$SECOND_PORT" "$SECOND_MEDIA" 1013 1006 -cid_str att2@e2e -key fromtag a2tag
  local a2_pid=$E2E_BG_PID
  e2e_wait_log at-b "^REFER " 15 || fail "at: B got no REFER"
  bg_call at-b2 uac_replaces 5078 6800 1013 1012 -key replaces "att2@e2e;to-tag=ctag;from-tag=a2tag" -key target "$c_public"
  local b2_pid=$E2E_BG_PID
  bg_finish at-a "$a_pid"
  bg_finish at-a2 "$a2_pid"
  bg_finish at-b2 "$b2_pid"
  uas_finish at-b
  uas_finish at-c
  check "at-a2: C's Contact in the 200 is its public address" hdr "$E2E_WORK/at-a2.msg" 200/INVITE Contact \
    "<sip:1013@${UA//./\\.}:$TARGET_PORT>"
  check "at-b: REFER Refer-To" hdr "$E2E_WORK/at-b.msg" REFER Refer-To \
    "<sip:1013@${UA//./\\.}:$TARGET_PORT\\?Replaces=att2%40e2e%3Bto-tag%3Dctag%3Bfrom-tag%3Da2tag>"
  check "at-c: both INVITEs reach its registered Contact" start "$E2E_WORK/at-c.msg" INVITE "INVITE sip:1013@$c_private SIP/2.0"
  [[ $(grep -c "^INVITE sip:1013@$c_private SIP/2.0" "$E2E_WORK/at-c.msg") == 2 ]] || fail "at-c: not 2 INVITEs to sip:1013@$c_private"
  check "at-a: messages" seq "$E2E_WORK/at-a.msg" 407/INVITE 100/INVITE 180/INVITE 200/INVITE 100/INVITE \
    200/INVITE 202/REFER NOTIFY 200/BYE
  "$E2E_PYTHON" -c '
import sys; sys.path.insert(0, sys.argv[1]); import sipcheck
got = [sipcheck.values(h, "replaces") for d, s, h, b in sipcheck.messages(sys.argv[2]) if d == "received" and s.startswith("INVITE ")]
sys.exit(0 if ["att2@e2e;to-tag=ctag;from-tag=a2tag"] in got else 1)' "$E2E_DIR" "$E2E_WORK/at-c.msg" ||
    fail "at-c: no INVITE with the Replaces header unchanged"
  for who in at-a at-b at-c; do check "$who: SDP names only $GW" sdp "$E2E_WORK/$who.msg" "$GW"; done
  cdr_ok at-b "bye from caller"
  cdr_ok at-b2 "bye from caller"
  unregister at-bunreg 1012
  unregister at-cunreg 1013
}

scenario_threeway() {
  # Seed 001 three-way calling, two ways: A and B both call a conference focus on the core side
  # (two calls through sipedge at once), and C joins A's call with Join (RFC 3911), which reaches
  # A unchanged.
  e2e_sipp_bg tw-focus "$E2E_CORE_NS" 40 -i "$E2E_UA_CORE" -m 2 -timeout 38s -timeout_error \
    -sf "$E2E_SCEN/uas_answer.xml" -p 5060 -s 9000 -key contact "$E2E_UA_CORE:5060" -mi "$E2E_UA_CORE" -mp 6900 -rtp_echo
  local focus_pid=$E2E_BG_PID
  e2e_wait_udp "$E2E_CORE_NS" 5060 || fail "tw: the focus did not open port 5060"
  bg_call tw-a uac_call "$CALLER_PORT" "$CALLER_MEDIA" 9000 1006
  local a_pid=$E2E_BG_PID
  bg_call tw-b uac_call "$CALLEE_PORT" "$CALLEE_MEDIA" 9000 1012
  local b_pid=$E2E_BG_PID
  bg_finish tw-a "$a_pid"
  bg_finish tw-b "$b_pid"
  bg_finish tw-focus "$focus_pid"
  check "tw-focus: SDP names only $E2E_GW_CORE" sdp "$E2E_WORK/tw-focus.msg" "$E2E_GW_CORE"
  cdr_ok tw-a "bye from caller"
  cdr_ok tw-b "bye from caller"
  # Join: A talks to B; C calls A's other line with Join naming that dialog.
  register tw-breg 1012 "$CALLEE_PORT" "$UA:$CALLEE_PORT" "$UA:$CALLEE_PORT" || return
  register tw-areg 1006 "$SECOND_PORT" "$UA:$SECOND_PORT" "$UA:$SECOND_PORT" || return
  uas tw-jb uas_answer_tag "$CALLEE_PORT" 1012 -mi "$UA" -mp "$CALLEE_MEDIA" -rtp_echo -key totag btag
  uas tw-ja uas_answer "$SECOND_PORT" 1006 -mi "$UA" -mp "$SECOND_MEDIA" -rtp_echo
  bg_call tw-j1 uac_consult "$CALLER_PORT" "$CALLER_MEDIA" 1012 1006 -cid_str tw1@e2e -key fromtag atag
  local j1_pid=$E2E_BG_PID
  e2e_wait_log tw-j1 "^SIP/2.0 200 OK" 15 || fail "tw: A's call to B not answered"
  bg_call tw-jc uac_join "$TARGET_PORT" "$TARGET_MEDIA" 1006 1013 -key join "tw1@e2e;to-tag=btag;from-tag=atag"
  local jc_pid=$E2E_BG_PID
  bg_finish tw-j1 "$j1_pid"
  bg_finish tw-jc "$jc_pid"
  uas_finish tw-jb
  uas_finish tw-ja
  check "tw-ja: INVITE Join" hdr "$E2E_WORK/tw-ja.msg" INVITE Join "tw1@e2e;to-tag=btag;from-tag=atag"
  check "tw-ja: SDP names only $GW" sdp "$E2E_WORK/tw-ja.msg" "$GW"
  cdr_ok tw-ja "bye from caller"
  unregister tw-bunreg 1012
  unregister tw-aunreg 1006
}

scenario_3pcc() {
  # Seed 002 third-party call control (RFC 3725 flow I): a controller on the core side INVITEs A
  # without SDP, takes A's offer from the 200 to B, and answers A in the ACK with B's answer: the
  # late offer and the answer in the ACK are both anchored, and A and B talk through the relay.
  # Only A echoes: two echoing ends would bounce every packet between them for the whole call.
  register 3p-reg 1012 "$CALLEE_PORT" "$UA:$CALLEE_PORT" "$UA:$CALLEE_PORT" || return
  uas 3p-a uas_offer "$CALLEE_PORT" 1012 -mi "$UA" -mp "$CALLEE_MEDIA" -rtp_echo
  core_uas 3p-b uas_answer 5078 -s b -mi "$E2E_UA_CORE" -mp 6800
  e2e_sipp 3p-ctl "$E2E_CORE_NS" 30 -i "$E2E_UA_CORE" -m 1 -timeout 28s -timeout_error -sf "$E2E_SCEN/uac_3pcc.xml" \
    -p "$CORE_CALLER_PORT" -s 1012 -key user 9001 -key b_host "$E2E_UA_CORE" -key b_port 5078 -key gw_host "$E2E_GW_CORE" -key gw_port 5060 "$E2E_GW_CORE:5060" ||
    { e2e_sipp_why 3p-ctl; fail "3p-ctl: controller SIPp failed"; }
  uas_finish 3p-a
  uas_finish 3p-b
  check "3p-a: messages" seq "$E2E_WORK/3p-a.msg" INVITE ACK BYE
  check "3p-a: SDP of the ACK names only $GW" sdp "$E2E_WORK/3p-a.msg" "$GW"
  check "3p-b: the offer it got names only $E2E_GW_CORE" sdp "$E2E_WORK/3p-b.msg" "$E2E_GW_CORE"
  cdr_ok 3p-a "bye from caller"
  unregister 3p-unreg 1012
}

# Brings up the second sipedge for two_proxies: namespaces <net>-gw2 (sipedge) and <net>-core2 (the
# callee), a veth from the core namespace to gw2, one from gw2 to core2, and a config derived from
# this run's (its own ports, file prefix, socket and CDR; route 6... to the callee; the first sipedge
# trusted). Sets P2_PID, P2_SOCK, P2_CDR.
second_proxy_up() {
  local gw2="${E2E_NET}-gw2" core2="${E2E_NET}-core2" acc_if="${E2E_NET}-2a" core_if="${E2E_NET}-2c"
  E2E_EXTRA_NS+=("$gw2" "$core2")
  ip netns add "$gw2" && ip netns add "$core2" || return 1
  ip -n "$gw2" link set lo up
  ip -n "$core2" link set lo up
  ip -n "$gw2" link add "$acc_if" type veth peer name eth1 netns "$E2E_CORE_NS" || return 1
  ip -n "$gw2" link add "$core_if" type veth peer name eth0 netns "$core2" || return 1
  local ns ifc
  for ns_if in "$gw2 $acc_if" "$gw2 $core_if" "$E2E_CORE_NS eth1" "$core2 eth0"; do
    read -r ns ifc <<<"$ns_if"
    ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$ifc.disable_ipv6=1" 2>/dev/null || true
    ip -n "$ns" link set "$ifc" up
    ip netns exec "$ns" ethtool -K "$ifc" tx off >/dev/null 2>&1 || true
  done
  ip -n "$E2E_CORE_NS" addr add "$P2_ACC_PEER/24" dev eth1
  ip netns exec "$E2E_CORE_NS" sysctl -qw net.ipv4.ip_forward=1
  ip -n "$core2" addr add "$P2_CALLEE/24" dev eth0
  ip -n "$core2" route add default via "$P2_CORE" dev eth0
  P2_SOCK="$E2E_WORK/mgmt2.sock" P2_CDR="$E2E_WORK/cdr2.jsonl"
  # Its ports are af_packet on its own veths whatever the first sipedge's are (--ports virtio).
  sed -e "s|^vdevs = .*|vdevs = [\"net_af_packet0,iface=$acc_if,qpairs=1\", \"net_af_packet1,iface=$core_if,qpairs=1\"]|" \
      -e 's/^device = "net_virtio_user\([01]\)"/device = "net_af_packet\1"/' \
      -e "s/^file_prefix = .*/file_prefix = \"${E2E_NET}b\"/" \
      -e "s|^ipv4 = \"10.201.0.1/24\"$|ipv4 = \"$P2_ACC/24\"\\ngateway4 = \"$P2_ACC_PEER\"|" \
      -e "s|^ipv4 = \"10.202.0.1/24\"$|ipv4 = \"$P2_CORE/24\"|" -e "/^gateway4 = \"10.202.0.2\"$/d" \
      -e "s|^trusted = .*|trusted = [\"10.202.0.0/24\"]|" \
      -e "s|^path = .*|path = \"$P2_CDR\"|" -e "s|^socket = .*|socket = \"$P2_SOCK\"|" \
      -e "s|^next_hops = \\[\"$P2_ACC:5060\"\\]|next_hops = [\"$P2_CALLEE:5062\"]|" "$E2E_CFG" >"$E2E_WORK/sipedge2.toml"
  grep -q "next_hops = \\[\"$P2_CALLEE:5062\"\\]" "$E2E_WORK/sipedge2.toml" && grep -q "iface=$acc_if,qpairs=1" "$E2E_WORK/sipedge2.toml" ||
    { e2e_log "two_proxies: config not derived"; return 1; }
  ip netns exec "$gw2" "$E2E_SIPEDGE" --config "$E2E_WORK/sipedge2.toml" >"$E2E_WORK/sipedge2.log" 2>&1 &
  P2_PID=$!
  E2E_PIDS+=("$P2_PID")
  local i
  for ((i = 0; i < 100; i++)); do
    "$E2E_SIPEDGECTL" --socket "$P2_SOCK" --json stats >/dev/null 2>&1 && return 0
    kill -0 "$P2_PID" 2>/dev/null || break
    sleep 0.3
  done
  tail -20 "$E2E_WORK/sipedge2.log" >&2
  return 1
}

scenario_two_proxies() {
  # Seed 002's 407 through two proxies: caller -> sipedge -> second sipedge -> callee. Only the first
  # hop challenges; both Record-Route (two entries each: they cross interfaces); the ACK and the
  # callee's BYE follow the Route set through both; SDP names the neighbouring sipedge only.
  second_proxy_up || { fail "two_proxies: second sipedge did not start"; return; }
  e2e_sipp_bg 2p-uas "${E2E_NET}-core2" 40 -i "$P2_CALLEE" -m 1 -timeout 38s -timeout_error \
    -sf "$E2E_SCEN/uas_bye.xml" -p 5062 -s 6000 -key contact "$P2_CALLEE:5062" -mi "$P2_CALLEE" -mp 6100 -rtp_echo
  UAS_PID[2p-uas]=$E2E_BG_PID
  e2e_wait_udp "${E2E_NET}-core2" 5062 || fail "2p-uas: did not open port 5062"
  call_as 2p-uac uac_wait_bye 30 6000 -mi "$UA" -mp "$CALLER_MEDIA"
  uas_finish 2p-uas
  local token='sek=[0-9a-f]+\.[0-9a-f]{20}'
  local rr1a="<sip:$GW:5060;lr;$token>" rr1c="<sip:$E2E_GW_CORE:5060;lr;$token>"
  local rr2a="<sip:$P2_ACC:5060;lr;$token>" rr2c="<sip:$P2_CORE:5060;lr;$token>"
  check "2p-uas: INVITE Record-Route (second sipedge on top)" hdr "$E2E_WORK/2p-uas.msg" INVITE Record-Route \
    "$rr2c" "$rr2a" "$rr1c" "$rr1a"
  check "2p-uac: 200 Record-Route" hdr "$E2E_WORK/2p-uac.msg" 200/INVITE Record-Route "$rr2c" "$rr2a" "$rr1c" "$rr1a"
  check "2p-uac: one 407, from the first hop only" seq "$E2E_WORK/2p-uac.msg" 407/INVITE 100/INVITE \
    180/INVITE 200/INVITE BYE
  check "2p-uas: ACK and the 200 to its BYE came" seq "$E2E_WORK/2p-uas.msg" INVITE ACK 200/BYE
  check "2p-uac: the callee's BYE, through both" hdr "$E2E_WORK/2p-uac.msg" BYE Via "$VIA_GW" \
    "SIP/2.0/UDP $P2_ACC:5060;branch=[^;]+;received=$P2_ACC;rport=5060" \
    "SIP/2.0/UDP $P2_CALLEE:5062;branch=[^;]+;received=$P2_CALLEE;rport=5062"
  check "2p-uac: SDP names only $GW" sdp "$E2E_WORK/2p-uac.msg" "$GW"
  check "2p-uas: SDP names only $P2_CORE" sdp "$E2E_WORK/2p-uas.msg" "$P2_CORE"
  cdr_ok 2p-uas "bye from callee"
  local call_id
  call_id=$(e2e_call_id 2p-uas)
  "$E2E_PYTHON" "$E2E_CHECK" cdrok "$P2_CDR" "$call_id" "bye from callee" >/dev/null || fail "2p: second sipedge's CDR"
  second_proxy_down
}

# second_proxy_down: the second sipedge holds no state any more, stops cleanly, its namespaces go.
second_proxy_down() {
  local i out
  for ((i = 0; i < 30; i++)); do
    "$E2E_SIPEDGECTL" --socket "$P2_SOCK" --json stats >"$E2E_WORK/p2-stats.json" 2>/dev/null &&
      out=$("$E2E_PYTHON" "$E2E_CHECK" idle "$E2E_WORK/p2-stats.json" 2>&1) && break
    sleep 0.5
  done
  "$E2E_PYTHON" "$E2E_CHECK" idle "$E2E_WORK/p2-stats.json" >/dev/null || fail "2p: state left in the second sipedge: $out"
  kill -TERM "$P2_PID" 2>/dev/null
  e2e_sipp_wait "$P2_PID" || fail "2p: the second sipedge did not stop cleanly"
  ip netns del "${E2E_NET}-gw2" 2>/dev/null
  ip netns del "${E2E_NET}-core2" 2>/dev/null
  ip -n "$E2E_CORE_NS" link del eth1 2>/dev/null || true
}
