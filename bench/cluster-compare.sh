#!/usr/bin/env bash
# A 3-node Keyshard cluster against a 3-node Redis Cluster, both on loopback, measured with
# redis-benchmark --cluster. Run as: bench/compare.sh --cluster (or this script directly).
#
# Redis: three redis-server --cluster-enabled yes (no persistence, and a second cluster with
# appendonly yes + appendfsync always for the write tests), joined by redis-cli --cluster create.
# Keyshard: bin/keyshard-cluster start 3 (separate JVMs on the embedded PostgreSQL); the time
# from launching the three JVMs to all 16384 slots served is printed.
#
# Environment: N (100000), TESTS (set,get), CLIENTS (50), PIPELINES ("1 16"), KEYSPACE (100000),
# KEEP=1 (keep logs and data).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N="${N:-100000}"
TESTS="${TESTS:-set,get}"
CLIENTS="${CLIENTS:-50}"
PIPELINES="${PIPELINES:-1 16}"
KEYSPACE="${KEYSPACE:-100000}"
work="$(mktemp -d "${TMPDIR:-/tmp}/keyshard-cbench.XXXXXX")"
pids=()

cleanup() {
  KEYSHARD_CLUSTER_DIR="$work/keyshard" "$root/bin/keyshard-cluster" stop >/dev/null 2>&1 || true
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  sleep 0.5
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  if [ "${KEEP:-0}" = 1 ]; then echo "logs and data kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# Three consecutive free ports whose bus ports (+10000) are free too.
ports_from() {
  python3 - <<'PY'
import random, socket
def free(p):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); return True
    except OSError:
        return False
    finally:
        s.close()
while True:
    b = random.randint(21000, 29000)
    if all(free(b + i) and free(b + i + 10000) for i in range(3)):
        print(b); break
PY
}

wait_ok() { # PORT
  for _ in $(seq 1 600); do
    redis-cli -p "$1" cluster info 2>/dev/null | grep -q 'cluster_state:ok' && return 0
    sleep 0.1
  done
  echo "cluster-compare: cluster on $1 not ok" >&2
  exit 1
}

start_redis_cluster() { # NAME BASE EXTRA...
  local name=$1 base=$2 i
  shift 2
  for i in 0 1 2; do
    mkdir -p "$work/$name/$i"
    redis-server --port $((base + i)) --bind 127.0.0.1 --cluster-enabled yes \
      --cluster-config-file "$work/$name/$i/nodes.conf" --dir "$work/$name/$i" --save '' "$@" \
      >"$work/$name/$i.log" 2>&1 &
    pids+=($!)
  done
  for i in 0 1 2; do
    for _ in $(seq 1 100); do redis-cli -p $((base + i)) ping >/dev/null 2>&1 && break; sleep 0.1; done
  done
  redis-cli --cluster create 127.0.0.1:$base 127.0.0.1:$((base + 1)) 127.0.0.1:$((base + 2)) \
    --cluster-yes >"$work/$name/create.log" 2>&1
  wait_ok "$base"
}

redis_base=$(ports_from)
start_redis_cluster redis "$redis_base" --appendonly no
aof_base=$(ports_from)
start_redis_cluster redis-aof "$aof_base" --appendonly yes --appendfsync always

ks_base=$(ports_from)
KEYSHARD_CLUSTER_DIR="$work/keyshard" "$root/bin/keyshard-cluster" start 3 --base-port "$ks_base" \
  >"$work/keyshard-start.log" 2>&1 || { cat "$work/keyshard-start.log" >&2; exit 1; }
formed=$(grep -o 'all slots served [0-9.]* s' "$work/keyshard-start.log" || echo "all slots served ? s")

declare -A rps
bench() { # NAME PORT PIPELINE TESTS
  local out="$work/$1-P$3.csv" line test value
  echo "  $1: redis-benchmark --cluster -p $2 -c $CLIENTS -n $N -P $3 -r $KEYSPACE -t $4" >&2
  timeout 900 redis-benchmark --cluster -h 127.0.0.1 -p "$2" -c "$CLIENTS" -n "$N" -P "$3" \
    -r "$KEYSPACE" -t "$4" --csv >"$out" 2>"$out.err" || echo "  $1: failed (see $out.err)" >&2
  # --cluster also prints the cluster's masters: keep the CSV lines only.
  while IFS= read -r line; do
    [[ "$line" == '"'* ]] || continue
    test=$(cut -d'"' -f2 <<<"$line"); value=$(cut -d'"' -f4 <<<"$line")
    [ "$test" = test ] && continue
    rps["$1|$3|$test"]=$value
  done <"$out"
}

echo "warming up Keyshard" >&2
timeout 600 redis-benchmark --cluster -p "$ks_base" -c "$CLIENTS" -n $((N / 10)) -P 16 -r "$KEYSPACE" \
  -t "$TESTS" -q >/dev/null 2>&1 || true
for p in $PIPELINES; do
  bench redis "$redis_base" "$p" "$TESTS"
  bench keyshard "$ks_base" "$p" "$TESTS"
  bench redis-aof "$aof_base" "$p" "$TESTS"
done

ratio() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN{ if (b > 0 && a > 0) printf "%.3f", a / b; else printf "-" }'; }
echo
echo "3-node clusters, redis-benchmark --cluster -c $CLIENTS -n $N -r $KEYSPACE; 2 cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Keyshard: $formed after its three JVMs were launched"
printf '%-8s | %8s | %12s | %12s | %8s | %14s | %8s\n' test pipeline "redis rps" "keyshard rps" ratio "redis-aof rps" ratio
printf -- '-------- | -------- | ------------ | ------------ | -------- | -------------- | --------\n'
for p in $PIPELINES; do
  for t in $(grep '^"' "$work"/redis-P"$p".csv | cut -d'"' -f2 | grep -v '^test$'); do
    r=${rps["redis|$p|$t"]:-}; k=${rps["keyshard|$p|$t"]:-}; a=${rps["redis-aof|$p|$t"]:-}
    printf '%-8s | %8s | %12.0f | %12.0f | %8s | %14.0f | %8s\n' "$t" "$p" "${r:-0}" "${k:-0}" "$(ratio "$k" "$r")" "${a:-0}" "$(ratio "$k" "$a")"
  done
done
echo "ratio = keyshard rps / redis rps; redis-aof = appendonly yes, appendfsync always."
