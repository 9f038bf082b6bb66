#!/usr/bin/env bash
# Start the local Neo4j (Community 5.26, embedded, Bolt on 127.0.0.1:$NEO4J_PORT) in the background.
# Builds the jar first if it is missing. Idempotent: if it is already running, just prints the URI.
#   NEO4J_PORT      Bolt port (default 7687)
#   NEO4J_DATA_DIR  data folder (default <repo>/.neo4j/data); pid file and log live there
#   NEO4J_PASSWORD  password set for user neo4j (default flowgraph-dev)
#   NEO4J_HEAP      JVM heap (default 2g); NEO4J_START_TIMEOUT seconds to wait (default 120)
#   NEO4J_JAVA_OPTS JVM options replacing the defaults below (heap and GC)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
port="${NEO4J_PORT:-7687}"
data="${NEO4J_DATA_DIR:-${NEO4J_DATA:-$repo/.neo4j/data}}"
heap="${NEO4J_HEAP:-2g}"
timeout="${NEO4J_START_TIMEOUT:-120}"
jar="$here/target/neo4j-local.jar"
pidfile="$data/neo4j-local.pid"
log="$data/neo4j-local.log"
uri="bolt://127.0.0.1:$port"

# A fixed-size heap with a large young generation and the throughput collector: with G1's
# default sizing the young generation stayed ~70 MB and the write path spent ~40% of its CPU in
# young collections (measured with jstat on benchmarks/neo4j_load.py).
java_opts="${NEO4J_JAVA_OPTS:--Xms$heap -Xmx$heap -XX:NewRatio=1 -XX:+UseParallelGC -XX:+DisableExplicitGC}"

bolt_open() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }
# A killed server can linger as a zombie until its parent reaps it: alive means running, not Z.
alive() { [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null && [[ "$(ps -o stat= -p "$1" 2>/dev/null)" != Z* ]]; }

if ! command -v java >/dev/null 2>&1; then
  echo "neo4j-local: java not found (Java 17+ is needed; e.g. apt-get install openjdk-17-jdk-headless maven)" >&2
  exit 1
fi

if [[ -f "$pidfile" ]] && alive "$(cat "$pidfile")"; then
  if bolt_open; then
    echo "$uri"
    exit 0
  fi
  echo "neo4j-local: pid $(cat "$pidfile") is running but Bolt is not open yet; waiting" >&2
else
  if bolt_open; then
    echo "neo4j-local: port $port is already in use by another process" >&2
    exit 1
  fi
  # Build on first use, and again when the launcher's sources are newer than the jar.
  if [[ ! -f "$jar" || ! -d "$here/target/lib" ||
    -n "$(find "$here/src" "$here/pom.xml" -newer "$jar" -print -quit)" ]]; then
    echo "neo4j-local: building (first time: Maven downloads Neo4j, this can take a few minutes)" >&2
    (cd "$here" && mvn -q -B package)
  fi
  mkdir -p "$data"
  # Run the server in a new session so it outlives this script and the terminal/CI step.
  NEO4J_PORT="$port" setsid nohup java $java_opts -jar "$jar" "$data" \
    >"$log" 2>&1 </dev/null &
  echo $! >"$pidfile"
fi

pid="$(cat "$pidfile")"
for ((i = 0; i < timeout; i++)); do
  if ! alive "$pid"; then
    echo "neo4j-local: the server exited during start; last lines of $log:" >&2
    tail -n 40 "$log" >&2 || true
    rm -f "$pidfile"
    exit 1
  fi
  # Bolt listening is not enough: the password is set just after; wait for the ready line.
  if bolt_open && grep -q "neo4j-local: ready" "$log"; then
    echo "$uri"
    exit 0
  fi
  sleep 1
done
echo "neo4j-local: Bolt not reachable at $uri after ${timeout}s; last lines of $log:" >&2
tail -n 40 "$log" >&2 || true
exit 1
