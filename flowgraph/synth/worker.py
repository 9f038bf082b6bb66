"""The second process of ``flowgraph synth``: month tables, upload files and the answer key.

The simulation (ledger, stories, registers) runs in a process of its own (:mod:`.simproc`)
and is strictly sequential: every month depends on the last. What follows from a month's final rows does
not feed back into it, so it runs here, on the machine's other core, while the next month
is simulated: the month's event table, its upload files, its events kept for the key. At
the end the worker receives the registry, turns the smallest files into XLSX, computes the
key (:mod:`.oracle`) and sends back what it wrote. The key's events then live only in this
process, the ledger only in the simulation's: neither process holds both.

Messages go through a :func:`multiprocessing.Pipe` (pickled: about a tenth of a second per
100,000 rows each way); a send blocks while the worker is a month behind, so at most one
month's rows wait. The worker is spawned (not forked): the caller may hold threads (Arrow's
pools, a test's servers) that a fork would copy in an unknown state.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import signal
import traceback
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa

from flowgraph.model import Registry
from flowgraph.synth.keep import EventKeeper
from flowgraph.synth.oracle import reference_findings
from flowgraph.synth.writer import (
    build_table,
    events_view,
    write_answers,
    write_uploads,
    xlsx_from_csv,
)


@dataclass
class Written:
    """What the worker wrote: events and files counted, the key."""

    events: int
    files: int
    enterprises: int
    findings: pd.DataFrame


def _fixed_mmap_threshold() -> None:
    """Large blocks (>= 1 MiB) straight from the system and back to it when freed (glibc's
    mallopt; a no-op elsewhere). glibc otherwise raises the threshold after each large free,
    and the oracle's many column-sized temporaries then stay in the heap: ~130 MB more peak
    at scale 1000."""
    try:
        ctypes.CDLL("libc.so.6").mallopt(-3, 1 << 20)  # -3: M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        pass


def _serve(conn, out: Path, styles: dict[str, dict] | None, year: int) -> Written:
    _fixed_mmap_threshold()
    # Arrow's buffers (the text columns' filters and takes) from the same heap: its own
    # allocator keeps what the oracle's rules free for later (~0.4 GB more at scale 1000).
    pa.set_memory_pool(pa.system_memory_pool())
    files: list[tuple[int, str, str, Path]] = []  # (rows, enterprise, period, path)
    kept = EventKeeper()
    while True:
        message = conn.recv()
        if message[0] == "styles":
            styles = message[1]
            continue
        if message[0] == "sync":  # every month sent so far is written
            conn.send(("synced", len(files)))
            continue
        if message[0] != "month":
            break
        _, rows, licences = message
        table = build_table(rows, year, licences)
        del rows, message
        files += write_uploads(table, out, styles)
        kept.add(events_view(table))
        del table
    registry: Registry = message[1]
    # The smallest few files as XLSX (openpyxl is slow): chosen once every size is known.
    for _, _, _, path in sorted(files, key=lambda f: f[:3])[:3]:
        xlsx_from_csv(path, styles.get(path.parent.name, {}))
    events = kept.table()
    del kept
    findings = reference_findings(events, registry)
    write_answers(findings, out / "answers.jsonl")
    return Written(len(events), len(files), events["enterprise_id"].nunique(), findings)


def serve(conn, outdir: str, styles: dict[str, dict] | None, year: int) -> None:
    """The worker's main: months until the registry arrives, then the key; the result (or
    the exception, with its traceback) goes back through ``conn``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the caller's: it stops this one
    try:
        result = _serve(conn, Path(outdir), styles, year)
    except BaseException as exc:  # handed to the caller, which raises it
        conn.send(("error", exc, traceback.format_exc()))
    else:
        conn.send(("done", result))
    conn.close()


MAIN_GUARD = (
    'a script that calls flowgraph.synth.generate must do so under `if __name__ == "__main__":` '
    "(synth's processes are new ones that import the script)"
)


class Link:
    """The sending side of the worker's pipe: months, then the registry (the simulation's
    process holds one; :class:`Worker` is one that also owns the process)."""

    def __init__(self, conn) -> None:
        self.conn = conn

    def styles(self, styles: dict[str, dict]) -> None:
        """The upload files' styles (for a worker started without them)."""
        self._send(("styles", styles))

    def month(self, rows: list[tuple], licences: dict[int, str]) -> None:
        """Hand over one month's final rows and its exports' licence numbers."""
        if self.conn.poll():  # the worker has stopped early: it failed
            self._reply()
        self._send(("month", rows, licences))

    def sync(self) -> int:
        """Wait until the worker has written every month sent so far; the files so far."""
        self._send(("sync",))
        return self._reply()

    def end(self, registry: Registry) -> None:
        """Send the registry: no more months (the caller may drop it while the key is made)."""
        self._send(("end", registry))

    def _send(self, message: tuple) -> None:
        try:
            self.conn.send(message)
        except (BrokenPipeError, ConnectionResetError):
            self._reply()

    def _stopped(self) -> str:
        return "synth worker stopped"

    def _reply(self) -> Written:
        try:
            message = self.conn.recv()
        except EOFError:
            # the usual cause: a script calling generate() at its top level, which the spawned
            # worker imports again (and so starts a second synth) before it can serve
            raise RuntimeError(f"{self._stopped()}; {MAIN_GUARD}") from None
        if message[0] == "error":
            _, exc, trace = message
            exc.add_note(f"in the synth worker:\n{trace}")
            raise exc
        return message[1]


class Worker(Link):
    """The caller's side: start the worker, send it months, then the registry. ``styles``
    None: sent later (:meth:`Link.styles`), before the first month.

    >>> import tempfile
    >>> from flowgraph.model import registry_from_records
    >>> worker = Worker(tempfile.mkdtemp(), {}, 2024)
    >>> row = ("E1", "extract", 9, "L1", "BAST_CONC", 10000, 55.0, *[None] * 6)  # Row: sim.py
    >>> worker.month([row], {})
    >>> written = worker.finish(registry_from_records())
    >>> worker.close()
    >>> written.events, written.files, sorted(written.findings["type"])
    (1, 1, ['UNDESIGNATED_EXTRACTION'])
    """

    def __init__(self, outdir: str | Path, styles: dict[str, dict] | None, year: int):
        context = multiprocessing.get_context("spawn")
        conn, child = context.Pipe()
        super().__init__(conn)
        self.process = context.Process(
            target=serve, args=(child, str(outdir), styles, year), daemon=True, name="synth-worker"
        )
        self.process.start()
        child.close()

    def finish(self, registry: Registry) -> Written:
        """Send the registry; wait for the files and the key."""
        self.end(registry)
        return self.result()

    def result(self) -> Written:
        """Wait for the files and the key."""
        written = self._reply()
        self.process.join()
        return written

    def close(self) -> None:
        """Stop the worker if it still runs (the caller failed)."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()

    def _stopped(self) -> str:
        self.process.join()
        return f"synth worker stopped (exit code {self.process.exitcode})"
