#!/usr/bin/env bash
# bench/e2e_cps.sh — end-to-end calls per second, run as root: SIPp calls (INVITE with SDP, 200, ACK,
# BYE; media anchored by sipedge, no RTP) from the core namespace through sipedge to a UA registered on
# the access side, at increasing rates; the highest rate with 0 failed calls is sipedge's result. The
# same SIPp pair then runs directly UA to UA (both in the access namespace, no sipedge) as the ceiling.
# Appends the table, the command and the machine to bench/RESULTS.md ("End-to-end" section).
# Usage: bench/e2e_cps.sh [--seconds S] [--rates "100 200 400 600 800 1000 1500 2000"] [--no-record]
#        [--sipedge BIN] [--sipedgectl BIN] [--no-direct] [--overload-wait-ms MS] [--b2bua] [--digest] [--shards N]
# --b2bua runs the rates once more with sipedge switched to [sip] mode = "b2bua" (a live reload),
# between the proxy series and the direct one, so the three figures come from the same run.
# --digest runs them once more with the caller on the access side as user 1006, untrusted: each call's
# first INVITE is challenged (407, ACK) and the second carries digest credentials (issue 14's call).
# --no-direct skips the UA-to-UA ceiling (A/B runs of two sipedge builds); implies --no-record.
# --overload-wait-ms sets [sip] overload_wait_ms (0: overload control off) for on/off comparisons.
# --shards runs sipedge with N control shards (lcores 1..N-1 beside the main one; issue 14 §2).
set -uo pipefail
cd "$(dirname "$0")/.."
source tests/e2e/lib.sh

seconds=10 rates="100 200 400 600 800 1000 1500 2000" record=1 sipedge_bin="" ctl_bin="" direct_series=1 overload_wait=""
b2bua_series=0 digest_series=0
cmdline="bench/e2e_cps.sh $*"
while (($#)); do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --rates) rates=$2; shift 2 ;;
    --no-record) record=0; shift ;;
    --sipedge) sipedge_bin=$2; shift 2 ;;
    --sipedgectl) ctl_bin=$2; shift 2 ;;
    --no-direct) direct_series=0 record=0; shift ;;
    --overload-wait-ms) overload_wait=$2; shift 2 ;;
    --b2bua) b2bua_series=1; shift ;;
    --digest) digest_series=1; shift ;;
    --shards) E2E_SHARDS=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "e2e_cps: unknown argument $1" >&2; exit 2 ;;
  esac
done
e2e_require
e2e_find_binaries "$sipedge_bin" "$ctl_bin" || { echo "e2e_cps: build sipedge and sipedgectl first (ninja -C build)" >&2; exit 1; }

UAS_PORT=5062 UAC_PORT=5071
e2e_setup cp
e2e_net_up || exit 1
e2e_write_config 500 || exit 1
if [[ -n $overload_wait ]]; then
  e2e_set_overload_wait "$overload_wait" || exit 1
fi
e2e_start_sipedge || exit 1

# The callee: 1012 registered at the access namespace's UA address, answering every call.
e2e_bench_callee "$UAS_PORT" || exit 1

start_uas() {
  e2e_sipp_bg "uas-$1" "$E2E_ACC_NS" 3600 -i "$E2E_UA_ACC" -sf "$E2E_SCEN/bench_uas.xml" -p "$UAS_PORT" -s 1012 \
    -key contact "$E2E_UA_ACC:$UAS_PORT" -mi "$E2E_UA_ACC" -mp 6100 -trace_stat -stf "$E2E_WORK/uas-$1.csv"
  UAS_PID=$E2E_BG_PID
  e2e_wait_udp "$E2E_ACC_NS" "$UAS_PORT" || { echo "e2e_cps: UAS did not start" >&2; exit 1; }
}
stop_uas() {
  kill -TERM "$UAS_PID" 2>/dev/null
  e2e_sipp_wait "$UAS_PID" || true
}

# step MODE RATE -> prints "calls ok failed seconds"; MODE sipedge or b2bua (core -> sipedge), digest
# (access -> sipedge, authenticated as 1006), or direct.
step() {
  local mode=$1 rate=$2 calls=$(( $2 * seconds )) ns ip target label="$1-$2" scenario=bench_uac auth=()
  if [[ $mode == digest ]]; then
    ns=$E2E_ACC_NS ip=$E2E_UA_ACC target="$E2E_GW_ACC:5060" scenario=bench_uac_auth
    auth=(-key user 1006 -au 1006 -ap sipedge-1006)
  elif [[ $mode != direct ]]; then
    ns=$E2E_CORE_NS ip=$E2E_UA_CORE target="$E2E_GW_CORE:5060"
  else
    ns=$E2E_ACC_NS ip=$E2E_UA_ACC target="$E2E_UA_ACC:$UAS_PORT"
  fi
  local t0 t1
  t0=$(date +%s.%N)
  timeout -k 2 $((seconds * 3 + 30)) ip netns exec "$ns" sipp -nostdin -sf "$E2E_SCEN/$scenario.xml" -i "$ip" \
    -p "$UAC_PORT" -s 1012 "${auth[@]}" -mi "$ip" -mp 6000 -r "$rate" -rp 1000 -m "$calls" -recv_timeout 8000 \
    -timeout $((seconds * 3 + 20))s -trace_err -error_file "$E2E_WORK/$label.err" "$target" \
    >"$E2E_WORK/$label.out" 2>&1 </dev/null
  t1=$(date +%s.%N)
  local ok failed
  ok=$(grep 'Successful call' "$E2E_WORK/$label.out" | tail -1 | awk -F'|' '{gsub(/ /,"",$3); print $3}')
  failed=$(grep 'Failed call' "$E2E_WORK/$label.out" | tail -1 | awk -F'|' '{gsub(/ /,"",$3); print $3}')
  echo "$calls ${ok:-0} ${failed:-$calls} $(echo "$t1 - $t0" | bc -l)"
}

# scrape FILE: sipedge's Prometheus text into FILE ([metrics] listen in config/dev.toml).
scrape() { ip netns exec "$E2E_GW_NS" curl -s --max-time 3 http://127.0.0.1:9100/metrics >"$1" 2>/dev/null || : >"$1"; }

# quantiles BEFORE AFTER METRIC LABEL UNIT: "p50/p99" of a histogram over what happened between the
# two scrapes, in ms (UNIT=1000) or µs (UNIT=1000000): the upper bound of the bucket each quantile
# falls in.
quantiles() {
  "$E2E_PYTHON" - "$@" <<'PY'
import re, sys
before, after, metric, label, unit = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])
def buckets(path):
    out = {}
    for line in open(path):
        m = re.match(re.escape(metric) + r'_bucket\{' + re.escape(label) + r',le="([^"]+)"\} (\d+)', line)
        if m:
            out[float(m.group(1))] = int(m.group(2))
    return out
a, b = buckets(before), buckets(after)
delta = sorted((le, b[le] - a.get(le, 0)) for le in b)
total = delta[-1][1] if delta else 0
def q(x):
    for le, n in delta:
        if n >= x * total:
            return "%g" % (le * unit) if le != float("inf") else ">max"
    return "-"
print("%s/%s" % (q(0.5), q(0.99)) if total else "-")
PY
}
# setup_quantiles BEFORE AFTER: INVITE -> 200 relayed (ms), then per SIP message its ring wait and
# the control lcore's work on it (µs).
setup_quantiles() {
  printf '%s | %s | %s' "$(quantiles "$1" "$2" sipedge_call_setup_seconds 'stage="answer"' 1000)" \
    "$(quantiles "$1" "$2" sipedge_sip_message_seconds 'part="wait"' 1000000)" \
    "$(quantiles "$1" "$2" sipedge_sip_message_seconds 'part="work"' 1000000)"
}

# busy_per_call BEFORE AFTER CALLS: the control lcores' busy time between the two scrapes (all
# shards), then the part of it spent on SIP messages themselves, in µs per call: issue 14 §1's CPU
# per call, end to end ("busy / SIP work").
busy_per_call() {
  "$E2E_PYTHON" - "$@" <<'PY'
import re, sys
def total(path, pattern):
    return sum(float(m.group(1)) for m in re.finditer(pattern, open(path).read(), re.M))
busy = r'^sipedge_control_busy_seconds_total\{[^}]*\} (\S+)$'
work = r'^sipedge_sip_message_seconds_sum\{part="work"\} (\S+)$'
calls = int(sys.argv[3])
per_call = lambda p: (total(sys.argv[2], p) - total(sys.argv[1], p)) * 1e6 / calls
print("%.1f / %.1f" % (per_call(busy), per_call(work)) if calls else "-")
PY
}

# series MODE: runs the rates in order until one fails; sets BEST (cps) and ROWS (table lines).
series() {
  local mode=$1 rate calls ok failed secs
  BEST=0
  start_uas "$mode"
  for rate in $rates; do
    [[ $mode != direct ]] && scrape "$E2E_WORK/metrics-before.txt"
    read -r calls ok failed secs < <(step "$mode" "$rate")
    local setup="- | - | - | -"
    if [[ $mode != direct ]]; then
      scrape "$E2E_WORK/metrics-after.txt"
      setup="$(setup_quantiles "$E2E_WORK/metrics-before.txt" "$E2E_WORK/metrics-after.txt") | $(
        busy_per_call "$E2E_WORK/metrics-before.txt" "$E2E_WORK/metrics-after.txt" "$ok")"
    fi
    local achieved
    achieved=$(printf '%.0f' "$(echo "$ok / $secs" | bc -l)")
    ROWS+=("| $mode | $rate | $calls | $ok | $failed | $(printf '%.1f' "$secs") | $achieved | $setup |")
    echo "  $mode: offered $rate cps: $ok/$calls calls ok, $failed failed, ${secs%.*} s (achieved ~$achieved cps), INVITE->200 ms | message wait µs | message work µs (p50/p99) | control busy / SIP work µs/call: $setup"
    # A rate is sustained when every call succeeded and SIPp kept (within 10 %) to the offered rate.
    if [[ $failed != 0 || $ok != "$calls" ]] || ((achieved * 10 < rate * 9)); then
      why_failed "$mode-$rate"
      break
    fi
    BEST=$rate
    if [[ $mode != direct ]]; then
      # Let the calls' transactions finish before the next rate (Timer J/K, 64*T1 = 32 s for BYE
      # server transactions would overlap otherwise); sipedge's state is what the next step starts from.
      sleep 2
    fi
  done
  stop_uas
}

# why_failed LABEL: what SIPp reported (error kinds, counted) and, through sipedge, which of sipedge's
# drop and failure counters are not zero; kept in WHY for the report.
why_failed() {
  local label=$1 errs counters=""
  errs=$(grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}' "$E2E_WORK/$label.err" 2>/dev/null | grep -v 'Failed to delete FD from epoll' |
    sed -E 's/^[0-9-]+\s+[0-9:.]+\s+[0-9.]+: //; s/Call-Id: [^,]*, //; s/[0-9]+/N/g' | sort | uniq -c | sort -rn | head -3 |
    sed -E 's/^ *//' | paste -sd ';' -)
  if [[ $label != direct-* ]]; then
    { e2e_ctl stats; e2e_ctl dataplane; } >"$E2E_WORK/$label.state" 2>/dev/null
    counters=$("$E2E_PYTHON" - "$E2E_WORK/$label.state" <<'PY'
import json, sys
out = []
for line in open(sys.argv[1]).read().splitlines():
    try:
        doc = json.loads(line)
    except ValueError:
        continue
    for k, v in doc.get("proxy", {}).items():
        if v and k in ("malformed", "no_route", "dropped_responses", "auth_failures", "loops"):
            out.append(f"proxy.{k}={v}")
    for i in doc.get("interfaces", []):
        out += [f"{i['name']}.{k}={v}" for k, v in i.get("drops", {}).items() if v]
    out += [f"relay.{k}={v}" for k, v in doc.get("relay", {}).get("drops", {}).items() if v]
print(", ".join(out) or "none")
PY
)
  fi
  WHY+=("$label: SIPp: ${errs:-no errors logged}${counters:+; sipedge counters not zero: $counters}")
  echo "  $label failed: ${WHY[-1]#*: }"
}

# switch_mode MODE SED-SCRIPT: edits sipedge's configuration and reloads it live; exits if the reload fails.
switch_mode() {
  sed -i "$2" "$E2E_CFG"
  e2e_ctl reload >"$E2E_WORK/reload-$1.json" 2>&1 && grep -q '"reloaded"' "$E2E_WORK/reload-$1.json" ||
    { echo "e2e_cps: could not switch sipedge to $1 mode: $(cat "$E2E_WORK/reload-$1.json")" >&2; exit 1; }
}

ROWS=() WHY=()
echo "e2e_cps: ${seconds} s per rate, rates: $rates"
series sipedge
through=$BEST
e2e_ctl stats >"$E2E_WORK/stats-after.json" 2>/dev/null || true
b2bua="n/a"
if ((b2bua_series)); then
  switch_mode b2bua 's/^default_interface = "core"$/&\nmode = "b2bua"/'
  series b2bua
  b2bua=$BEST
  echo "e2e_cps: through sipedge in b2bua mode $b2bua cps with 0 failed calls (proxy mode: $through cps)"
fi
digest="n/a"
if ((digest_series)); then
  ((b2bua_series)) && switch_mode proxy '/^mode = "b2bua"$/d'
  series digest
  digest=$BEST
  echo "e2e_cps: through sipedge with digest auth $digest cps with 0 failed calls (trusted caller: $through cps)"
fi
if ((!direct_series)); then
  echo "e2e_cps: through sipedge $through cps with 0 failed calls"
  exit 0
fi
series direct
direct=$BEST
ratio="n/a"
((direct > 0)) && ratio=$(printf '%.2f' "$(echo "$through / $direct" | bc -l)")
echo "e2e_cps: through sipedge $through cps with 0 failed calls; direct UA to UA $direct cps; ratio $ratio"
if ((direct == ${rates##* })); then
  echo "e2e_cps: the direct run did not fail at the highest rate: the ceiling is at least $direct cps"
fi

if ((record)); then
  {
    grep -q '^## End-to-end' bench/RESULTS.md 2>/dev/null || printf '\n## End-to-end\n'
    printf '\n### Calls per second, %s\n\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
    printf 'Command: `%s` (commit %s). Machine: %s, %s cores, %s. SIPp %s. sipedge: config/dev.toml on\n' \
      "$cmdline" "$(git rev-parse --short HEAD 2>/dev/null)" "$(lscpu | sed -n 's/^Model name: *//p' | head -1)" \
      "$(nproc)" "$(uname -r)" "$(sipp -v 2>&1 | grep -o 'v[0-9.]*' | head -1)"
    if ((E2E_SHARDS > 1)); then
      printf 'net_af_packet over veth (devnet), %s control shards: shard 0 + relay on the main lcore, each other one on an\n' \
        "$E2E_SHARDS"
      printf 'lcore of its own (net_af_packet has no TX queue to spare: they send under the shards'"'"' lock), T1 500 ms. Each call: INVITE with SDP\n'
    else
      printf 'net_af_packet over veth (devnet), control + relay on one lcore, T1 500 ms. Each call: INVITE with SDP\n'
    fi
    printf '(media anchored on both interfaces, no RTP) -> 180 -> 200 -> ACK -> BYE -> 200; caller in the core\n'
    printf 'namespace (trusted, no digest), callee 1012 registered on the access side'
    if ((digest_series)); then
      printf ' ("digest" rows: the caller on the access\nside as 1006, untrusted: INVITE -> 407 -> ACK -> INVITE with MD5 credentials, then the same call)'
    fi
    printf '. "direct" is the same SIPp\n'
    printf 'pair UA to UA in the access namespace without sipedge. %s s per rate; a rate passes with every call\n' "$seconds"
    printf 'successful, 0 failed and the achieved rate within 10 %% of the offered one.\n\n'
    printf 'p50/p99: the upper bound of the histogram bucket each falls in. Control busy: the control lcores'"'"' time in\n'
    printf 'loop iterations that did work (sipedge_control_busy_seconds_total) from just before to just after the rate,\n'
    printf 'over its successful calls (timers of the previous rate'"'"'s calls included, of this one'"'"'s partly not);\n'
    printf 'SIP work: the part of it inside the proxy'"'"'s handling of received messages (sipedge_sip_message_seconds_sum);\n'
    printf 'the rest is the lanes'"'"' packet I/O, polling and timers.\n\n'
    printf '| path | offered cps | calls | ok | failed | seconds | achieved cps | INVITE->200 p50/p99 ms | SIP message ring wait p50/p99 µs | SIP message work p50/p99 µs | control busy / SIP work µs/call |\n|---|---|---|---|---|---|---|---|---|---|---|\n'
    printf '%s\n' "${ROWS[@]}"
    printf '\nHighest rate with 0 failed calls: through sipedge **%s cps**, direct UA to UA **%s cps** (ratio %s).' \
      "$through" "$direct" "$ratio"
    if ((b2bua_series)); then printf ' Through sipedge in b2bua mode ("b2bua" rows): **%s cps**.' "$b2bua"; fi
    if ((digest_series)); then
      printf ' With digest auth ("digest" rows: the caller on the access side as 1006, untrusted, INVITE -> 407 -> ACK ->'
      printf ' INVITE with credentials): **%s cps**.' "$digest"
    fi
    if ((direct == ${rates##* })); then printf ' The direct run never failed: its ceiling is at least %s cps.' "$direct"; fi
    printf '\n'
    if ((${#WHY[@]})); then
      printf '\nFirst failing rate, what went wrong:\n\n'
      printf -- '- %s\n' "${WHY[@]}"
    fi
  } >>bench/RESULTS.md
  echo "e2e_cps: appended to bench/RESULTS.md"
fi
