#!/usr/bin/env bash
# Issue 17's backup benchmark, Keyshard against redis-server in the same run: N keys (strings of
# VALUE bytes, a tenth with a TTL), then
#   redis-server: BGSAVE (until rdb_bgsave_in_progress:0) and the load of that dump.rdb at start;
#   Keyshard standalone: keyshard-backup create, verify, and restore into a fresh node;
#   Keyshard 3 nodes (bin/keyshard-cluster, one PostgreSQL): restore of the same backup, then
#   create of the cluster's own backup;
# and a client's SET latency (p50/p99/max, one connection, one at a time) on the standalone
# node without a backup, during one (create reads the journal at one instant: no writer is
# paused), and during a BGSAVE of the node (its cut locks every slot while it copies them).
#
#   bench/backup.sh                  N=1000000
#   N=100000 bench/backup.sh         a quick run
# Environment: N, VALUE (100), CLUSTER=0 (skip the 3-node part), KEEP=1, KEYSHARD_JAVA_OPTS.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N="${N:-1000000}"
VALUE="${VALUE:-100}"
CLUSTER="${CLUSTER:-1}"
JAVA_OPTS="${KEYSHARD_JAVA_OPTS:--Xmx3g}"
work="$(mktemp -d "${TMPDIR:-/tmp}/keyshard-backupbench.XXXXXX")"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  if [ "$CLUSTER" = 1 ] && [ -d "$work/cluster" ]; then
    KEYSHARD_CLUSTER_DIR="$work/cluster" "$root/bin/keyshard-cluster" stop >/dev/null 2>&1 || true
  fi
  if [ "${KEEP:-0}" = 1 ]; then echo "logs kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
now() { date +%s.%N; }
secs() { awk "BEGIN{printf \"%.1f\", $2 - $1}"; }
ratio() { awk "BEGIN{printf \"%.1f\", $1 / $2}"; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
wait_pong() { # PORT PID SECONDS
  local deadline=$(($(date +%s) + $3))
  until [ "$(redis-cli -p "$1" ping 2>/dev/null)" = PONG ]; do
    kill -0 "$2" 2>/dev/null || { echo "backup.sh: process $2 exited" >&2; return 1; }
    [ "$(date +%s)" -lt "$deadline" ] || { echo "backup.sh: no PONG on $1 after $3 s" >&2; return 1; }
    sleep 0.05
  done
}

echo "building ..." >&2
(cd "$root" && mvn -q -B -Dstyle.color=never -DskipTests -pl node,tools -am package) >&2
mkdir -p "$work/node"
cp -r "$root/node/target/keyshard-node.jar" "$root/node/target/lib" "$work/node/"
backup() { "$root/bin/keyshard-backup" "$@"; }

start_keyshard() { # NAME -> port in $ks_port, pid in $ks_pid
  ks_port=$(free_port)
  # shellcheck disable=SC2086
  java $JAVA_OPTS -cp "$work/node/keyshard-node.jar:$work/node/lib/*" io.keyshard.node.Main \
    --port "$ks_port" --dir "$work/$1" >"$work/$1.log" 2>&1 &
  ks_pid=$!
  pids+=("$ks_pid")
  wait_pong "$ks_port" "$ks_pid" 180
}

echo "generating $N keys ..." >&2
python3 - "$N" "$VALUE" >"$work/load.resp" <<'PY'
import sys
n, size = int(sys.argv[1]), int(sys.argv[2])
out = sys.stdout.buffer
value = (b"v" * size)
buf = []
for i in range(n):
    key = b"key:%d" % i
    if i % 10 == 0:
        buf.append(b"*5\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n$2\r\nEX\r\n$5\r\n86400\r\n" % (len(key), key, size, value))
    else:
        buf.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, size, value))
    if len(buf) == 10000:
        out.write(b"".join(buf)); buf = []
out.write(b"".join(buf))
PY

latency() { # PORT SECONDS -> "p50 p99 max" in ms
  python3 - "$1" "$2" <<'PY'
import socket, sys, time
port, secs = int(sys.argv[1]), float(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port))
f = s.makefile("rb")
lat = []
end = time.time() + secs
i = 0
while time.time() < end:
    k = b"lat:%d" % (i % 1000); i += 1
    t = time.perf_counter()
    s.sendall(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1\r\nx\r\n" % (len(k), k))
    line = f.readline()
    lat.append((time.perf_counter() - t) * 1000)
    if not line.startswith(b"+"):
        raise SystemExit("error: %r" % line)
lat.sort()
print("%.2f %.2f %.1f %d" % (lat[len(lat) // 2], lat[int(len(lat) * 0.99)], lat[-1], len(lat)))
PY
}

results="$work/results.txt"
: >"$results"

# ---- redis-server: BGSAVE and the load at start ----
rport=$(free_port)
mkdir -p "$work/redis"
redis-server --port "$rport" --bind 127.0.0.1 --dir "$work/redis" --save '' --appendonly no >"$work/redis.log" 2>&1 &
rpid=$!; pids+=("$rpid")
wait_pong "$rport" "$rpid" 30
redis-cli -p "$rport" --pipe <"$work/load.resp" >/dev/null
t0=$(now)
redis-cli -p "$rport" bgsave >/dev/null
sleep 0.05
until redis-cli -p "$rport" info persistence | grep -q 'rdb_bgsave_in_progress:0'; do sleep 0.02; done
redis_save=$(secs "$t0" "$(now)")
redis_bytes=$(stat -c %s "$work/redis/dump.rdb")
redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || true
wait "$rpid" 2>/dev/null || true
t0=$(now)
redis-server --port "$rport" --bind 127.0.0.1 --dir "$work/redis" --save '' --appendonly no >"$work/redis2.log" 2>&1 &
rpid=$!; pids+=("$rpid")
wait_pong "$rport" "$rpid" 120
until redis-cli -p "$rport" info persistence | grep -q 'loading:0'; do sleep 0.02; done
redis_load=$(secs "$t0" "$(now)")
redis_keys=$(redis-cli -p "$rport" dbsize)
redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || true

# ---- Keyshard standalone ----
start_keyshard ks1
echo "keyshard: loading $N keys ..." >&2
t0=$(now)
redis-cli -p "$ks_port" --pipe <"$work/load.resp" >"$work/ks1-pipe.txt"
ks_loadtime=$(secs "$t0" "$(now)")
read -r q50 q99 qmax qn <<<"$(latency "$ks_port" 10)"
echo "keyshard: backup while a client writes ..." >&2
latency "$ks_port" 25 >"$work/during.txt" &
lpid=$!
sleep 2
t0=$(now)
backup create --from "127.0.0.1:$ks_port" --out "$work/b1" >"$work/create1.txt" 2>&1
ks_create=$(secs "$t0" "$(now)")
wait "$lpid"
read -r d50 d99 dmax dn <"$work/during.txt"
echo "keyshard: BGSAVE while a client writes ..." >&2
latency "$ks_port" 12 >"$work/during-bgsave.txt" &
lpid=$!
sleep 2
redis-cli -p "$ks_port" bgsave >/dev/null
sleep 0.05
until redis-cli -p "$ks_port" info persistence | grep -q 'rdb_bgsave_in_progress:0'; do sleep 0.02; done
wait "$lpid"
read -r g50 g99 gmax gn <"$work/during-bgsave.txt"
ks_bytes=$(stat -c %s "$work/b1/dump.rdb")
t0=$(now)
backup verify "$work/b1" >"$work/verify1.txt" 2>&1
ks_verify=$(secs "$t0" "$(now)")
kill "$ks_pid" 2>/dev/null || true
start_keyshard ks2
t0=$(now)
backup restore "$work/b1" --to "127.0.0.1:$ks_port" >"$work/restore1.txt" 2>&1
ks_restore=$(secs "$t0" "$(now)")
ks_keys=$(redis-cli -p "$ks_port" dbsize)
kill "$ks_pid" 2>/dev/null || true

# ---- Keyshard, 3 nodes ----
if [ "$CLUSTER" = 1 ]; then
  base=$(python3 -c 'import random; print(random.randint(20000, 40000))')
  KEYSHARD_CLUSTER_DIR="$work/cluster" KEYSHARD_JAVA_OPTS="${KEYSHARD_JAVA_OPTS:--Xmx2g}" \
    "$root/bin/keyshard-cluster" start 3 --base-port "$base" >"$work/cluster-start.txt" 2>&1
  t0=$(now)
  backup restore "$work/b1" --to "127.0.0.1:$base" >"$work/restore3.txt" 2>&1
  c_restore=$(secs "$t0" "$(now)")
  c_keys=0
  for p in "$base" $((base + 1)) $((base + 2)); do c_keys=$((c_keys + $(redis-cli -p "$p" dbsize))); done
  t0=$(now)
  backup create --from "127.0.0.1:$((base + 1))" --out "$work/b3" >"$work/create3.txt" 2>&1
  c_create=$(secs "$t0" "$(now)")
fi

{
  echo "N=$N keys of $VALUE bytes (a tenth with a TTL); load average at the end: $(loadavg)"
  printf "%-44s | %10s | %10s | %s\n" "" "redis-server" "Keyshard" "Keyshard / Redis"
  printf "%-44s | %9ss | %9ss | %s\n" "backup (Redis: BGSAVE; Keyshard: create)" "$redis_save" "$ks_create" "$(ratio "$ks_create" "$redis_save")x"
  printf "%-44s | %9ss | %9ss | %s\n" "restore (Redis: load at start; Keyshard: restore)" "$redis_load" "$ks_restore" "$(ratio "$ks_restore" "$redis_load")x"
  printf "%-44s | %10s | %10s |\n" "file bytes" "$redis_bytes" "$ks_bytes"
  printf "%-44s | %10s | %10s |\n" "keys after" "$redis_keys" "$ks_keys"
  printf "%-44s | %10s | %9ss |\n" "verify (Keyshard)" "" "$ks_verify"
  printf "%-44s | %10s | %9ss |\n" "load through redis-cli --pipe (Keyshard)" "" "$ks_loadtime"
  echo "Keyshard standalone, one client's SET latency (ms): without a backup p50 $q50 p99 $q99 max $qmax ($qn SETs);"
  echo "  during the backup p50 $d50 p99 $d99 max $dmax ($dn SETs); during a BGSAVE p50 $g50 p99 $g99 max $gmax ($gn SETs)"
  if [ "$CLUSTER" = 1 ]; then
    echo "Keyshard 3 nodes: restore of the standalone backup ${c_restore}s ($c_keys keys), backup of the cluster ${c_create}s"
  fi
} >"$results"
cat "$results"
