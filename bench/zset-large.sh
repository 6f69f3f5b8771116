#!/usr/bin/env bash
# One large sorted set in redis-server and in Keyshard, side by side (bench/ZSetBench.java):
# pipelined load, then ZADD, ZRANK, ZRANGE by rank and ZRANGEBYSCORE windows, pipelined and one
# request at a time, with the ratio Keyshard/Redis; then the structure's in-process cost and the
# time of one slot snapshot holding the set. Measured, never asserted.
#
#   bench/zset-large.sh                 # MEMBERS=1000000 OPS=100000 WRITES=10000
#   MEMBERS=100000 OPS=20000 bench/zset-large.sh
#
# Environment: MEMBERS, OPS (reads per test), WRITES (single-member ZADDs), KEYSHARD_JAVA_OPTS (passed to bin/keyshard-server), KEEP=1 (keep
# logs and data). Timings depend on what else the machine runs.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MEMBERS="${MEMBERS:-1000000}"
OPS="${OPS:-100000}"
WRITES="${WRITES:-10000}"
work="$(mktemp -d "${TMPDIR:-/tmp}/keyshard-zbench.XXXXXX")"
pids=()

cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [ "${KEEP:-0}" = 1 ]; then echo "logs and data kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_ready() {
  local port=$1 name=$2 log=$3 i
  for i in $(seq 1 600); do
    [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && return 0
    sleep 0.2
  done
  echo "zset-large.sh: $name not ready on port $port; log $log" >&2
  exit 1
}

jar_of() { find "$HOME/.m2/repository/$1" -name "$2-*.jar" | sort | tail -1; }
jedis="$(jar_of redis/clients/jedis jedis)"
pool="$(jar_of org/apache/commons/commons-pool2 commons-pool2)"
[ -n "$jedis" ] && [ -n "$pool" ] || { echo "zset-large.sh: jedis or commons-pool2 not in ~/.m2" >&2; exit 1; }

"$root/bin/keyshard-server" --help >/dev/null 2>"$work/build.log" || { cat "$work/build.log" >&2; exit 1; }
mkdir -p "$work/node" "$work/redis" "$work/data"
cp -r "$root/node/target/keyshard-node.jar" "$root/node/target/lib" "$work/node/"

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work/redis" \
  --daemonize no >"$work/redis.log" 2>&1 &
pids+=($!)
wait_ready "$redis_port" redis "$work/redis.log"

ks_port=$(free_port)
java ${KEYSHARD_JAVA_OPTS:--Xmx4g} -cp "$work/node/keyshard-node.jar:$work/node/lib/*" \
  io.keyshard.node.Main --port "$ks_port" --dir "$work/data" >"$work/keyshard.log" 2>&1 &
pids+=($!)
wait_ready "$ks_port" keyshard "$work/keyshard.log"

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
java -Xmx4g -cp "$work/node/keyshard-node.jar:$work/node/lib/*:$jedis:$pool" "$root/bench/ZSetBench.java" \
  127.0.0.1 "$redis_port" 127.0.0.1 "$ks_port" "$MEMBERS" "$OPS" "$WRITES"
