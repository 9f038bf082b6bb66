"""Helpers for test_neo4j_crash.py: a Neo4j server of the test's own, and a CLI with a kill switch.

``OwnServer`` drives scripts/neo4j-local/start.sh on a data folder of its own and can SIGKILL the
server (no clean shutdown: the next start must recover from the transaction log).

Run as a script, this module is ``flowgraph ARGS...`` in a real process (real driver, real
server) that SIGKILLs the server in the middle of ONE file's transaction: after the first
statement that wrote that file's rows, before the next one is sent. Wrapping our own
``Neo4jStore.save_upload`` and the session's ``execute_write`` only chooses WHEN to kill.

    python neo4j_crash_helper.py --store bolt://127.0.0.1:7693 load a.csv b.csv

Environment: CRASH_BATCH_SIZE rows per UNWIND statement (store.batch_size); CRASH_KILL_SHA the
SHA-256 of the file to kill in; CRASH_KILL_PID the server's pid; CRASH_REPORT a JSON file
written at the kill with what the open transaction held then.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts" / "neo4j-local"

# What the open transaction holds of the file being killed (it sees its own writes).
PROBE = (
    "MATCH (u:Upload {sha256: $sha}) "
    "OPTIONAL MATCH ()-[r]->() WHERE r.upload_id = u.upload_id "
    "WITH u, count(r) AS rows "
    "OPTIONAL MATCH (old:Upload {enterprise_id: u.enterprise_id, period: u.period}) "
    "WHERE old.upload_id <> u.upload_id "
    "RETURN u.upload_id AS upload_id, rows, collect(old {.upload_id, .current}) AS older"
)


def process_gone(pid: int) -> bool:
    """True when pid has exited (a zombie not yet reaped by init counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not process_gone(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def quick_java_opts(heap: str) -> str:
    """start.sh's JVM options with the JIT stopped at its first tier (C1): a short-lived test
    server on small data spends most of its start compiling; C1 alone halved it (JVM CPU
    19 s -> 11 s to ready, wall 35-43 s -> 21-23 s, load average ~10). Same Neo4j, same
    behaviour - only how the JVM compiles it."""
    return (
        f"-Xms{heap} -Xmx{heap} -XX:NewRatio=1 -XX:+UseParallelGC -XX:+DisableExplicitGC "
        "-XX:TieredStopAtLevel=1"
    )


class OwnServer:
    """A Neo4j server on ``port`` with its data in ``data``, started by start.sh (with
    ``quick_java_opts`` unless NEO4J_JAVA_OPTS is set)."""

    def __init__(self, port: int, data: Path, password: str, heap: str = "512m"):
        self.port, self.data, self.password, self.heap = port, data, password, heap
        self.uri = f"bolt://127.0.0.1:{port}"
        self.pidfile = data / "neo4j-local.pid"
        self.java_opts = os.environ.get("NEO4J_JAVA_OPTS") or quick_java_opts(heap)

    def start(self) -> None:
        """Start (or restart on the same data: Neo4j then recovers) and wait until ready."""
        pid = self.pid()
        if pid is not None and process_gone(pid):
            # start.sh trusts `kill -0`, which a killed server's zombie passes until init reaps it.
            self.pidfile.unlink()
        env = dict(
            os.environ,
            NEO4J_PORT=str(self.port),
            NEO4J_DATA_DIR=str(self.data),
            NEO4J_PASSWORD=self.password,
            NEO4J_HEAP=self.heap,
            NEO4J_JAVA_OPTS=self.java_opts,
        )
        done = subprocess.run(
            [str(SCRIPTS / "start.sh")], env=env, capture_output=True, text=True, timeout=600
        )
        if done.returncode != 0:
            raise RuntimeError(f"start.sh failed ({done.returncode}): {done.stderr.strip()}")

    def pid(self) -> int | None:
        try:
            return int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return None

    def stop(self) -> None:
        """Stop whatever is left (SIGTERM, then SIGKILL); never raises."""
        pid = self.pid()
        if pid is not None and not process_gone(pid) and _is_java(pid):
            os.kill(pid, signal.SIGTERM)
            if not wait_gone(pid, 60):
                os.kill(pid, signal.SIGKILL)
                wait_gone(pid, 10)
        self.pidfile.unlink(missing_ok=True)


def _is_java(pid: int) -> bool:
    try:
        return b"neo4j-local.jar" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def kill_server(pid: int) -> None:
    if not _is_java(pid):
        raise RuntimeError(f"pid {pid} is not the neo4j-local server")
    os.kill(pid, signal.SIGKILL)
    if not wait_gone(pid, 30):
        raise RuntimeError(f"pid {pid} survived SIGKILL for 30 s")


# -- the CLI with a kill switch (runs in the child process) ---------------------------------------


def _install_kill_switch() -> None:
    import neo4j

    from flowgraph.store.neo4j import Neo4jStore

    batch_size = int(os.environ.get("CRASH_BATCH_SIZE", "0")) or None
    kill_sha = os.environ.get("CRASH_KILL_SHA")
    # armed: the writer thread storing the file to kill (load_files may run writer lanes).
    state: dict = {"armed": None, "fired": False}

    class KillingTx:
        """The file's transaction: kills the server before the statement after the first one
        that wrote rows (UNWIND) - the file is then half-written and uncommitted."""

        def __init__(self, tx):
            self._tx = tx
            self._wrote_rows = False

        def __getattr__(self, name):
            return getattr(self._tx, name)

        def run(self, query, parameters=None, **kwargs):
            if state["armed"] == threading.get_ident() and not state["fired"] and self._wrote_rows:
                state["fired"] = True
                held = self._tx.run(PROBE, sha=kill_sha).single()
                kill_server(int(os.environ["CRASH_KILL_PID"]))
                Path(os.environ["CRASH_REPORT"]).write_text(
                    json.dumps(held.data() if held is not None else None)
                )
            result = self._tx.run(query, parameters, **kwargs)
            if "UNWIND" in query:
                self._wrote_rows = True
            return result

    original_save = Neo4jStore.save_upload
    original_write = neo4j.Session.execute_write

    def save_upload(self, upload, upload_id=None):
        if batch_size:
            self.batch_size = batch_size
        if upload.sha256 == kill_sha:
            state["armed"] = threading.get_ident()
        try:
            return original_save(self, upload, upload_id)
        finally:
            if state["armed"] == threading.get_ident():
                state["armed"] = None

    def execute_write(self, transaction_function, *args, **kwargs):
        if state["armed"] != threading.get_ident():
            return original_write(self, transaction_function, *args, **kwargs)

        def spied(tx, *a, **k):
            return transaction_function(KillingTx(tx), *a, **k)

        return original_write(self, spied, *args, **kwargs)

    Neo4jStore.save_upload = save_upload
    neo4j.Session.execute_write = execute_write


def main(argv: list[str]) -> None:
    _install_kill_switch()
    from flowgraph.cli.main import main as flowgraph_main

    flowgraph_main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
