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
# A killed server can linger as a zombie until reaped: treat that as stopped.
alive() { kill -0 "$1" 2>/dev/null && [[ "$(ps -o stat= -p "$1" 2>/dev/null)" != Z* ]]; }
if alive "$pid"; then
  kill -TERM "$pid"
  for ((i = 0; i < 60; i++)); do
    alive "$pid" || break
    sleep 1
  done
  if alive "$pid"; then
    echo "neo4j-local: pid $pid did not stop in 60s; killing" >&2
    kill -KILL "$pid" || true
  fi
fi
rm -f "$pidfile"
echo "neo4j-local: stopped"
