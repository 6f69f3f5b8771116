#!/usr/bin/env bash
# The storage rows of issue 15, Keyshard against redis-server in the same run:
#   1. load KEYS small keys through `redis-cli --pipe` (Redis: appendonly yes, appendfsync always);
#   2. the data directory while loading (its peak, sampled every second) and after;
#   3. memory per key: Keyshard's heap after a full GC and its RSS, Redis's used_memory and RSS;
#   4. restart until DBSIZE answers KEYS and a GET answers (Redis: from its RDB, written by SAVE
#      after the load; Keyshard: from its journal, after a clean SHUTDOWN and, with CRASH=1, after
#      a kill -9), beside the start of an empty Keyshard node.
#
#   bench/storage.sh                  # KEYS=1000000
#   KEYS=200000 bench/storage.sh      # a quick run
#
# Environment: KEYS (1000000), VALUE_SIZE (bytes per value, 10), CRASH (1: also restart after
# kill -9), KEYSHARD_JAVA_OPTS (default -Xmx2g), KEEP=1 (keep logs and data), RESTART_LIMIT
# (seconds to wait for a restart, 300).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KEYS="${KEYS:-1000000}"
VALUE_SIZE="${VALUE_SIZE:-10}"
CRASH="${CRASH:-1}"
RESTART_LIMIT="${RESTART_LIMIT:-300}"
JAVA_OPTS="${KEYSHARD_JAVA_OPTS:--Xmx2g}"

for tool in redis-server redis-cli python3 jcmd; do
  command -v "$tool" >/dev/null || { echo "storage.sh: $tool not found" >&2; exit 1; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/keyshard-storage.XXXXXX")"
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
now() { date +%s.%N; }
secs() { awk "BEGIN{printf \"%.2f\", $2 - $1}"; }
mb() { du -sm "$1" 2>/dev/null | cut -f1; }
rss_mb() { awk '/VmRSS/{printf "%.0f", $2 / 1024}' "/proc/$1/status"; }

# The load: KEYS SETs in RESP, written once and piped to both servers.
echo "writing $KEYS SET commands ..." >&2
python3 - "$KEYS" "$VALUE_SIZE" >"$work/load.resp" <<'EOF'
import sys
n, size = int(sys.argv[1]), int(sys.argv[2])
out = sys.stdout.buffer
value = b"v" * size
for i in range(n):
    key = b"key:%d" % i
    out.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, len(value), value))
EOF

# wait_until PID SECONDS CMD...: runs CMD every 50 ms until it succeeds; fails if PID exits.
wait_until() {
  local pid=$1 limit=$2 deadline
  shift 2
  deadline=$(awk "BEGIN{print $(date +%s) + $limit}")
  until "$@" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { echo "storage.sh: process $pid exited" >&2; return 1; }
    [ "$(date +%s)" -lt "${deadline%.*}" ] || { echo "storage.sh: gave up after $limit s" >&2; return 1; }
    sleep 0.05
  done
}
answers_pong() { [ "$(redis-cli -p "$1" ping 2>/dev/null)" = PONG ]; }
# DBSIZE is the whole key count and GET of the last key answers its value: the data is served.
serves_all() {
  [ "$(redis-cli -p "$1" dbsize 2>/dev/null)" = "$KEYS" ] \
    && [ -n "$(redis-cli -p "$1" get "key:$((KEYS - 1))" 2>/dev/null)" ]
}
# peak_du DIR FILE: samples the size of DIR every second into FILE until killed.
peak_du() {
  local max=0 m
  while true; do
    m=$(mb "$1" || echo 0)
    [ "${m:-0}" -gt "$max" ] && max=$m && echo "$max" >"$2"
    sleep 1
  done
}

# ---- Redis: AOF always, then an RDB for the restart ----
redis_port=$(free_port)
mkdir -p "$work/redis"
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work/redis" --save '' \
  --appendonly yes --appendfsync always --daemonize no >"$work/redis.log" 2>&1 &
rpid=$!
pids+=("$rpid")
wait_until "$rpid" 30 answers_pong "$redis_port"
echo "redis: loading $KEYS keys (appendfsync always) ..." >&2
t0=$(now)
redis-cli -p "$redis_port" --pipe <"$work/load.resp" >"$work/redis-pipe.txt"
redis_load=$(secs "$t0" "$(now)")
redis_used=$(redis-cli -p "$redis_port" info memory | awk -F: '/^used_memory:/{printf "%.0f", $2 / 1048576}')
redis_rss=$(rss_mb "$rpid")
redis_aof=$(mb "$work/redis")
redis-cli -p "$redis_port" bgrewriteaof >/dev/null
sleep 1
wait_until "$rpid" 120 bash -c "redis-cli -p $redis_port info persistence | grep -q 'aof_rewrite_in_progress:0'"
redis_aof_rewritten=$(mb "$work/redis")
redis-cli -p "$redis_port" config set appendonly no >/dev/null
redis-cli -p "$redis_port" save >/dev/null
redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
wait "$rpid" 2>/dev/null || true
rm -rf "$work/redis/appendonlydir"
t0=$(now)
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work/redis" --save '' \
  --appendonly no --daemonize no >>"$work/redis.log" 2>&1 &
rpid=$!
pids+=("$rpid")
wait_until "$rpid" "$RESTART_LIMIT" serves_all "$redis_port"
redis_restart=$(secs "$t0" "$(now)")
redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true

# ---- Keyshard ----
"$root/bin/keyshard-server" --help >/dev/null 2>"$work/build.log" || {
  echo "storage.sh: building Keyshard failed:" >&2; cat "$work/build.log" >&2; exit 1; }
mkdir -p "$work/node"
cp -r "$root/node/target/keyshard-node.jar" "$root/node/target/lib" "$work/node/"
ks_port=$(free_port)
start_keyshard() { # LOG
  # shellcheck disable=SC2086 # JAVA_OPTS is a list of options
  java $JAVA_OPTS -cp "$work/node/keyshard-node.jar:$work/node/lib/*" \
    io.keyshard.node.Main --port "$ks_port" --dir "$work/keyshard" >>"$1" 2>&1 &
  kpid=$!
  pids+=("$kpid")
}

# An empty node's start, on a directory of its own.
mkdir -p "$work/empty"
t0=$(now)
# shellcheck disable=SC2086
java $JAVA_OPTS -cp "$work/node/keyshard-node.jar:$work/node/lib/*" \
  io.keyshard.node.Main --port "$ks_port" --dir "$work/empty" >"$work/empty.log" 2>&1 &
epid=$!
pids+=("$epid")
wait_until "$epid" 120 answers_pong "$ks_port"
empty_start=$(secs "$t0" "$(now)")
redis-cli -p "$ks_port" shutdown >/dev/null 2>&1 || true
wait "$epid" 2>/dev/null || true

start_keyshard "$work/keyshard.log"
wait_until "$kpid" 120 answers_pong "$ks_port"
echo "keyshard: loading $KEYS keys ..." >&2
peak_du "$work/keyshard" "$work/peak" &
dpid=$!
pids+=("$dpid")
t0=$(now)
redis-cli -p "$ks_port" --pipe <"$work/load.resp" >"$work/keyshard-pipe.txt"
ks_load=$(secs "$t0" "$(now)")
kill "$dpid" 2>/dev/null || true
ks_peak=$(cat "$work/peak" 2>/dev/null || echo "?")
ks_dir=$(mb "$work/keyshard")
jcmd "$kpid" GC.run >/dev/null
sleep 1
ks_heap=$(jcmd "$kpid" GC.heap_info | awk '/used/{for(i=1;i<=NF;i++) if($i=="used"){v=$(i+1); sub(/K,?/,"",v); printf "%.0f", v/1024; exit}}')
ks_rss=$(rss_mb "$kpid")
redis-cli -p "$ks_port" shutdown >/dev/null 2>&1 || true
wait "$kpid" 2>/dev/null || true
ks_dir_stopped=$(mb "$work/keyshard")

t0=$(now)
start_keyshard "$work/keyshard.log"
wait_until "$kpid" "$RESTART_LIMIT" serves_all "$ks_port" && ks_restart=$(secs "$t0" "$(now)") || ks_restart="failed"
ks_crash="-"
if [ "$CRASH" = 1 ] && [ "$ks_restart" != failed ]; then
  kill -KILL "$kpid"
  wait "$kpid" 2>/dev/null || true
  t0=$(now)
  start_keyshard "$work/keyshard.log"
  wait_until "$kpid" "$RESTART_LIMIT" serves_all "$ks_port" && ks_crash=$(secs "$t0" "$(now)") || ks_crash="failed"
fi
redis-cli -p "$ks_port" shutdown >/dev/null 2>&1 || true

ratio() { awk "BEGIN{ if ($2 > 0) printf \"%.2f\", $1 / $2; else print \"-\" }"; }
echo
echo "$KEYS keys of $VALUE_SIZE bytes; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
fmt="%-52s | %12s | %12s | %8s\n"
printf "$fmt" measure redis keyshard ratio
printf "$fmt" ---------------------------------------------------- ------------ ------------ --------
printf "$fmt" "load through redis-cli --pipe (s; redis: AOF always)" "$redis_load" "$ks_load" "$(ratio "$ks_load" "$redis_load")"
printf "$fmt" "data directory after the load (MB)" "$redis_aof" "$ks_dir" "$(ratio "$ks_dir" "$redis_aof")"
printf "$fmt" "data directory, peak while loading (MB)" "-" "$ks_peak" "-"
printf "$fmt" "data directory after BGREWRITEAOF / clean stop (MB)" "$redis_aof_rewritten" "$ks_dir_stopped" "-"
printf "$fmt" "memory: used_memory / heap after full GC (MB)" "$redis_used" "$ks_heap" "$(ratio "$ks_heap" "$redis_used")"
printf "$fmt" "memory: RSS (MB)" "$redis_rss" "$ks_rss" "$(ratio "$ks_rss" "$redis_rss")"
printf "$fmt" "start of an empty node (s)" "-" "$empty_start" "-"
printf "$fmt" "restart until DBSIZE and GET answer (s; redis: RDB)" "$redis_restart" "$ks_restart" "-"
printf "$fmt" "restart after kill -9 until DBSIZE and GET answer (s)" "-" "$ks_crash" "-"
if [[ "$ks_restart" =~ ^[0-9.]+$ ]]; then
  echo "target of issue 15: restart <= empty start + 3 x redis load = $(awk "BEGIN{printf \"%.2f\", $empty_start + 3 * $redis_restart}") s"
fi
