# tests/e2e/lib.sh — sourced by tests/e2e/run, scripts/demo and bench/e2e_cps.sh (bash, as root).
# Brings up a devnet of its own (unique namespace/veth names), writes a sipedge config derived from
# config/dev.toml for it, starts sipedge and SIPp peers, and removes all of it again on exit. It only
# ever kills the PIDs it started and only deletes the namespaces/veths/files it created.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_REPO=$(cd "$E2E_DIR/../.." && pwd)
E2E_SCEN="$E2E_DIR/scenarios"
E2E_CHECK="$E2E_DIR/sipcheck.py"

# Addresses inside the namespaces scripts/devnet creates (never the host's own).
E2E_GW_ACC=10.201.0.1    # sipedge, access interface
E2E_GW_CORE=10.202.0.1   # sipedge, core interface
E2E_UA_ACC=10.201.0.2    # SIPp peers in the access namespace
E2E_UA_CORE=10.202.0.2   # SIPp peers in the core namespace

E2E_PIDS=()      # background processes to stop on exit (sipedge, SIPp)
declare -gA E2E_WATCHERS=()  # SIPp's timeout PID -> its hang watcher's PID
declare -gA E2E_SIPP_LABEL=()  # SIPp's timeout PID -> "LABEL START_S", for the exit line e2e_sipp_why shows
E2E_EXTRA_NS=()  # namespaces made beyond the devnet (a second sipedge's), deleted on exit
E2E_NET=""       # devnet name while it is up
E2E_WORK=""      # temporary directory
E2E_KEEP=${E2E_KEEP:-0}  # 1: leave the temporary directory for a post-mortem
# sipedge's ports: af_packet on the veth gateway ends, or virtio (net_virtio_user joined to a vhost-user
# socket that tests/support/vhost_bridge serves and relays to the same veth ends).
E2E_PORTS=${E2E_PORTS:-af_packet}
E2E_SHARDS=${E2E_SHARDS:-1}  # control shards: 1, or more with --shards (issue 14 §2)
E2E_VHOST_BRIDGE=""
# The interpreter itself, asked once: a version manager's python3 shim (pyenv's) costs a quarter of a
# second per call, and each scenario makes dozens of them.
E2E_PYTHON=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || E2E_PYTHON=python3

e2e_log() { printf '%s\n' "$*" >&2; }

# Exit 77 (the "skipped" status CTest and automake understand) unless everything needed is here.
e2e_require() {
  local why=""
  [[ $(id -u) -eq 0 ]] || why="needs root (network namespaces, veth pairs, af_packet)"
  for tool in ip nsenter sipp python3 timeout; do
    command -v "$tool" >/dev/null 2>&1 || why="${why:+$why; }'$tool' not found"
  done
  [[ -z "$why" ]] || e2e_skip "end-to-end tests $why"
}

# e2e_skip WHY: exit 77 (skipped). Under CI=true as root nothing may be missing, so there the same
# reason is a failure: CI must never go green without the end-to-end tests.
e2e_skip() {
  if [[ ${CI:-} == true && $(id -u) -eq 0 ]]; then
    echo "FAIL: CI=true as root, and the end-to-end tests cannot run: $1" >&2
    exit 1
  fi
  echo "SKIPPED: $1" >&2
  exit 77
}

# e2e_setup TAG: temp dir and unique names for this process (TAG: 2 letters, e.g. "et").
e2e_setup() {
  local tag=$1
  E2E_WORK=$(mktemp -d "/tmp/sipedge-$tag.XXXXXX")
  # devnet names are at most 9 characters; the PID keeps parallel runs apart.
  E2E_NET="${tag}$(( $$ % 10000000 ))"
  E2E_GW_NS="${E2E_NET}-gw"    # sipedge runs here, on the gateway ends of the veths
  E2E_ACC_NS="${E2E_NET}-acc"
  E2E_CORE_NS="${E2E_NET}-core"
  E2E_CFG="$E2E_WORK/sipedge.toml"
  E2E_SOCK="$E2E_WORK/mgmt.sock"
  E2E_CDR="$E2E_WORK/cdr.jsonl"
  E2E_LOG="$E2E_WORK/sipedge.log"
  E2E_NET_UP=0
  trap e2e_cleanup EXIT
  trap 'exit 130' INT TERM
}

e2e_cleanup() {
  local rc=$?
  local pid
  for pid in "${E2E_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${E2E_PIDS[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.3
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  E2E_PIDS=()
  local ns
  for ns in "${E2E_EXTRA_NS[@]}"; do
    ip netns del "$ns" 2>/dev/null || true
  done
  E2E_EXTRA_NS=()
  if [[ $E2E_NET_UP == 1 ]]; then
    "$E2E_REPO/scripts/devnet" down "$E2E_NET" >/dev/null 2>&1 || true
    E2E_NET_UP=0
  fi
  if [[ -n "$E2E_WORK" && -d "$E2E_WORK" ]]; then
    if [[ $E2E_KEEP == 1 ]]; then
      e2e_log "e2e: kept $E2E_WORK"
    else
      rm -rf "$E2E_WORK"
    fi
    E2E_WORK=""
  fi
  return $rc
}

e2e_net_up() {
  E2E_NET_UP=1
  "$E2E_REPO/scripts/devnet" up "$E2E_NET" >"$E2E_WORK/devnet.log" 2>&1 || {
    cat "$E2E_WORK/devnet.log" >&2
    return 1
  }
}

# e2e_write_config [T1_MS]: config/dev.toml with this run's veths, DPDK file prefix, socket and CDR
# paths; a short T1 so transactions linger 64*T1 only; no NAT keepalives (their OPTIONS would be
# transactions in flight when a test checks that nothing is left).
e2e_write_config() {
  local t1=${1:-100}
  sed -e "s/\(net_af_packet0,iface=\)[^,\"]*/\1${E2E_NET}-ag/" \
      -e "s/\(net_af_packet1,iface=\)[^,\"]*/\1${E2E_NET}-cg/" \
      -e "s/^file_prefix = .*/file_prefix = \"${E2E_NET}\"/" \
      -e "s/^t1_ms = .*/t1_ms = ${t1}/" \
      -e "s/^t4_ms = .*/t4_ms = $(( t1 * 10 ))/" \
      -e "s/^nat_keepalive_s = .*/nat_keepalive_s = 0/" \
      -e "s|^path = .*|path = \"${E2E_CDR}\"|" \
      -e "s|^socket = .*|socket = \"${E2E_SOCK}\"|" \
      "$E2E_REPO/config/dev.toml" >"$E2E_CFG"
  local want ports=("iface=${E2E_NET}-ag" "iface=${E2E_NET}-cg")
  if [[ $E2E_PORTS == virtio ]]; then
    # Fixed MACs: the veth ends are promiscuous, and the ladders stay the same run to run. Queues:
    # see e2e_virtio_queues.
    local q
    q="queues=$(e2e_virtio_queues)"
    if ((E2E_SHARDS > 1)); then q+=",cq=1"; fi
    sed -i -e "s|\"net_af_packet0,iface=[^\"]*\"|\"net_virtio_user0,path=$E2E_WORK/vhost-acc.sock,$q,queue_size=1024,mac=02:5e:00:00:02:01\"|" \
           -e "s|\"net_af_packet1,iface=[^\"]*\"|\"net_virtio_user1,path=$E2E_WORK/vhost-core.sock,$q,queue_size=1024,mac=02:5e:00:00:02:02\"|" \
           -e 's/^device = "net_af_packet\([01]\)"/device = "net_virtio_user\1"/' "$E2E_CFG"
    ports=("net_virtio_user0,path=$E2E_WORK/vhost-acc.sock" "net_virtio_user1,path=$E2E_WORK/vhost-core.sock"
           'device = "net_virtio_user0"' 'device = "net_virtio_user1"')
  fi
  if ((E2E_SHARDS > 1)); then
    local lcores
    lcores=$(seq -s ', ' 1 $((E2E_SHARDS - 1)))
    sed -i "s/^worker_lcores = \[\]$/&\nshard_lcores = [$lcores]/" "$E2E_CFG"
    ports+=("shard_lcores = [$lcores]")
  fi
  for want in "${ports[@]}" "file_prefix = \"${E2E_NET}\"" "t1_ms = ${t1}" \
              "nat_keepalive_s = 0" "path = \"${E2E_CDR}\"" "socket = \"${E2E_SOCK}\""; do
    grep -qF "$want" "$E2E_CFG" || { e2e_log "e2e: config/dev.toml changed shape: could not set '$want'"; return 1; }
  done
}

# Queue pairs of sipedge's virtio_user ports: one, which the worker (on the control lcore) and
# control share; with several control shards, the worker's, control's and one for each further
# shard (its own TX queue, control/runtime/shard_set.h ShardLane; multiqueue needs the control queue).
e2e_virtio_queues() {
  if ((E2E_SHARDS > 1)); then echo $((E2E_SHARDS + 1)); else echo 1; fi
}

# With --ports virtio: the vhost-user bridge in the gateway namespace, on the veth gateway ends, its
# sockets up before sipedge's virtio_user ports join them (up to 10 s).
e2e_start_vhost_bridge() {
  [[ $E2E_PORTS == virtio ]] || return 0
  ip netns exec "$E2E_GW_NS" "$E2E_VHOST_BRIDGE" "${E2E_NET}vb" "queues=$(e2e_virtio_queues)" \
    "$E2E_WORK/vhost-acc.sock=${E2E_NET}-ag" \
    "$E2E_WORK/vhost-core.sock=${E2E_NET}-cg" >"$E2E_WORK/vhost-bridge.log" 2>&1 &
  E2E_PIDS+=("$!")
  local i
  for ((i = 0; i < 50; i++)); do
    [[ -S "$E2E_WORK/vhost-acc.sock" && -S "$E2E_WORK/vhost-core.sock" ]] && return 0
    kill -0 "$!" 2>/dev/null || break
    sleep 0.2
  done
  e2e_log "e2e: the vhost-user bridge did not come up:"
  cat "$E2E_WORK/vhost-bridge.log" >&2
  return 1
}

# e2e_set_overload_wait MS: [sip] overload_wait_ms in this run's config (0: overload control off).
e2e_set_overload_wait() {
  sed -i "s/^default_interface = \"core\"$/&\noverload_wait_ms = $1/" "$E2E_CFG"
  grep -q "^overload_wait_ms = $1$" "$E2E_CFG" || { e2e_log "e2e: config has no [sip] default_interface line"; return 1; }
}

# e2e_bench_callee PORT: 1012 registered at the access namespace's UA address and port, for the load
# benchmarks' UAS (bench/e2e_cps.sh, bench/goodput.sh).
e2e_bench_callee() {
  e2e_sipp reg "$E2E_ACC_NS" 15 -i "$E2E_UA_ACC" -m 1 -timeout 12s -timeout_error -sf "$E2E_SCEN/register.xml" \
    -p "$1" -s 1012 -au 1012 -ap sipedge-1012 -key via "$E2E_UA_ACC:$1" -key contact "$E2E_UA_ACC:$1" \
    "$E2E_GW_ACC:5060" || { e2e_sipp_why reg; return 1; }
}

# e2e_ctl CMD: sipedgectl's JSON answer on stdout.
e2e_ctl() { "$E2E_SIPEDGECTL" --socket "$E2E_SOCK" --json "$@"; }

# Starts sipedge and waits (up to 30 s) until its management socket answers.
e2e_start_sipedge() {
  e2e_start_vhost_bridge || return 1
  # `ip netns exec` execs sipedge in place (no fork), so $! is sipedge's own PID.
  ip netns exec "$E2E_GW_NS" "$E2E_SIPEDGE" --config "$E2E_CFG" >"$E2E_LOG" 2>&1 &
  E2E_SIPEDGE_PID=$!
  E2E_PIDS+=("$E2E_SIPEDGE_PID")
  local i
  for ((i = 0; i < 100; i++)); do
    if ! kill -0 "$E2E_SIPEDGE_PID" 2>/dev/null; then
      e2e_log "e2e: sipedge exited during start-up:"
      tail -30 "$E2E_LOG" >&2
      return 1
    fi
    e2e_ctl stats >/dev/null 2>&1 && return 0
    sleep 0.3
  done
  e2e_log "e2e: sipedge's management socket $E2E_SOCK did not answer within 30 s:"
  tail -30 "$E2E_LOG" >&2
  return 1
}

# e2e_wait_idle [LIMIT_S [KEY...]]: waits (up to LIMIT_S, default 15) until sipedge holds no call,
# transaction, media session, flow or proxy context (or none of the KEYs named, sipcheck.py idle).
# Prints the last state and, on failure, the JSON of every view.
e2e_wait_idle() {
  local limit=${1:-15} start=$SECONDS out
  shift $(($# ? 1 : 0))
  while :; do
    if e2e_ctl stats >"$E2E_WORK/stats.json" 2>"$E2E_WORK/stats.err"; then
      out=$("$E2E_PYTHON" "$E2E_CHECK" idle "$E2E_WORK/stats.json" "$@" 2>&1) && { echo "$out"; return 0; }
    else
      out="sipedgectl: $(cat "$E2E_WORK/stats.err")"
    fi
    if ((SECONDS - start >= limit)); then
      e2e_log "e2e: state left after ${limit} s: $out"
      local v
      for v in calls transactions flows stats; do
        e2e_log "--- sipedgectl --json $v"
        e2e_ctl "$v" >&2 || true
      done
      return 1
    fi
    sleep 0.2
  done
}

# e2e_sipp LABEL NS LIMIT_S SIPP_ARGS...: runs SIPp in namespace NS and waits for it, at most LIMIT_S
# seconds, message trace in $E2E_WORK/LABEL.msg, screen/errors in LABEL.out/LABEL.err. Returns
# SIPp's exit status (124: killed by the time limit). It runs as a background job the shell waits
# for, so a SIGTERM to the runner stops it at once (bash runs traps during `wait`, not during a
# foreground child).
e2e_sipp() {
  e2e_sipp_bg "$@"
  e2e_sipp_wait "$E2E_BG_PID"
}

# e2e_sipp_bg LABEL NS LIMIT_S SIPP_ARGS...: the same in the background; the PID is in E2E_BG_PID.
# SIPp enters only the namespace's network stack (nsenter): `ip netns exec` also makes a mount
# namespace and remounts /sys for every command, which SIPp does not need.
# A watcher records where a SIPp still running a second before its limit is stuck (LABEL.hang,
# shown by e2e_sipp_why): SIPp's own -timeout has passed by then, so it is blocked, not busy.
e2e_sipp_bg() {
  local label=$1 ns=$2 limit=$3
  shift 3
  timeout -k 2 "$limit" nsenter --net="/run/netns/$ns" sipp "$@" -nostdin -trace_msg -message_file "$E2E_WORK/$label.msg" \
    -trace_err -error_file "$E2E_WORK/$label.err" >"$E2E_WORK/$label.out" 2>&1 </dev/null &
  E2E_BG_PID=$!
  E2E_PIDS+=("$E2E_BG_PID")
  E2E_SIPP_LABEL[$E2E_BG_PID]="$label $EPOCHREALTIME"
  e2e_hang_watch "$E2E_BG_PID" "$((limit - 1))" "$E2E_WORK/$label.hang" &
  E2E_WATCHERS[$E2E_BG_PID]=$!
  E2E_PIDS+=("$!")
}

# e2e_hang_watch TIMEOUT_PID AFTER_S FILE: after AFTER_S seconds, the state, kernel wait channel and
# kernel stack of each thread of the command under `timeout` TIMEOUT_PID, and what else ran. Line by
# line, the name first: reading a stuck process's command line can block on its memory map (in
# exec, for one), so that comes last and every read is bounded.
e2e_hang_watch() {
  local pid=$1 after=$2 out=$3 nap child t
  trap 'kill "$nap" 2>/dev/null; exit 0' TERM
  sleep "$after" &
  nap=$!
  wait "$nap"
  child=$(pgrep -P "$pid" | head -1)
  [[ -n $child ]] || exit 0
  {
    echo "$(date -u +%T.%N) pid $child ($(cat "/proc/$child/comm" 2>/dev/null)) still running"
    echo "loadavg: $(cat /proc/loadavg)"
    for t in /proc/"$child"/task/*; do
      echo "thread ${t##*/}: $(grep '^State' "$t/status" 2>/dev/null) wchan=$(cat "$t/wchan" 2>/dev/null)" \
        "syscall=$(timeout 1 cut -d' ' -f1 "$t/syscall" 2>/dev/null)"
      timeout 1 sed 's/^/    /' "$t/stack" 2>/dev/null
    done
    echo "busiest processes:"
    timeout 2 ps -eo pid,stat,wchan:24,pcpu,etime,comm --sort=-pcpu 2>/dev/null | head -12
    echo "command line: $(timeout 1 tr '\0' ' ' <"/proc/$child/cmdline" 2>/dev/null | cut -c1-160)"
  } >"$out" 2>&1
}

# e2e_sipp_wait PID: its exit status, and forgets the PID (and stops its watcher).
e2e_sipp_wait() {
  local pid=$1 rc=0 keep=() p watcher=${E2E_WATCHERS[$1]:-} label started
  wait "$pid" || rc=$?
  if [[ -n ${E2E_SIPP_LABEL[$pid]:-} ]]; then
    read -r label started <<<"${E2E_SIPP_LABEL[$pid]}"
    echo "exit status $rc after $(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s" \
      >"$E2E_WORK/$label.exit"
    unset "E2E_SIPP_LABEL[$pid]"
  fi
  if [[ -n $watcher ]]; then
    kill -TERM "$watcher" 2>/dev/null || true
    wait "$watcher" 2>/dev/null || true
    unset "E2E_WATCHERS[$pid]"
  fi
  for p in "${E2E_PIDS[@]}"; do [[ $p == "$pid" || $p == "$watcher" ]] || keep+=("$p"); done
  E2E_PIDS=("${keep[@]}")
  return $rc
}

# Waits (up to 5 s) until a UDP port is open in a namespace (a SIPp UAS ready to receive).
e2e_wait_udp() {
  local ns=$1 port=$2 i
  for ((i = 0; i < 50; i++)); do
    nsenter --net="/run/netns/$ns" ss -Hlun "sport = :$port" 2>/dev/null | grep -q . && return 0
    sleep 0.1
  done
  return 1
}

# SIPp's explanation of a failed run: its error log and the end of its screen.
e2e_sipp_why() {
  local label=$1
  # Status 124 is timeout's: SIPp outlived its limit and was stopped (on SIGTERM it still writes its logs).
  e2e_log "--- $label: SIPp $(cat "$E2E_WORK/$label.exit" 2>/dev/null || echo "exit unknown")"
  e2e_log "--- $label: SIPp errors"
  grep -v 'Failed to delete FD from epoll' "$E2E_WORK/$label.err" 2>/dev/null | tail -15 >&2 || true
  e2e_log "--- $label: SIPp screen (end)"
  tail -25 "$E2E_WORK/$label.out" >&2 2>/dev/null || true
  e2e_log "--- $label: last messages"
  tail -40 "$E2E_WORK/$label.msg" >&2 2>/dev/null || true
  if [[ -s "$E2E_WORK/$label.hang" ]]; then
    e2e_log "--- $label: still running at its limit"
    cat "$E2E_WORK/$label.hang" >&2
  elif [[ -e "$E2E_WORK/$label.hang" ]]; then
    e2e_log "--- $label: still running at its limit; its state could not be read"
  fi
  e2e_log "--- $label: sipedge's log (end)"
  tail -12 "$E2E_LOG" >&2 2>/dev/null || true
}

# e2e_wait_log LABEL PATTERN LIMIT_S: waits until SIPp's message log of LABEL shows PATTERN (grep -E).
e2e_wait_log() {
  local label=$1 pattern=$2 limit=$3 i
  for ((i = 0; i < limit * 10; i++)); do
    grep -qE "$pattern" "$E2E_WORK/$label.msg" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# The first Call-ID a SIPp log shows.
e2e_call_id() {
  grep -m1 -i '^Call-ID:' "$E2E_WORK/$1.msg" 2>/dev/null | sed 's/^[^:]*:[[:space:]]*//; s/\r$//'
}

# Finds the sipedge and sipedgectl binaries: $1/$2 when given, else build/ then build-e2e/.
e2e_find_binaries() {
  E2E_SIPEDGE=${1:-}
  E2E_SIPEDGECTL=${2:-}
  local d
  for d in build build-e2e; do
    [[ -z "$E2E_SIPEDGE" && -x "$E2E_REPO/$d/apps/sipedge" ]] && E2E_SIPEDGE="$E2E_REPO/$d/apps/sipedge"
    [[ -z "$E2E_SIPEDGECTL" && -x "$E2E_REPO/$d/apps/sipedgectl" ]] && E2E_SIPEDGECTL="$E2E_REPO/$d/apps/sipedgectl"
  done
  [[ -n "$E2E_SIPEDGE" && -x "$E2E_SIPEDGE" && -n "$E2E_SIPEDGECTL" && -x "$E2E_SIPEDGECTL" ]] || return 1
  # The bridge is built beside sipedge: <build>/tests/vhost_bridge.
  [[ $E2E_PORTS == virtio ]] || return 0
  E2E_VHOST_BRIDGE=${E2E_VHOST_BRIDGE:-$(dirname "$E2E_SIPEDGE")/../tests/vhost_bridge}
  [[ -x "$E2E_VHOST_BRIDGE" ]]
}
