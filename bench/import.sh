#!/usr/bin/env bash
# Issue 18's import benchmark: keyshard-import from a redis-server 7.0.15 into a Keyshard node,
# against the ceiling of the same data piped into Keyshard with `redis-cli --pipe`, in the same run:
#   (a) N small keys (strings of VALUE bytes), DUMP/RESTORE path and typed path (DUMP renamed away);
#   (b) BIG keys: lists of 200,000 elements and hashes of 100,000 fields (chunked on the typed path);
#   (c) --live: the N small keys through the source's RDB (PSYNC), then following redis-benchmark
#       SETs on the source: the writes/s it kept up with and how long after the writer stopped the
#       target had caught up (the state file's offset at the source's master_repl_offset).
# Prints keys/s and MB/s (payload bytes as the importer counts them) and the ratio to the pipe.
#
#   bench/import.sh                 N=1000000
#   N=100000 bench/import.sh        a quick run
# Environment: N, VALUE (100), BIG (4), KEEP=1, KEYSHARD_JAVA_OPTS.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N="${N:-1000000}"
VALUE="${VALUE:-100}"
BIG="${BIG:-4}"
JAVA_OPTS="${KEYSHARD_JAVA_OPTS:--Xmx3g}"
work="$(mktemp -d "${TMPDIR:-/tmp}/keyshard-importbench.XXXXXX")"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  if [ "${KEEP:-0}" = 1 ]; then echo "logs kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
now() { date +%s.%N; }
secs() { awk "BEGIN{printf \"%.1f\", $2 - $1}"; }
rate() { awk "BEGIN{printf \"%.0f\", $1 / $2}"; }
ratio() { awk "BEGIN{printf \"%.2f\", $1 / $2}"; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
wait_pong() { # PORT PID SECONDS
  local deadline=$(($(date +%s) + $3))
  until [ "$(redis-cli -p "$1" ping 2>/dev/null)" = PONG ]; do
    kill -0 "$2" 2>/dev/null || { echo "import.sh: process $2 exited" >&2; return 1; }
    [ "$(date +%s)" -lt "$deadline" ] || { echo "import.sh: no PONG on $1 after $3 s" >&2; return 1; }
    sleep 0.05
  done
}

echo "building ..." >&2
(cd "$root" && mvn -q -B -Dstyle.color=never -DskipTests -pl node,tools -am package) >&2
importer() { "$root/bin/keyshard-import" "$@"; }

start_keyshard() { # NAME -> port in $ks_port, pid in $ks_pid
  ks_port=$(free_port)
  # shellcheck disable=SC2086
  java $JAVA_OPTS -cp "$root/node/target/keyshard-node.jar:$root/node/target/lib/*" io.keyshard.node.Main \
    --port "$ks_port" --dir "$work/$1" >"$work/$1.log" 2>&1 &
  ks_pid=$!
  pids+=("$ks_pid")
  wait_pong "$ks_port" "$ks_pid" 180
}
stop_keyshard() { kill "$ks_pid" 2>/dev/null || true; wait "$ks_pid" 2>/dev/null || true; }

start_redis() { # NAME [ARGS] -> port in $r_port
  r_port=$(free_port)
  mkdir -p "$work/$1"
  redis-server --port "$r_port" --bind 127.0.0.1 --dir "$work/$1" --save '' --appendonly no "${@:2}" >"$work/$1.log" 2>&1 &
  r_pid=$!
  pids+=("$r_pid")
  wait_pong "$r_port" "$r_pid" 30
}

echo "generating data ..." >&2
python3 - "$N" "$VALUE" "$BIG" "$work/small.resp" "$work/big.resp" <<'PY'
import sys
n, size, big = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
value = b"v" * size
def cmd(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)
with open(sys.argv[4], "wb") as f:
    buf = []
    for i in range(n):
        buf.append(cmd(b"SET", b"key:%d" % i, value))
        if len(buf) == 10000:
            f.write(b"".join(buf)); buf = []
    f.write(b"".join(buf))
with open(sys.argv[5], "wb") as f:
    for k in range(big):
        for base in range(0, 200000, 1000):
            f.write(cmd(b"RPUSH", b"biglist:%d" % k, *[b"element-%d" % i for i in range(base, base + 1000)]))
        for base in range(0, 100000, 1000):
            args = []
            for i in range(base, base + 1000):
                args += [b"field-%d" % i, b"value-%d" % i]
            f.write(cmd(b"HSET", b"bighash:%d" % k, *args))
PY

results="$work/results.txt"
: >"$results"
row() { printf "%-52s | %10s | %10s | %10s | %s\n" "$@" >>"$results"; }
row "" "seconds" "keys/s" "MB/s" "vs redis-cli --pipe"

for data in small big; do
  # The ceiling: the same data piped into a fresh Keyshard node.
  start_keyshard "pipe-$data"
  t0=$(now)
  redis-cli -p "$ks_port" --pipe <"$work/$data.resp" >/dev/null
  pipe_s=$(secs "$t0" "$(now)")
  keys=$(redis-cli -p "$ks_port" dbsize)
  bytes=$(stat -c %s "$work/$data.resp")
  stop_keyshard
  [ "$data" = small ] && pipe_small_s=$pipe_s
  row "$data: redis-cli --pipe into Keyshard ($keys keys)" "$pipe_s" "$(rate "$keys" "$pipe_s")" "$(awk "BEGIN{printf \"%.1f\", $bytes / 1e6 / $pipe_s}")" "1.00"

  for mode in dump dump-1 typed; do
    if [ "$mode" = typed ]; then start_redis "redis-$data-$mode" --rename-command DUMP ""; else start_redis "redis-$data-$mode"; fi
    redis-cli -p "$r_port" --pipe <"$work/$data.resp" >/dev/null
    start_keyshard "ks-$data-$mode"
    conns=4
    [ "$mode" = dump-1 ] && conns=1
    t0=$(now)
    importer --from "127.0.0.1:$r_port" --to "127.0.0.1:$ks_port" --connections "$conns" --state "$work/state-$data-$mode.json" >"$work/import-$data-$mode.txt" 2>&1
    import_s=$(secs "$t0" "$(now)")
    t0=$(now)
    importer --from "127.0.0.1:$r_port" --to "127.0.0.1:$ks_port" --verify --report "$work/report-$data-$mode" >"$work/verify-$data-$mode.txt" 2>&1 || true
    verify_s=$(secs "$t0" "$(now)")
    row "$data: keyshard-import, $mode path ($conns connections)" "$import_s" "$(rate "$keys" "$import_s")" "$(awk "BEGIN{printf \"%.1f\", $bytes / 1e6 / $import_s}")" "$(ratio "$pipe_s" "$import_s")"
    row "$data: keyshard-import --verify ($(grep -o '[0-9]* differ' "$work/verify-$data-$mode.txt"))" "$verify_s" "$(rate "$keys" "$verify_s")" "" ""
    stop_keyshard
    kill "$r_pid" 2>/dev/null || true
  done
done
# (c) --live
state_offset() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["live"]["offset"])' "$1" 2>/dev/null || echo -1; }
source_offset() { redis-cli -p "$1" info replication | tr -d '\r' | awk -F: '/^master_repl_offset/{print $2}'; }
start_redis "redis-live" --repl-diskless-sync-delay 0
redis-cli -p "$r_port" --pipe <"$work/small.resp" >/dev/null
keys=$(redis-cli -p "$r_port" dbsize)
bytes=$(stat -c %s "$work/small.resp")
start_keyshard "ks-live"
t0=$(now)
importer --from "127.0.0.1:$r_port" --to "127.0.0.1:$ks_port" --live --state "$work/state-live.json" >"$work/import-live.txt" 2>&1 &
live_pid=$!
pids+=("$live_pid")
until grep -q "the RDB is loaded" "$work/import-live.txt"; do
  kill -0 "$live_pid" 2>/dev/null || { cat "$work/import-live.txt" >&2; exit 1; }
  sleep 0.1
done
load_s=$(secs "$t0" "$(now)")
row "small: keyshard-import --live, the RDB loaded" "$load_s" "$(rate "$keys" "$load_s")" "$(awk "BEGIN{printf \"%.1f\", $bytes / 1e6 / $load_s}")" "$(ratio "$pipe_small_s" "$load_s")"
WRITES="${WRITES:-$((N / 2))}"
t0=$(now)
redis-benchmark -p "$r_port" -t set -r 200000 -d "$VALUE" -n "$WRITES" -c 8 -q >"$work/writer-live.txt" 2>&1
write_s=$(secs "$t0" "$(now)")
t1=$(now)
behind=$(( $(source_offset "$r_port") - $(state_offset "$work/state-live.json") ))
target=$(source_offset "$r_port")
until [ "$(state_offset "$work/state-live.json")" -ge "$target" ]; do
  kill -0 "$live_pid" 2>/dev/null || { cat "$work/import-live.txt" >&2; exit 1; }
  sleep 0.05
done
catch_s=$(secs "$t1" "$(now)")
row "small: --live following $WRITES SETs of 200,000 keys ($(rate "$WRITES" "$write_s") writes/s)" "$write_s" "" "" "lag $behind bytes when the writer stopped, caught up $catch_s s later"
kill "$live_pid"; wait "$live_pid" 2>/dev/null || true
importer --from "127.0.0.1:$r_port" --to "127.0.0.1:$ks_port" --verify --report "$work/report-live" >"$work/verify-live.txt" 2>&1 || true
row "small: --verify after --live ($(grep -o '[0-9]* differ' "$work/verify-live.txt"))" "" "" "" ""
stop_keyshard
kill "$r_pid" 2>/dev/null || true

echo "N=$N keys of $VALUE bytes; $BIG lists of 200,000 and hashes of 100,000; MB/s over the RESP bytes of the data; load average at the end: $(loadavg)" >>"$results"
cat "$results"
