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
flows_config() {
  grep -q '^default_interface = "core"$' "$E2E_CFG" || { e2e_log "e2e: config has no [sip] default_interface line"; return 1; }
  sed -i 's/^default_interface = "core"$/&\nmin_se_s = 2/' "$E2E_CFG"
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
name = "code-server"
match_prefix = "7"
target = "next_hop"
next_hops = ["$E2E_UA_CORE:$CODE_PORT"]
interface = "core"
redirect = "pass"
EOF
}

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
  python3 "$E2E_CHECK" cdrok "$E2E_CDR" "$call_id" "$2" || fail "$1: CDR of $call_id"
}

scenario_callee_bye() {
  # Seed 002: the callee hangs up. Its BYE follows the route set (sipedge's Record-Route) and
  # reaches the caller with sipedge's Via on top.
  register cb-reg 1012 "$CALLEE_PORT" "$UA:$CALLEE_PORT" "$UA:$CALLEE_PORT" || return
  uas cb-uas uas_bye "$CALLEE_PORT" 1012 -mi "$UA" -mp "$CALLEE_MEDIA" -rtp_echo
  call_as cb-uac uac_wait_bye 25 1012 -mi "$UA" -mp "$CALLER_MEDIA"
  uas_finish cb-uas
  check "cb-uas: SDP in the INVITE names only $GW" sdp "$E2E_WORK/cb-uas.msg" "$GW"
  check "cb-uac: messages" seq "$E2E_WORK/cb-uac.msg" 100/INVITE 407/INVITE 100/INVITE 180/INVITE 200/INVITE BYE
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
  check "fb-uac: no 486, the target's answer" seq "$E2E_WORK/fb-uac.msg" 100/INVITE 407/INVITE 100/INVITE \
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
  check "fn-uac: no 487, two rings, the target's answer" seq "$E2E_WORK/fn-uac.msg" 100/INVITE 407/INVITE \
    100/INVITE 180/INVITE 180/INVITE 200/INVITE 200/BYE
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
  check "rd-uac: no 302, the target's answer" seq "$E2E_WORK/rd-uac.msg" 100/INVITE 407/INVITE 100/INVITE \
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
  python3 -c '
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
  check "rb-uac: messages" seq "$E2E_WORK/rb-uac.msg" 100/INVITE 407/INVITE 100/INVITE 183/INVITE 200/INVITE 200/BYE
  check "rb-uac: SDP of the 183 and the 200 names only $GW" sdp "$E2E_WORK/rb-uac.msg" "$GW"
  strict=$(strict_drops)
  (( strict == strict_before )) || fail "ringback: $((strict - strict_before)) RTP packet(s) dropped as StrictSource"
  # Early media (one pcap, 84 packets) and the answered call's (another) reached the caller.
  local call_id cdr
  call_id=$(e2e_call_id rb-uas)
  cdr_ok rb-uas "bye from caller"
  cdr=$(python3 "$E2E_CHECK" cdr "$E2E_CDR" "$call_id") &&
    python3 -c 'import json,sys; sys.exit(0 if json.loads(sys.argv[1])["packets_callee_to_caller"] >= 160 else 1)' "$cdr" ||
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
  check "pu-uac: messages" seq "$E2E_WORK/pu-uac.msg" 100/INVITE 407/INVITE 100/INVITE 183/INVITE 200/PRACK \
    200/UPDATE 200/INVITE 200/UPDATE 200/BYE
  check "pu-uas: messages" seq "$E2E_WORK/pu-uas.msg" INVITE PRACK UPDATE ACK UPDATE BYE
  check "pu-uac: 183 RSeq" hdr "$E2E_WORK/pu-uac.msg" 183/INVITE RSeq 1
  check "pu-uac: 183 Require" hdr "$E2E_WORK/pu-uac.msg" 183/INVITE Require 100rel
  check "pu-uas: PRACK RAck" hdr "$E2E_WORK/pu-uas.msg" PRACK RAck "1 2 INVITE"
  check "pu-uas: INVITE Require" hdr "$E2E_WORK/pu-uas.msg" INVITE Require 100rel
  check "pu-uas: SDP names only $GW" sdp "$E2E_WORK/pu-uas.msg" "$GW"
  check "pu-uac: SDP names only $GW" sdp "$E2E_WORK/pu-uac.msg" "$GW"
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
  check "cw-a: held and resumed by B" seq "$E2E_WORK/cw-a.msg" 100/INVITE 407/INVITE 100/INVITE 180/INVITE \
    200/INVITE INVITE ACK INVITE ACK 200/BYE
  check "cw-a: SDP names only $GW" sdp "$E2E_WORK/cw-a.msg" "$GW"
  check "cw-b: SDP names only $GW" sdp "$E2E_WORK/cw-b.msg" "$GW"
  cdr_ok cw-b "bye from caller"
  cdr_ok cw-b2 "bye from caller"
  unregister cw-unreg 1012
  unregister cw-unreg2 1014
}
