"""The simulation in a process of its own, which ends before the answer key is made.

The simulation makes and drops tens of millions of small Python objects (the ledger, each
month's rows); CPython cannot hand the heap they leave scattered back to the system while
the process lives (~0.4 GB at scale 1000, however much was freed). The caller only waits
while the worker (:mod:`.worker`) makes the key, so the simulation runs in a spawned process
that sends the worker its months and the registry through the worker's pipe, returns what
the caller needs (the intended findings) and exits: while the key is made, only the
caller's imports (~0.1 GB) and the worker are left.

>>> import tempfile
>>> from flowgraph.synth.worker import Worker
>>> worker = Worker(tempfile.mkdtemp(), {}, 2024)
>>> run_simulation(worker.conn, _send_one_month, ())
['sent']
>>> worker.result().events
1
>>> worker.close()
"""

from __future__ import annotations

import multiprocessing
import signal
import traceback
from collections.abc import Callable

from flowgraph.synth.worker import MAIN_GUARD, Link


def _serve(link_conn, conn, target: Callable, args: tuple) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the caller's: it stops this one
    try:
        result = target(Link(link_conn), *args)
    except BaseException as exc:  # handed to the caller, which raises it
        conn.send(("error", exc, traceback.format_exc()))
    else:
        conn.send(("done", result))
    link_conn.close()
    conn.close()


def run_simulation(worker_conn, target: Callable, args: tuple):
    """``target(link, *args)`` in a spawned process, ``link`` a :class:`~.worker.Link` on
    ``worker_conn`` (the worker's pipe, which the caller keeps for the worker's result);
    its return value (picklable) comes back here, an exception it raises is raised here.
    ``target`` must be importable (a module's function)."""
    context = multiprocessing.get_context("spawn")
    conn, child = context.Pipe()
    process = context.Process(
        target=_serve, args=(worker_conn, child, target, args), daemon=True, name="synth-simulation"
    )
    process.start()
    child.close()
    try:
        message = conn.recv()
    except EOFError:
        process.join()
        raise RuntimeError(
            f"synth simulation stopped (exit code {process.exitcode}); {MAIN_GUARD}"
        ) from None
    except BaseException:  # Ctrl-C while it simulates: stop it
        process.kill()
        process.join()
        raise
    finally:
        conn.close()
    process.join()
    if message[0] == "error":
        _, exc, trace = message
        exc.add_note(f"in the synth simulation:\n{trace}")
        raise exc
    return message[1]


def _send_one_month(link: Link) -> list[str]:
    """For the example above: one extraction, an empty registry."""
    from flowgraph.model import registry_from_records

    row = ("E1", "extract", 9, "L1", "BAST_CONC", 10000, 55.0, *[None] * 6)  # Row: sim.py
    link.month([row], {})
    link.end(registry_from_records())
    return ["sent"]
