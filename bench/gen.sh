#!/usr/bin/env bash
# bench/gen.sh — sipedge-gen against sipedge on the development network, run as root: calls with
# digest auth from the access side to a route's next hop on the core side, RTP both ways on every
# call, through sipedge's relay. Both ends of every call are one sipedge-gen process on two af_packet
# ports (the peer ends of sipedge's two veths, moved into a namespace of their own), so one clock
# stamps and reads every packet. One run per CALLS:RATE:HOLD_MS triple (CALLS = 2 x RATE x HOLD
# holds full concurrency, RATE x HOLD calls, for half the run); appends a table (calls,
# packet rates, loss, latency, setup) with the command, the machine and the commit to bench/RESULTS.md.
# Usage: bench/gen.sh [--runs "500:50:5000 2000:100:10000"] [--ptime-ms 20] [--b2bua] [--no-record]
#        [--sipedge BIN] [--sipedgectl BIN] [--gen BIN]
# --b2bua runs sipedge with [sip] mode = "b2bua" (a dialog per leg) instead of as a proxy.
set -uo pipefail
cd "$(dirname "$0")/.."
source tests/e2e/lib.sh

runs="500:50:5000 2000:100:10000 4000:200:10000 6000:300:10000" ptime=20 record=1 mode=proxy sipedge_bin="" ctl_bin="" gen_bin=""
cmdline="bench/gen.sh $*"
while (($#)); do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --ptime-ms) ptime=$2; shift 2 ;;
    --no-record) record=0; shift ;;
    --b2bua) mode=b2bua; shift ;;
    --sipedge) sipedge_bin=$2; shift 2 ;;
    --sipedgectl) ctl_bin=$2; shift 2 ;;
    --gen) gen_bin=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "gen.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
e2e_require
e2e_find_binaries "$sipedge_bin" "$ctl_bin" || { echo "gen.sh: build sipedge and sipedgectl first (ninja -C build)" >&2; exit 1; }
gen_bin=${gen_bin:-$(dirname "$E2E_SIPEDGE")/sipedge-gen}
[[ -x $gen_bin ]] || { echo "gen.sh: no sipedge-gen at $gen_bin (ninja -C build sipedge-gen)" >&2; exit 1; }

e2e_setup gen
e2e_net_up || exit 1
e2e_write_config 100 || exit 1
# Room for the largest run: 20000 relay port pairs per side, 4 flows (RTP, RTCP; both sides' keys) per call.
sed -i -e 's/^media_ports = .*/media_ports = [20000, 59999]/' -e 's/^relay_flows = .*/relay_flows = 65536/' \
  -e 's/^timeout_s = .*/timeout_s = 60/' "$E2E_CFG"
grep -q '^relay_flows = 65536$' "$E2E_CFG" || { echo "gen.sh: config/dev.toml changed shape" >&2; exit 1; }
if [[ $mode == b2bua ]]; then
  sed -i 's/^default_interface = "core"$/&\nmode = "b2bua"/' "$E2E_CFG"
  grep -q '^mode = "b2bua"$' "$E2E_CFG" || { echo "gen.sh: config has no [sip] default_interface line" >&2; exit 1; }
fi

# The generator's namespace: both peer ends of sipedge's veths, unaddressed (DPDK owns them).
GEN_NS="${E2E_NET}-gen"
ip netns add "$GEN_NS" && E2E_EXTRA_NS+=("$GEN_NS")
for side in acc:gen-a core:gen-c; do
  ns="${E2E_NET}-${side%%:*}" ifc=${side##*:}
  ip -n "$ns" link set eth0 down
  ip -n "$ns" link set eth0 name "$ifc"
  ip -n "$ns" link set "$ifc" netns "$GEN_NS"
  ip netns exec "$GEN_NS" sysctl -qw "net.ipv6.conf.${ifc}.disable_ipv6=1"
  ip -n "$GEN_NS" link set "$ifc" up
done
e2e_start_sipedge || exit 1

rows=()
for run in $runs; do
  IFS=: read -r calls rate hold <<<"$run"
  report="$E2E_WORK/gen-$calls-$rate-$hold.json"
  echo "gen.sh: $calls calls at $rate/s, ${hold} ms of media each" >&2
  timeout -k 5 $(( calls / rate + hold / 1000 + 120 )) ip netns exec "$GEN_NS" "$gen_bin" -l 1 --no-huge -m 512 \
    --no-shconf --no-pci --log-level=error --file-prefix "${E2E_NET}g" \
    --vdev "net_af_packet0,iface=gen-a" --vdev "net_af_packet1,iface=gen-c" -- \
    --caller-ip "$E2E_UA_ACC" --callee-ip 10.202.0.2 --proxy-access "$E2E_GW_ACC" --proxy-core 10.202.0.1 \
    --user 1006 --password sipedge-1006 --calls "$calls" --rate "$rate" --hold-ms "$hold" --ptime-ms "$ptime" \
    --report "$report" | tee "$E2E_WORK/gen-$calls.out" >&2
  [[ -s $report ]] || { echo "gen.sh: no report from sipedge-gen" >&2; exit 1; }
  "$E2E_PYTHON" -c 'import json,sys; c=json.load(open(sys.argv[1]))["calls"]; print("gen.sh: retransmissions", c["retransmissions"], "unexpected", c["unexpected"])' "$report" >&2
  rows+=("$("$E2E_PYTHON" - "$report" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
c, a, b = r["calls"], r["rtp"]["caller_to_callee"], r["rtp"]["callee_to_caller"]
cfg = r["config"]
conc = min(cfg["calls"], cfg["rate"] * cfg["hold_ms"] / 1000)
offered = conc * 2 * 1000 / cfg["ptime_ms"]
lat = lambda d: f'{d["latency_us"]["p50"]:.0f} / {d["latency_us"]["p99"]:.0f} / {d["latency_us"]["max"]:.0f}'
print(f'| {cfg["calls"]} | {cfg["rate"]:.0f} | {conc:.0f} | {c["completed"]} / {c["failed"]} | '
      f'{c["setup_ms"]["p50"]:.2f} / {c["setup_ms"]["p99"]:.2f} | {offered:.0f} | '
      f'{r["rtp"]["peak_pps_received"]} | {a["sent"] + b["sent"]} | '
      f'{a["lost"]} ({a["loss_percent"]:.3f} %) / {b["lost"]} ({b["loss_percent"]:.3f} %) | '
      f'{a["reordered"] + b["reordered"]} / {a["duplicated"] + b["duplicated"]} | {lat(a)} | {lat(b)} | '
      f'{a["jitter_us_mean"]:.1f} / {b["jitter_us_mean"]:.1f} |')
PY
)")
done
e2e_wait_idle 30 >/dev/null || echo "gen.sh: sipedge still holds state after the runs" >&2

header="| calls | cps | concurrent (rate x hold) | completed / failed | setup p50 / p99 ms | RTP pps offered (both ways, at full concurrency) | RTP pps received (busiest second) | RTP sent | lost a->c / c->a | reordered / duplicated | latency a->c p50 / p99 / max us | latency c->a p50 / p99 / max us | jitter a->c / c->a us |"
sep="|---:|---:|---:|---|---|---:|---:|---:|---|---|---|---|---|"
printf '%s\n%s\n' "$header" "$sep"
printf '%s\n' "${rows[@]}"
if [[ $record == 1 ]]; then
  {
    printf '\n### sipedge-gen through sipedge, %s\n\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
    printf 'Command: `%s` (commit %s). Machine: %s, %s cores, %s. sipedge: config/dev.toml on the\n' \
      "$cmdline" "$(git rev-parse --short HEAD)" "$(lscpu | sed -n 's/^Model name: *//p' | head -1)" "$(nproc)" "$(uname -r)"
    printf 'development network (control and relay on one lcore, af_packet ports), %s mode, 1006 authenticating each call\n' "$mode"
    printf '(407), the callee a route next hop on the core side; sipedge-gen on the other lcore, both ends of\n'
    printf 'every call, RTP every %s ms each way. Latency is one way through sipedge (af_packet both ends).\n\n' "$ptime"
    printf '%s\n%s\n' "$header" "$sep"
    printf '%s\n' "${rows[@]}"
  } >>bench/RESULTS.md
  echo "gen.sh: appended to bench/RESULTS.md" >&2
fi
