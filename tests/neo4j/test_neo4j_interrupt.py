"""Ctrl-C during `flowgraph load` on a real Neo4j server: prompt stop, no traceback, one line saying
how many files committed, exit 130 - with the writer lanes and parse workers of a Neo4j load."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from neo4j_scenario import URI

pytestmark = pytest.mark.neo4j

HEADER = "event_id,event_type,date,enterprise_id,lot_id,product,mass_kg,reo_pct,document_ref\n"


def _files(folder, enterprises: int = 12, months: int = 12) -> int:
    for e in range(enterprises):
        for m in range(1, months + 1):
            rows = "".join(
                f"{m}-{n},extract,2024-{m:02d}-{n + 1:02d},N{e:03d},L{e}-{m}-{n},BAST_CONC,"
                f"{1000 + n},60,LIC-{e}\n"
                for n in range(10)
            )
            path = folder / f"N{e:03d}" / f"2024-{m:02d}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(HEADER + rows, encoding="utf-8")
    return enterprises * months


def _uploads(store) -> int:
    records = store.driver.execute_query("MATCH (u:Upload) RETURN count(u) AS n").records
    return records[0]["n"]


def test_ctrl_c_during_a_neo4j_load(neo4j_store, tmp_path):
    total = _files(tmp_path / "up")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), FLOWGRAPH_WORKERS="2")
    proc = subprocess.Popen(
        [sys.executable, "-m", "flowgraph", "--store", URI, "load", str(tmp_path / "up")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # SIGINT to the group: main process, lanes' process, workers
        env=env,
    )
    deadline = time.monotonic() + 120
    while _uploads(neo4j_store) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the load ended before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("flowgraph load on Neo4j did not stop within 30 s of one Ctrl-C")
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    stored = _uploads(neo4j_store)
    assert 3 <= stored < total
    assert [line for line in err.splitlines() if line.startswith("Interrupted: ")] == [
        f"Interrupted: {stored} of {total} files committed; run the same load again to finish "
        "the rest (files already stored are then reported unchanged)"
    ], err
    assert sum(line.startswith("loaded ") for line in out.splitlines()) == stored
