"""The synth worker process (flowgraph/synth/worker.py): what fails there fails the caller."""

from __future__ import annotations

import pytest

from flowgraph.model import registry_from_records
from flowgraph.synth.worker import Worker

ROW = ("E1", "extract", 9, "L1", "BAST_CONC", 10000, 55.0, *[None] * 6)


def test_a_failure_in_the_worker_is_raised_in_the_caller(tmp_path):
    (tmp_path / "uploads").write_text("a file where the uploads folder goes")
    worker = Worker(tmp_path, {}, 2024)
    try:
        worker.month([ROW], {})
        with pytest.raises(OSError) as raised:
            worker.finish(registry_from_records())
    finally:
        worker.close()
    assert "in the synth worker" in "".join(raised.value.__notes__)
    assert not worker.process.is_alive()


def test_the_worker_writes_the_months_it_was_sent(tmp_path):
    worker = Worker(tmp_path, {}, 2024)
    try:
        worker.month([ROW], {})
        worker.month([(*ROW[:2], 40, "L2", *ROW[4:])], {})
        written = worker.finish(registry_from_records())
    finally:
        worker.close()
    assert (written.events, written.files) == (2, 2)
    assert sorted(p.name for p in (tmp_path / "uploads" / "E1").iterdir()) == [
        "2024-01.xlsx",
        "2024-02.xlsx",
    ]
    assert (tmp_path / "answers.jsonl").read_text().count("UNDESIGNATED_EXTRACTION") == 2


def test_a_script_without_a_main_guard_is_told_what_to_add(tmp_path):
    # the spawned worker imports the script again; at its top level it starts a second synth
    import subprocess
    import sys

    script = tmp_path / "make_world.py"
    script.write_text(
        "from flowgraph.synth import generate\n"
        f"generate({str(tmp_path / 'out')!r}, seed=1, scale=0.02)\n"
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode != 0
    assert 'must do so under `if __name__ == "__main__":`' in done.stderr


def test_the_simulation_has_ended_before_the_key_is_made(tmp_path):
    # its heap goes back to the system while the worker makes the key (synth.simproc)
    import multiprocessing

    from flowgraph.synth import _simulate_into
    from flowgraph.synth.simproc import run_simulation

    worker = Worker(tmp_path, None, 2024)
    try:
        intended = run_simulation(worker.conn, _simulate_into, (tmp_path, 1, 0.05, False, 2024, 1))
        assert [p.name for p in multiprocessing.active_children()] == ["synth-worker"]
        written = worker.result()
    finally:
        worker.close()
    assert intended and written.events > 0
    assert (tmp_path / "registry" / "enterprises.csv").exists()


def test_a_failure_in_the_simulation_is_raised_in_the_caller(tmp_path):
    from flowgraph.errors import UsageError
    from flowgraph.synth import _simulate_into
    from flowgraph.synth.simproc import run_simulation

    worker = Worker(tmp_path, None, 2024)
    try:
        with pytest.raises(UsageError) as raised:  # scale 0, found in the simulation's setup
            run_simulation(worker.conn, _simulate_into, (tmp_path, 1, 0.0, False, 2024, 1))
    finally:
        worker.close()
    assert "in the synth simulation" in "".join(raised.value.__notes__)


def test_a_failure_in_the_worker_reaches_the_caller_through_the_simulation(tmp_path):
    from flowgraph.synth import _simulate_into
    from flowgraph.synth.simproc import run_simulation

    (tmp_path / "uploads").write_text("a file where the uploads folder goes")
    worker = Worker(tmp_path, None, 2024)
    try:
        with pytest.raises(OSError) as raised:
            run_simulation(worker.conn, _simulate_into, (tmp_path, 1, 0.05, False, 2024, 1))
    finally:
        worker.close()
    notes = "".join(raised.value.__notes__)
    assert "in the synth worker" in notes and "in the synth simulation" in notes


def test_ctrl_c_stops_every_synth_process_without_a_traceback(tmp_path):
    # the caller stops its two processes; they ignore the terminal's Ctrl-C themselves
    import os
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "out"
    command = [sys.executable, "-m", "flowgraph", "synth", str(out), "--scale", "20"]
    run = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 120
    while not any((out / "uploads").glob("*/*.csv")):  # both processes are at work
        assert run.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole group
    output = run.communicate(timeout=60)[0].decode()
    assert run.returncode != 0
    assert "Traceback" not in output
    deadline = time.monotonic() + 20  # killed processes take a moment to be reaped
    while subprocess.run(["pgrep", "-g", str(run.pid)], capture_output=True).stdout.split():
        assert time.monotonic() < deadline, "a synth process outlived the caller"
        time.sleep(0.2)
    assert not (out / "answers.jsonl").exists()
