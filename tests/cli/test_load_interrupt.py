"""Ctrl-C during `flowgraph load` and a closed stdout pipe, as a user meets them: a real process,
SIGINT to its whole process group (what a terminal's Ctrl-C does, parse workers included)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

HEADER = "event_id,event_type,date,enterprise_id,lot_id,product,mass_kg,reo_pct,document_ref\n"


def many_files(folder: Path, enterprises: int = 25, months: int = 10) -> int:
    """Small valid monthly files: enough that a load takes a while on any machine."""
    for e in range(enterprises):
        for m in range(1, months + 1):
            rows = "".join(
                f"{m}-{n},extract,2024-{m:02d}-{n + 1:02d},E{e:03d},L{e}-{m}-{n},BAST_CONC,"
                f"{1000 + n},60,LIC-{e}\n"
                for n in range(20)
            )
            path = folder / f"E{e:03d}" / f"2024-{m:02d}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(HEADER + rows, encoding="utf-8")
    return enterprises * months


def flowgraph(*args: str, **kw) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), **kw.pop("env", {}))
    env.pop("FLOWGRAPH_STORE", None)
    return subprocess.Popen(
        [sys.executable, "-m", "flowgraph", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
        env=env,
        **kw,
    )


def committed(db: Path) -> int:
    try:
        with sqlite3.connect(db) as connection:
            return connection.execute("SELECT COUNT(*) FROM uploads").fetchone()[0]
    except sqlite3.Error:
        return 0  # not created yet


@pytest.mark.parametrize("workers", ["2", "1"])
def test_ctrl_c_stops_promptly_says_what_committed_and_exits_130(tmp_path, workers):
    total = many_files(tmp_path / "up")
    db = tmp_path / "fg.db"
    proc = flowgraph(
        "--store", str(db), "load", str(tmp_path / "up"), env={"FLOWGRAPH_WORKERS": workers}
    )
    deadline = time.monotonic() + 60
    while committed(db) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert proc.poll() is None, "the load ended before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=20)  # a hang fails here instead of blocking the suite
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("flowgraph load did not stop within 20 s of one Ctrl-C")
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    stored = committed(db)
    assert 3 <= stored < total
    stop = [line for line in err.splitlines() if line.startswith("Interrupted: ")]
    assert stop == [
        f"Interrupted: {stored} of {total} files committed; run the same load again to finish "
        "the rest (files already stored are then reported unchanged)"
    ], err
    # stdout (not a terminal here) still lists what was committed, then the summary line
    lines = out.splitlines()
    assert sum(line.startswith("loaded ") for line in lines) == stored
    assert lines[-1] == (
        f"{stored} files: {stored} loaded, 0 superseded, 0 unchanged, 0 rejected; "
        f"{20 * stored:,} events"
    )
    if workers == "1":
        return
    # and the rerun finishes the rest
    rerun = flowgraph("--store", str(db), "load", "-q", str(tmp_path / "up"))
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    assert out.strip() == (
        f"{total} files: {total - stored} loaded, 0 superseded, {stored} unchanged, 0 rejected; "
        f"{20 * (total - stored):,} events"
    )


def test_a_closed_stdout_pipe_ends_quietly(tmp_path):
    many_files(tmp_path / "up", enterprises=3, months=2)
    db = tmp_path / "fg.db"
    assert flowgraph("--store", str(db), "load", str(tmp_path / "up")).wait(timeout=60) == 0
    # `flowgraph uploads | head -1`: the reader goes away before flowgraph writes
    proc = flowgraph("--store", str(db), "uploads")
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 0, err
    assert err == ""
