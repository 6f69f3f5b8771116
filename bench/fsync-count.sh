#!/usr/bin/env bash
# Does a write really reach the disk before its reply? Counts, with strace (not a counter the
# code keeps), the fsync and fdatasync calls a Keyshard node makes while one client sends N SETs
# one at a time (each waits for its reply, so each needs a sync of its own under appendfsync
# always), then N GETs (no sync expected), then N SETs under appendfsync everysec (about one sync
# a second). redis-server with appendonly yes does the same beside it, for reference.
#
#   bench/fsync-count.sh              # N=1000
#
# Environment: N (1000), KEYSHARD_JAVA_OPTS (default -Xmx1g), KEEP=1 (keep logs and data).
# Needs strace (apt-get install strace) and root or ptrace rights over the processes.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N="${N:-1000}"
JAVA_OPTS="${KEYSHARD_JAVA_OPTS:--Xmx1g}"

for tool in redis-server redis-cli redis-benchmark strace python3; do
  command -v "$tool" >/dev/null || { echo "fsync-count.sh: $tool not found" >&2; exit 1; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/keyshard-fsync.XXXXXX")"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  if [ "${KEEP:-0}" = 1 ]; then echo "logs and data kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
answers_pong() { [ "$(redis-cli -p "$1" ping 2>/dev/null)" = PONG ]; }
wait_pong() {
  for _ in $(seq 1 600); do answers_pong "$1" && return 0; sleep 0.1; done
  echo "fsync-count.sh: port $1 never answered" >&2
  return 1
}

# syncs PID TEST: the fsync + fdatasync calls of PID (all its threads) while one client runs
# N requests of TEST.
syncs() {
  local pid=$1 port=$2 test=$3 out="$work/strace.$RANDOM"
  strace -f -qq -c -e trace=fsync,fdatasync -o "$out" -p "$pid" &
  local tracer=$!
  sleep 1 # strace attaches to every thread before the requests start
  redis-benchmark -p "$port" -c 1 -n "$N" -r 100000 -t "$test" -q >/dev/null
  sleep 0.5
  kill -INT "$tracer"
  wait "$tracer" 2>/dev/null || true
  awk '$NF == "fsync" || $NF == "fdatasync" {s += $(NF-1)} END {print s + 0}' "$out"
}

[ -f "$root/node/target/keyshard-node.jar" ] || (cd "$root" && mvn -q -B -DskipTests -pl node -am package)
kport=$(free_port)
java $JAVA_OPTS -cp "$root/node/target/keyshard-node.jar:$root/node/target/lib/*" \
  io.keyshard.node.Main --port "$kport" --dir "$work/keyshard" >"$work/keyshard.log" 2>&1 &
kpid=$!
disown "$kpid" # killed by cleanup without a job notice
pids+=("$kpid")
rport=$(free_port)
redis-server --port "$rport" --dir "$work" --save "" --appendonly yes --appendfsync always \
  >"$work/redis.log" 2>&1 &
rpid=$!
disown "$rpid"
pids+=("$rpid")
wait_pong "$kport"
wait_pong "$rport"
# Warm the JIT and start slots before counting (a slot's first write may cost more syncs).
redis-benchmark -p "$kport" -c 50 -n 20000 -r 100000 -t set -q >/dev/null

k_set=$(syncs "$kpid" "$kport" set)
r_set=$(syncs "$rpid" "$rport" set)
k_get=$(syncs "$kpid" "$kport" get)
r_get=$(syncs "$rpid" "$rport" get)
redis-cli -p "$kport" config set appendfsync everysec >/dev/null
redis-cli -p "$rport" config set appendfsync everysec >/dev/null
k_every=$(syncs "$kpid" "$kport" set)
r_every=$(syncs "$rpid" "$rport" set)

echo
echo "fsync + fdatasync calls (strace -f -c) while one client sends $N requests, one at a time:"
echo
echo "| requests | Redis | Keyshard |"
echo "|---|---|---|"
echo "| $N SET, appendfsync always | $r_set | $k_set |"
echo "| $N GET | $r_get | $k_get |"
echo "| $N SET, appendfsync everysec | $r_every | $k_every |"
echo
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$k_set" -lt "$N" ]; then
  echo "fsync-count.sh: fewer syncs than acknowledged writes under appendfsync always" >&2
  exit 1
fi
