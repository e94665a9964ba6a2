#!/usr/bin/env bash
# bench/goodput.sh — goodput under overload, run as root: the e2e_cps.sh call (INVITE with SDP ->
# 180 -> 200 -> ACK -> BYE, media anchored, caller in the trusted core namespace, callee 1012 on
# the access side) offered at 1x to 10x a clean rate, one sipedge for the whole series. Prints, per
# offered rate: calls SIPp started, successful calls, failed calls, the rate SIPp achieved, goodput
# (successful calls per second of the step) and how many new requests sipedge refused with 503
# (proxy.refusals.Overload). After the last step it waits 2 s and offers the clean rate again for
# 5 s: "recovered" means every one of those calls succeeded.
# Usage: bench/goodput.sh [--clean CPS] [--multiples "1 2 4 6 8 10"] [--seconds S]
#        [--overload-wait-ms MS] [--sipedge BIN] [--sipedgectl BIN]
# --overload-wait-ms 0 turns overload control off (compare with the default, 200).
set -uo pipefail
cd "$(dirname "$0")/.."
source tests/e2e/lib.sh

clean=3000 multiples="1 2 4 6 8 10" seconds=10 overload_wait=200 sipedge_bin="" ctl_bin=""
while (($#)); do
  case "$1" in
    --clean) clean=$2; shift 2 ;;
    --multiples) multiples=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --overload-wait-ms) overload_wait=$2; shift 2 ;;
    --sipedge) sipedge_bin=$2; shift 2 ;;
    --sipedgectl) ctl_bin=$2; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "goodput: unknown argument $1" >&2; exit 2 ;;
  esac
done
e2e_require
e2e_find_binaries "$sipedge_bin" "$ctl_bin" || { echo "goodput: build sipedge and sipedgectl first" >&2; exit 1; }

UAS_PORT=5062 UAC_PORT=5071
e2e_setup gp
e2e_net_up || exit 1
e2e_write_config 500 || exit 1
e2e_set_overload_wait "$overload_wait" || exit 1
e2e_start_sipedge || exit 1
e2e_bench_callee "$UAS_PORT" || exit 1
e2e_sipp_bg uas "$E2E_ACC_NS" 3600 -i "$E2E_UA_ACC" -sf "$E2E_SCEN/bench_uas.xml" -p "$UAS_PORT" -s 1012 \
  -key contact "$E2E_UA_ACC:$UAS_PORT" -mi "$E2E_UA_ACC" -mp 6100
e2e_wait_udp "$E2E_ACC_NS" "$UAS_PORT" || { echo "goodput: UAS did not start" >&2; exit 1; }

refused() { e2e_ctl stats | "$E2E_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["proxy"]["refusals"]["Overload"])'; }

# step LABEL RATE SECONDS -> "calls ok failed elapsed"
step() {
  local label=$1 rate=$2 secs=$3 calls=$(( $2 * $3 )) t0 t1 ok failed
  t0=$(date +%s.%N)
  timeout -k 2 $((secs * 3 + 40)) ip netns exec "$E2E_CORE_NS" sipp -nostdin -sf "$E2E_SCEN/bench_uac.xml" \
    -i "$E2E_UA_CORE" -p "$UAC_PORT" -s 1012 -mi "$E2E_UA_CORE" -mp 6000 -r "$rate" -rp 1000 -m "$calls" \
    -recv_timeout 8000 -timeout $((secs * 3 + 30))s "$E2E_GW_CORE:5060" >"$E2E_WORK/$label.out" 2>&1 </dev/null
  t1=$(date +%s.%N)
  ok=$(grep 'Successful call' "$E2E_WORK/$label.out" | tail -1 | awk -F'|' '{gsub(/ /,"",$3); print $3}')
  failed=$(grep 'Failed call' "$E2E_WORK/$label.out" | tail -1 | awk -F'|' '{gsub(/ /,"",$3); print $3}')
  echo "$calls ${ok:-0} ${failed:-$calls} $(echo "$t1 - $t0" | bc -l)"
}

echo "goodput: clean rate $clean cps, multiples $multiples, $seconds s each, overload_wait_ms $overload_wait"
echo "| offered cps | calls | ok | failed | seconds | goodput cps | 503 Overload |"
echo "|---|---|---|---|---|---|---|"
for m in $multiples; do
  rate=$((clean * m))
  before=$(refused)
  read -r calls ok failed secs < <(step "x$m" "$rate" "$seconds")
  after=$(refused)
  printf '| %d (%dx) | %d | %d | %d | %.1f | %.0f | %d |\n' "$rate" "$m" "$calls" "$ok" "$failed" "$secs" \
    "$(echo "$ok / $secs" | bc -l)" "$((after - before))"
  sleep 3  # the step's transactions drain (Timer J/K) before the next one
done
sleep 2
read -r calls ok failed secs < <(step recovery "$clean" 5)
echo "goodput: 2 s after the last step, $clean cps for 5 s: $ok/$calls ok, $failed failed ($( ((failed == 0 && ok == calls)) && echo recovered || echo "not recovered"))"
