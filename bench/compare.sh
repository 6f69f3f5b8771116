#!/usr/bin/env bash
# Keyshard against redis-server, side by side on loopback, measured with redis-benchmark.
#
#   bench/compare.sh                  # N=200000 requests per test and run
#   N=20000 bench/compare.sh          # a quick run
#   TESTS=set,get,incr,lpush N=20000 bench/compare.sh
#   TESTS=lpush,lpop,sadd,hset,zadd,spop KEYMODES=random bench/compare.sh   # the data types
#   bench/compare.sh --cluster        # 3-node Keyshard cluster vs 3-node Redis Cluster
#   TESTS=set N=20000 MULTI_SLOT=0 bench/compare.sh   # with the scripts and Pub/Sub table (SCRIPTS=0 skips it)
#   (one sorted set of a million members, ZADD/ZRANK/ZRANGE: bench/zset-large.sh)
#
# Three servers run at once on free ports: redis-server without persistence, redis-server with
# appendonly yes + appendfsync always (the durable baseline: Keyshard acknowledges a write only
# once its journal has it), and Keyshard (built by bin/keyshard-server, run from a copy of
# node/target on a fresh temporary directory).
# Each runs `redis-benchmark -c CLIENTS -n N -P <p> -t TESTS` at every pipeline depth, with random
# keys (-r KEYSPACE, spread over all slots) and with one key (no -r: every request hits one slot).
# The durable Redis runs only the write tests. The table gives requests per second.
#
# Environment: N (200000), TESTS (set,get), CLIENTS (50), KEYSPACE (100000), PIPELINES ("1 16"),
# KEYMODES ("random single"), WARMUP (requests per test sent to Keyshard first, to warm the JIT;
# default N/10, 0 for none), RUN_TIMEOUT (seconds per redis-benchmark run, 600; a run that
# exceeds it shows as "n/a"), KEYSHARD_JAVA_OPTS (passed to bin/keyshard-server),
# KEEP=1 (keep the logs and data in the work directory).
# Timings depend on what else the machine runs: note its load with the table.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ "${1:-}" = --cluster ]; then
  # Three-node clusters instead of single servers: see bench/cluster-compare.sh.
  exec "$root/bench/cluster-compare.sh"
fi
N="${N:-200000}"
TESTS="${TESTS:-set,get}"
CLIENTS="${CLIENTS:-50}"
KEYSPACE="${KEYSPACE:-100000}"
PIPELINES="${PIPELINES:-1 16}"
KEYMODES="${KEYMODES:-random single}"
WARMUP="${WARMUP:-$((N / 10))}"
RUN_TIMEOUT="${RUN_TIMEOUT:-600}"

# redis-benchmark test names that write; only these run against the durable Redis.
WRITE_TESTS=" set incr lpush rpush lpop rpop sadd hset spop zadd zpopmin mset xadd "

for tool in redis-server redis-cli redis-benchmark python3 timeout; do
  command -v "$tool" >/dev/null || { echo "compare.sh: $tool not found" >&2; exit 1; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/keyshard-bench.XXXXXX")"
pids=()

cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [ "${KEEP:-0}" = 1 ]; then
    echo "logs and data kept in $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_ready PORT PID NAME LOG SECONDS
wait_ready() {
  local port=$1 pid=$2 name=$3 log=$4 limit=$5 i
  for i in $(seq 1 $((limit * 5))); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "compare.sh: $name exited before it was ready; its log ($log):" >&2
      tail -n 30 "$log" >&2
      exit 1
    fi
    if [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ]; then
      return 0
    fi
    sleep 0.2
  done
  echo "compare.sh: $name not ready on port $port after ${limit} s; log $log" >&2
  exit 1
}

start_redis() { # NAME PORT EXTRA_ARGS...
  local name=$1 port=$2
  shift 2
  mkdir -p "$work/$name"
  redis-server --port "$port" --bind 127.0.0.1 --save '' --dir "$work/$name" --daemonize no \
    "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
  wait_ready "$port" $! "$name" "$work/$name.log" 30
}

redis_port=$(free_port)
start_redis redis "$redis_port" --appendonly no

aof_port=
is_write() { [[ "$WRITE_TESTS" == *" ${1,,} "* ]]; }
aof_tests=
for t in ${TESTS//,/ }; do
  if is_write "$t"; then aof_tests+="${aof_tests:+,}$t"; fi
done
if [ -n "$aof_tests" ]; then
  aof_port=$(free_port)
  start_redis redis-aof "$aof_port" --appendonly yes --appendfsync always
fi

# bin/keyshard-server builds the node if it is stale (--help then only prints usage). The node
# then runs from a copy, as bin/keyshard-server would run it: it loads classes lazily, and a
# rebuild of node/target during the run made its first SET fail with NoClassDefFoundError and
# took the JVM down.
"$root/bin/keyshard-server" --help >/dev/null 2>"$work/build.log" || {
  echo "compare.sh: building Keyshard failed:" >&2; cat "$work/build.log" >&2; exit 1; }
mkdir -p "$work/node"
cp -r "$root/node/target/keyshard-node.jar" "$root/node/target/lib" "$work/node/"
ks_port=$(free_port)
# shellcheck disable=SC2086 # KEYSHARD_JAVA_OPTS is a list of options, as in bin/keyshard-server
java ${KEYSHARD_JAVA_OPTS:--Xmx2g} -cp "$work/node/keyshard-node.jar:$work/node/lib/*" \
  io.keyshard.node.Main --port "$ks_port" --dir "$work/keyshard" >"$work/keyshard.log" 2>&1 &
pids+=($!)
wait_ready "$ks_port" $! keyshard "$work/keyshard.log" 120

declare -A rps

# bench NAME PORT TESTS PIPELINE KEYMODE: runs redis-benchmark, records rps per test.
bench() {
  local name=$1 port=$2 tests=$3 pipeline=$4 keymode=$5 out line test value
  local args=(-h 127.0.0.1 -p "$port" -c "$CLIENTS" -n "$N" -P "$pipeline" -t "$tests" --csv)
  [ "$keymode" = random ] && args+=(-r "$KEYSPACE")
  out="$work/$name-$keymode-P$pipeline.csv"
  echo "  $name: redis-benchmark ${args[*]}" >&2
  if ! timeout "$RUN_TIMEOUT" redis-benchmark "${args[@]}" >"$out" 2>"$out.err"; then
    echo "  $name: redis-benchmark failed or timed out after ${RUN_TIMEOUT} s (see $out.err)" >&2
  fi
  # "SET","95238.10",... ; the test name is the first field, rps the second.
  while IFS= read -r line; do
    test=$(cut -d'"' -f2 <<<"$line")
    value=$(cut -d'"' -f4 <<<"$line")
    [ "$test" = test ] && continue
    rps["$name|$keymode|$pipeline|$test"]=$value
  done <"$out"
}

if [ "$WARMUP" -gt 0 ]; then
  echo "warming up Keyshard ($WARMUP requests per test, pipeline 16, random keys)" >&2
  timeout "$RUN_TIMEOUT" redis-benchmark -p "$ks_port" -c "$CLIENTS" -n "$WARMUP" -P 16 \
    -r "$KEYSPACE" -t "$TESTS" -q >"$work/warmup.txt" 2>&1 || true
fi

for keymode in $KEYMODES; do
  for pipeline in $PIPELINES; do
    echo "keys: $keymode, pipeline: $pipeline" >&2
    bench redis "$redis_port" "$TESTS" "$pipeline" "$keymode"
    bench keyshard "$ks_port" "$TESTS" "$pipeline" "$keymode"
    if [ -n "$aof_port" ]; then
      bench redis-aof "$aof_port" "$aof_tests" "$pipeline" "$keymode"
    fi
  done
done

# Multi-slot work (issue 3): an MSET of 10 keys in 10 random slots, and MULTI + 5 INCR in 5
# slots + EXEC (bench/TxBench.java), against all three servers. MULTI_SLOT=0 skips it.
declare -A multi
if [ "${MULTI_SLOT:-1}" = 1 ]; then
  mset_n=$((N / 10))
  mset_cmd=(MSET)
  for i in 0 1 2 3 4 5 6 7 8 9; do mset_cmd+=("k$i:__rand_int__" v); done
  tx_per_client=$(( (N / 10 + CLIENTS - 1) / CLIENTS ))
  for target in "redis:$redis_port" "redis-aof:$aof_port" "keyshard:$ks_port"; do
    name=${target%%:*}
    port=${target#*:}
    [ -n "$port" ] || continue
    echo "  $name: redis-benchmark -c $CLIENTS -n $mset_n -r $KEYSPACE ${mset_cmd[*]}" >&2
    value=$(timeout "$RUN_TIMEOUT" redis-benchmark -h 127.0.0.1 -p "$port" -c "$CLIENTS" -n "$mset_n" \
      -r "$KEYSPACE" --csv "${mset_cmd[@]}" 2>/dev/null | tail -n 1 | cut -d'"' -f4) || value=n/a
    multi["$name|mset10"]=${value:-n/a}
    echo "  $name: TxBench $CLIENTS clients x $tx_per_client MULTI/5 INCR/EXEC" >&2
    value=$(timeout "$RUN_TIMEOUT" java "$root/bench/TxBench.java" "$port" "$CLIENTS" "$tx_per_client" \
      2>"$work/txbench-$name.err") || value=n/a
    multi["$name|multi5"]=${value:-n/a}
  done
fi

# Scripts, Pub/Sub and streams (issue 19): EVALSHA of a one-INCR script on random keys, PUBLISH
# to a channel with 10 subscribers (redis-cli processes reading it), and XADD to 100 streams,
# against all three servers.
# SCRIPTS=0 skips it.
declare -A scripted
if [ "${SCRIPTS:-1}" = 1 ]; then
  script_n=$((N / 4))
  for target in "redis:$redis_port" "redis-aof:$aof_port" "keyshard:$ks_port"; do
    name=${target%%:*}
    port=${target#*:}
    [ -n "$port" ] || continue
    sha=$(redis-cli -p "$port" SCRIPT LOAD "return redis.call('incr', KEYS[1])")
    echo "  $name: redis-benchmark -c $CLIENTS -n $script_n -r $KEYSPACE EVALSHA $sha 1 k:__rand_int__" >&2
    value=$(timeout "$RUN_TIMEOUT" redis-benchmark -h 127.0.0.1 -p "$port" -c "$CLIENTS" -n "$script_n" \
      -r "$KEYSPACE" --csv EVALSHA "$sha" 1 "k:__rand_int__" 2>/dev/null | tail -n 1 | cut -d'"' -f4) || value=n/a
    scripted["$name|evalsha"]=${value:-n/a}
    subs=()
    for i in $(seq 1 10); do
      redis-cli -p "$port" SUBSCRIBE bench-channel >/dev/null 2>&1 &
      subs+=($!)
    done
    for _ in $(seq 1 50); do
      [ "$(redis-cli -p "$port" PUBSUB NUMSUB bench-channel | tail -n 1)" = 10 ] && break
      sleep 0.1
    done
    echo "  $name: redis-benchmark -c $CLIENTS -n $script_n PUBLISH bench-channel (10 subscribers)" >&2
    value=$(timeout "$RUN_TIMEOUT" redis-benchmark -h 127.0.0.1 -p "$port" -c "$CLIENTS" -n "$script_n" \
      --csv PUBLISH bench-channel hello-subscribers 2>/dev/null | tail -n 1 | cut -d'"' -f4) || value=n/a
    scripted["$name|publish10"]=${value:-n/a}
    kill "${subs[@]}" 2>/dev/null || true
    wait "${subs[@]}" 2>/dev/null || true
    # XADD with generated ids to 100 streams, each trimmed to about 1,000 entries.
    echo "  $name: redis-benchmark -c $CLIENTS -n $script_n -r 100 XADD s:__rand_int__ MAXLEN ~ 1000 * f v" >&2
    value=$(timeout "$RUN_TIMEOUT" redis-benchmark -h 127.0.0.1 -p "$port" -c "$CLIENTS" -n "$script_n" \
      -r 100 --csv XADD "s:__rand_int__" MAXLEN "~" 1000 "*" field value-of-the-entry 2>/dev/null \
      | tail -n 1 | cut -d'"' -f4) || value=n/a
    scripted["$name|xadd"]=${value:-n/a}
  done
fi

# The test names redis-benchmark printed, in its order.
mapfile -t names < <(cat "$work"/redis-*-P*.csv | cut -d'"' -f2 | grep -v '^test$' | awk '!seen[$0]++')

ratio() { # A B -> A/B, or "-"
  if [[ "$1" =~ ^[0-9.]+$ && "$2" =~ ^[0-9.]+$ ]] && awk "BEGIN{exit !($2 > 0)}"; then
    awk "BEGIN{printf \"%.3f\", $1 / $2}"
  else
    echo -
  fi
}

fmt() { # rps with no decimals, or the placeholder
  if [[ "$1" =~ ^[0-9.]+$ ]]; then printf "%.0f" "$1"; else echo "$1"; fi
}

echo
echo "redis-benchmark -c $CLIENTS -n $N (random keys: -r $KEYSPACE; single: one key)," \
  "Keyshard warm-up $WARMUP; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
fmt_row="%-8s | %-6s | %8s | %12s | %12s | %8s | %16s | %8s\n"
printf "$fmt_row" test keys pipeline "redis rps" "keyshard rps" ratio "redis-aof rps" ratio
printf "$fmt_row" -------- ------ -------- ------------ ------------ -------- ---------------- --------
for test in "${names[@]}"; do
  for keymode in $KEYMODES; do
    for pipeline in $PIPELINES; do
      r=${rps["redis|$keymode|$pipeline|$test"]:-n/a}
      k=${rps["keyshard|$keymode|$pipeline|$test"]:-n/a}
      if [ -n "$aof_port" ] && is_write "$test"; then
        a=${rps["redis-aof|$keymode|$pipeline|$test"]:-n/a}
        ka=$(ratio "$k" "$a")
      else
        a=-
        ka=-
      fi
      printf "$fmt_row" "$test" "$keymode" "$pipeline" "$(fmt "$r")" "$(fmt "$k")" \
        "$(ratio "$k" "$r")" "$(fmt "$a")" "$ka"
    done
  done
done
echo "ratio = keyshard rps / redis rps; redis-aof = appendonly yes, appendfsync always" \
  "(write tests only)."
if [ "${MULTI_SLOT:-1}" = 1 ]; then
  echo
  echo "multi-slot work, $CLIENTS clients (operations per second)"
  fmt_multi="%-34s | %10s | %12s | %8s | %14s | %8s\n"
  printf "$fmt_multi" workload "redis" "keyshard" ratio "redis-aof" ratio
  printf "$fmt_multi" ---------------------------------- ---------- ------------ -------- -------------- --------
  for w in mset10 multi5; do
    label="MSET 10 keys in 10 slots"
    [ "$w" = multi5 ] && label="MULTI, INCR x5 in 5 slots, EXEC"
    r=${multi["redis|$w"]:-n/a}
    k=${multi["keyshard|$w"]:-n/a}
    a=${multi["redis-aof|$w"]:-n/a}
    printf "$fmt_multi" "$label" "$(fmt "$r")" "$(fmt "$k")" "$(ratio "$k" "$r")" "$(fmt "$a")" \
      "$(ratio "$k" "$a")"
  done
fi
if [ "${SCRIPTS:-1}" = 1 ]; then
  echo
  echo "scripts, Pub/Sub and streams, $CLIENTS clients (operations per second)"
  fmt_scripts="%-34s | %10s | %12s | %8s | %14s | %8s\n"
  printf "$fmt_scripts" workload "redis" "keyshard" ratio "redis-aof" ratio
  printf "$fmt_scripts" ---------------------------------- ---------- ------------ -------- -------------- --------
  for w in evalsha publish10 xadd; do
    label="EVALSHA (one INCR), random keys"
    [ "$w" = publish10 ] && label="PUBLISH to 10 subscribers"
    [ "$w" = xadd ] && label="XADD * to 100 streams, MAXLEN ~ 1000"
    r=${scripted["redis|$w"]:-n/a}
    k=${scripted["keyshard|$w"]:-n/a}
    a=${scripted["redis-aof|$w"]:-n/a}
    printf "$fmt_scripts" "$label" "$(fmt "$r")" "$(fmt "$k")" "$(ratio "$k" "$r")" "$(fmt "$a")" \
      "$(ratio "$k" "$a")"
  done
fi
echo "on disk after the runs: keyshard $(du -sh "$work/keyshard" | cut -f1)," \
  "redis-aof $(du -sh "${aof_port:+$work/redis-aof}" 2>/dev/null | cut -f1)"
