#!/usr/bin/env bash
# Failover under load (multi-jvm-tests/.../FailoverBench.java): 3 primaries without, then with,
# a replica each, on an embedded PostgreSQL; kill -9 of a primary while 4 clients INCR counters;
# per run and as median and max over RUNS runs: time to detect, to down, to removal (and whether
# the exit watch or the split brain resolver downed it), until every slot is served again, events
# replayed at takeover, the longest client stall, lost acknowledged writes. Measured, never
# asserted.
#
#   bench/failover.sh            # RUNS=10
#   RUNS=3 bench/failover.sh
#   REPLICAS=1 RUNS=3 bench/failover.sh   # only the runs with a replica each
#   TRACE=true RUNS=1 bench/failover.sh   # also when the slots took their first writes, what was refused
#   NODE_JVM_OPTS="-XX:StartFlightRecording=filename=/tmp/jfr/,dumponexit=true" bench/failover.sh   # a recording per node JVM (mkdir /tmp/jfr first)
#   NODE_CONFIG='pekko.cluster.split-brain-resolver.stable-after = 2s; keyshard.cluster.takeover-margin = 1s' bench/failover.sh
#   NODE_CONFIG='keyshard.cluster.exit-watch = off' bench/failover.sh   # the resolver's path, as for a frozen or cut-off node
#
# Each run starts fresh JVMs (6 with replicas) on this machine: timings depend on what else it runs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${RUNS:-10}"
cd "$root"
# Installed, as bin/keyshard-cluster does, so the node JVMs run this checkout's jars.
mvn -q -B -Dstyle.color=never -DskipTests install >&2
mvn -q -B -Dstyle.color=never -pl multi-jvm-tests test-compile dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile="$root/multi-jvm-tests/target/bench.classpath" >&2
cp="multi-jvm-tests/target/test-classes:$(cat multi-jvm-tests/target/bench.classpath)"
java -Xmx1g -Druns="$RUNS" -Dbench.trace="${TRACE:-false}" -Dreplicas="${REPLICAS:-}" -Dnode.config="${NODE_CONFIG:-}" \
  -Dkeyshard.node.classpath.file=multi-jvm-tests/target/keyshard-node.classpath \
  -Dkeyshard.it.work=multi-jvm-tests/target/multi-jvm \
  -cp "$cp" io.keyshard.it.FailoverBench 2>&1 | grep -v " INFO \| DEBUG "
