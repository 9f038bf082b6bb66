#!/usr/bin/env bash
# Stop the local Neo4j started by start.sh (SIGTERM: the server shuts the store down cleanly).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
data="${NEO4J_DATA_DIR:-${NEO4J_DATA:-$repo/.neo4j/data}}"
pidfile="$data/neo4j-local.pid"
if [[ ! -f "$pidfile" ]]; then
  echo "neo4j-local: not running (no $pidfile)"
  exit 0
fi
pid="$(cat "$pidfile")"
if kill -0 "$pid" 2>/dev/null; then
  kill -TERM "$pid"
  for ((i = 0; i < 60; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "neo4j-local: pid $pid did not stop in 60s; killing" >&2
    kill -KILL "$pid" || true
  fi
fi
rm -f "$pidfile"
echo "neo4j-local: stopped"
