#!/usr/bin/env bash
# The bounded-journal rows of issue 15, Keyshard against redis-server in the same run: does the
# data directory stay within 3x the live data + 64 MB when the same keys are written over and
# over? Two workloads, each piped through `redis-cli --pipe` (SETs of keys picked at random):
#   a. OVERWRITES_A (1,000,000) SETs over KEYS_A (10,000) keys of VALUE_A (1024) bytes;
#   b. OVERWRITES_B (10,000,000) SETs over KEYS_B (100,000) keys of VALUE_B (8) bytes;
# and workload a again on Keyshard with `keyshard.journal.retain = RETAIN` (1h; through
# --config), to show what a point-in-time window costs in disk.
#
#   bench/overwrite.sh                                      # the full sizes (~15-20 minutes)
#   OVERWRITES_A=100000 OVERWRITES_B=100000 bench/overwrite.sh   # a quick run
#   WORKLOADS=b RETAIN= bench/overwrite.sh                   # only b, no retain run
#
# Prints, per workload, the live data (DBSIZE x (key + value bytes), and INFO memory's
# used_memory of both servers), the bound 3 x live data + 64 MB, and each figure with whether it
# is within the bound:
#   Redis (appendonly yes, appendfsync always; Redis 7's multi-part AOF, the whole
#   appenddirname directory): the peak while loading (Redis rewrites its AOF by itself once it
#   doubled and passed 64 MB), at the end of the load and after BGREWRITEAOF;
#   Keyshard (its whole --dir): the peak while loading (sampled every SAMPLE seconds), at the end
#   of the load, after SETTLE seconds without writes, and after a clean stop; and how the journal
#   splits into WAL, SST and other files.
# Load times and the load average come with it (the machine is shared: compare in one run).
#
# Environment: the sizes above, WORKLOADS ("a b"), RETAIN (1h; empty: no retain run), SETTLE
# (seconds, 10), SAMPLE (seconds, 1), KEYSHARD_JAVA_OPTS (default -Xmx2g), KEYSHARD_CONFIG (a
# config file for every Keyshard run, e.g. other keyshard.journal.* settings), KEEP=1 (keep logs
# and data).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OVERWRITES_A="${OVERWRITES_A:-1000000}"
KEYS_A="${KEYS_A:-10000}"
VALUE_A="${VALUE_A:-1024}"
OVERWRITES_B="${OVERWRITES_B:-10000000}"
KEYS_B="${KEYS_B:-100000}"
VALUE_B="${VALUE_B:-8}"
WORKLOADS="${WORKLOADS:-a b}"
RETAIN="${RETAIN-1h}"
SETTLE="${SETTLE:-10}"
SAMPLE="${SAMPLE:-1}"
JAVA_OPTS="${KEYSHARD_JAVA_OPTS:--Xmx2g}"
KEYSHARD_CONFIG="${KEYSHARD_CONFIG:-}"
[ -z "$KEYSHARD_CONFIG" ] || KEYSHARD_CONFIG="$(cd "$(dirname "$KEYSHARD_CONFIG")" && pwd)/$(basename "$KEYSHARD_CONFIG")"

for tool in redis-server redis-cli python3 java; do
  command -v "$tool" >/dev/null || { echo "overwrite.sh: $tool not found" >&2; exit 1; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/keyshard-overwrite.XXXXXX")"
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
secs() { awk "BEGIN{printf \"%.1f\", $2 - $1}"; }
# Megabytes (MiB, one decimal) a directory takes on disk; files that vanish while du runs
# (RocksDB compacting) are skipped.
mb() { du -sk "$1" 2>/dev/null | awk '{printf "%.1f", $1 / 1024}' || echo 0; }
# Megabytes in the files of DIR whose names end in SUFFIX.
mb_of() {
  find "$1" -type f -name "*$2" -printf '%s\n' 2>/dev/null | awk '{s += $1} END {printf "%.1f", s / 1048576}'
}
used_memory_mb() {
  redis-cli -p "$1" info memory | awk -F: '/^used_memory:/{printf "%.1f", $2 / 1048576}'
}
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
max() { printf '%s\n' "$@" | sort -g | tail -1; }

# wait_until PID SECONDS CMD...: runs CMD every 50 ms until it succeeds; fails if PID exits.
wait_until() {
  local pid=$1 limit=$2 deadline
  shift 2
  deadline=$(($(date +%s) + limit))
  until "$@" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { echo "overwrite.sh: process $pid exited" >&2; return 1; }
    [ "$(date +%s)" -lt "$deadline" ] || { echo "overwrite.sh: gave up after $limit s" >&2; return 1; }
    sleep 0.05
  done
}
answers_pong() { [ "$(redis-cli -p "$1" ping 2>/dev/null)" = PONG ]; }
# peak_du DIR FILE: samples the size of DIR every SAMPLE seconds, keeping the largest in FILE
# and every sample (seconds since the start, MB) in FILE.samples.
peak_du() {
  local max=0 m start
  start=$(date +%s)
  echo 0 >"$2"
  while true; do
    m=$(mb "$1")
    echo "$(($(date +%s) - start)) $m" >>"$2.samples"
    if awk "BEGIN{exit !($m > $max)}"; then max=$m; echo "$max" >"$2"; fi
    sleep "$SAMPLE"
  done
}
# pipe_load PORT FILE LOG: the whole load through redis-cli --pipe; fails on any error reply.
pipe_load() {
  redis-cli -p "$1" --pipe <"$2" >"$3" 2>&1
  grep -q 'errors: 0,' "$3" || { echo "overwrite.sh: the load had errors:" >&2; tail -3 "$3" >&2; return 1; }
}

# write_load FILE WRITES KEYS VALUE_SIZE: SETs of keys picked at random (seeded: both servers
# get the same stream), each value different and incompressible enough that neither side gains
# from compression (RocksDB compresses its files, the AOF is plain).
write_load() {
  python3 - "$2" "$3" "$4" >"$1" <<'EOF'
import os, random, sys
writes, keys, size = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
width = len(str(keys - 1))
rnd = random.Random(15)
heads = [b"*3\r\n$3\r\nSET\r\n$%d\r\nk:%0*d\r\n$%d\r\n" % (width + 2, width, i, size)
         for i in range(keys)]
alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
pool = bytes(alphabet[b % 64] for b in os.urandom(size + 65536))
out = sys.stdout.buffer
chunk = 100_000
done = 0
while done < writes:
    n = min(chunk, writes - done)
    picks = rnd.choices(heads, k=n)
    offsets = rnd.choices(range(65536), k=n)
    out.write(b"".join(h + pool[o:o + size] + b"\r\n" for h, o in zip(picks, offsets)))
    done += n
EOF
}
key_bytes() { echo $((${#1} + 2)); } # "k:" and the zero-padded index: len(str(KEYS - 1)) + 2

# ---- Keyshard: built by bin/keyshard-server, run from a copy of node/target ----
"$root/bin/keyshard-server" --help >/dev/null 2>"$work/build.log" || {
  echo "overwrite.sh: building Keyshard failed:" >&2; cat "$work/build.log" >&2; exit 1; }
mkdir -p "$work/node"
cp -r "$root/node/target/keyshard-node.jar" "$root/node/target/lib" "$work/node/"

results="$work/results.txt"
: >"$results"
row() { # LABEL MB BOUND
  local within
  within=$(awk "BEGIN{print ($2 <= $3) ? \"yes\" : \"NO\"}")
  printf "  %-58s | %9s | %s\n" "$1" "$2" "$within" >>"$results"
}

# run_redis NAME LOADFILE: sets redis_* figures.
run_redis() {
  local port dir rpid dpid t0
  port=$(free_port)
  dir="$work/redis-$1"
  mkdir -p "$dir"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save '' \
    --appendonly yes --appendfsync always --appenddirname aof --daemonize no >"$work/redis-$1.log" 2>&1 &
  rpid=$!
  pids+=("$rpid")
  wait_until "$rpid" 30 answers_pong "$port"
  echo "redis ($1): loading ..." >&2
  peak_du "$dir/aof" "$work/peak-redis-$1" &
  dpid=$!
  pids+=("$dpid")
  t0=$(now)
  pipe_load "$port" "$2" "$work/redis-$1-pipe.txt"
  redis_load=$(secs "$t0" "$(now)")
  kill "$dpid" 2>/dev/null || true
  redis_dbsize=$(redis-cli -p "$port" dbsize)
  redis_used=$(used_memory_mb "$port")
  redis_aof=$(mb "$dir/aof")
  # A load shorter than the sampling interval is seen only at its end.
  redis_peak=$(max "$(cat "$work/peak-redis-$1")" "$redis_aof")
  redis-cli -p "$port" bgrewriteaof >/dev/null
  sleep 1
  wait_until "$rpid" 300 bash -c "redis-cli -p $port info persistence | grep -q 'aof_rewrite_in_progress:0'"
  # Redis removes the old parts just after the rewrite's end is noted.
  sleep 1
  redis_aof_rewritten=$(mb "$dir/aof")
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  wait "$rpid" 2>/dev/null || true
  [ "${KEEP:-0}" = 1 ] || rm -rf "$dir"
}

# run_keyshard NAME LOADFILE [CONFIG]: sets ks_* figures.
run_keyshard() {
  local port dir kpid dpid t0 config=()
  port=$(free_port)
  dir="$work/keyshard-$1"
  if [ -n "${3:-}" ]; then config=(--config "$3")
  elif [ -n "$KEYSHARD_CONFIG" ]; then config=(--config "$KEYSHARD_CONFIG"); fi
  # shellcheck disable=SC2086 # JAVA_OPTS is a list of options
  java $JAVA_OPTS -cp "$work/node/keyshard-node.jar:$work/node/lib/*" \
    io.keyshard.node.Main --port "$port" --dir "$dir" "${config[@]}" >"$work/keyshard-$1.log" 2>&1 &
  kpid=$!
  pids+=("$kpid")
  wait_until "$kpid" 120 answers_pong "$port"
  echo "keyshard ($1): loading ..." >&2
  peak_du "$dir" "$work/peak-$1" &
  dpid=$!
  pids+=("$dpid")
  t0=$(now)
  pipe_load "$port" "$2" "$work/keyshard-$1-pipe.txt"
  ks_load=$(secs "$t0" "$(now)")
  ks_loadavg=$(loadavg)
  ks_end=$(mb "$dir")
  ks_peak_load=$(max "$(cat "$work/peak-$1")" "$ks_end")
  # The peak while loading includes the end of the load; the settling is sampled on.
  echo "keyshard ($1): settling for $SETTLE s ..." >&2
  sleep "$SETTLE"
  kill "$dpid" 2>/dev/null || true
  ks_settled=$(mb "$dir")
  ks_peak=$(max "$(cat "$work/peak-$1")" "$ks_peak_load" "$ks_settled")
  ks_dbsize=$(redis-cli -p "$port" dbsize)
  ks_used=$(used_memory_mb "$port")
  ks_split="WAL $(mb_of "$dir" .log) MB, SST $(mb_of "$dir" .sst) MB"
  redis-cli -p "$port" shutdown >/dev/null 2>&1 || true
  wait "$kpid" 2>/dev/null || true
  ks_stopped=$(mb "$dir")
  [ "${KEEP:-0}" = 1 ] || rm -rf "$dir"
}

# workload NAME WRITES KEYS VALUE_SIZE
workload() {
  local name=$1 writes=$2 keys=$3 size=$4 load kb live bound
  load="$work/load-$name.resp"
  echo "workload $name: writing $writes SETs over $keys keys of $size bytes ..." >&2
  write_load "$load" "$writes" "$keys" "$size"
  run_redis "$name" "$load"
  run_keyshard "$name" "$load"
  kb=$(key_bytes "$((keys - 1))")
  live=$(awk "BEGIN{printf \"%.1f\", $ks_dbsize * ($kb + $size) / 1048576}")
  bound=$(awk "BEGIN{printf \"%.1f\", 3 * $live + 64}")
  {
    echo
    echo "($name) $writes SETs over $keys keys of $size bytes: DBSIZE redis $redis_dbsize, keyshard $ks_dbsize"
    echo "  live data $live MB (keys + values); used_memory: redis $redis_used MB, keyshard $ks_used MB"
    echo "  bound: 3 x $live + 64 = $bound MB"
    echo "  load: redis $redis_load s (AOF always), keyshard $ks_load s" \
      "($(awk "BEGIN{printf \"%.0f\", $writes / $ks_load}") writes/s); load average at its end $ks_loadavg"
    printf "  %-58s | %9s | %s\n" figure MB "within bound"
  } >>"$results"
  row "redis: AOF directory, peak while loading (auto rewrites)" "$redis_peak" "$bound"
  row "redis: AOF directory at the end of the load" "$redis_aof" "$bound"
  row "redis: AOF directory after BGREWRITEAOF" "$redis_aof_rewritten" "$bound"
  row "keyshard: data directory, peak while loading" "$ks_peak_load" "$bound"
  row "keyshard: data directory at the end of the load" "$ks_end" "$bound"
  row "keyshard: data directory after $SETTLE s without writes" "$ks_settled" "$bound"
  row "keyshard: data directory, peak over load and settling" "$ks_peak" "$bound"
  row "keyshard: data directory after a clean stop" "$ks_stopped" "$bound"
  echo "  keyshard journal after settling: $ks_split" >>"$results"

  if [ "$name" = a ] && [ -n "$RETAIN" ]; then
    local base_end=$ks_end base_settled=$ks_settled base_peak=$ks_peak
    {
      [ -z "$KEYSHARD_CONFIG" ] || echo "include file(\"$KEYSHARD_CONFIG\")"
      echo "keyshard.journal.retain = $RETAIN"
    } >"$work/retain.conf"
    run_keyshard "a-retain" "$load" "$work/retain.conf"
    {
      echo
      echo "($name, keyshard.journal.retain = $RETAIN) the same load: keyshard $ks_load s," \
        "load average at its end $ks_loadavg (not bound by 3x: the window keeps every event of the last $RETAIN)"
      printf "  %-58s | %9s | %s\n" figure MB "cost over retain 0"
      printf "  %-58s | %9s | %s\n" "keyshard: data directory, peak" "$ks_peak" "+$(awk "BEGIN{printf \"%.1f\", $ks_peak - $base_peak}")"
      printf "  %-58s | %9s | %s\n" "keyshard: data directory at the end of the load" "$ks_end" "+$(awk "BEGIN{printf \"%.1f\", $ks_end - $base_end}")"
      printf "  %-58s | %9s | %s\n" "keyshard: data directory after $SETTLE s" "$ks_settled" "+$(awk "BEGIN{printf \"%.1f\", $ks_settled - $base_settled}")"
      echo "  keyshard journal after settling: $ks_split"
    } >>"$results"
  fi
  [ "${KEEP:-0}" = 1 ] || rm -f "$load"
}

for w in $WORKLOADS; do
  case "$w" in
    a) workload a "$OVERWRITES_A" "$KEYS_A" "$VALUE_A" ;;
    b) workload b "$OVERWRITES_B" "$KEYS_B" "$VALUE_B" ;;
    *) echo "overwrite.sh: unknown workload $w (a or b)" >&2; exit 1 ;;
  esac
done

echo
echo "bench/overwrite.sh, $(date -u +%Y-%m-%dT%H:%MZ); $(nproc) cores; $(uptime | sed 's/.*load/load/')"
cat "$results"
