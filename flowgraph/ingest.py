"""Loading files into a store: the one place that joins the loaders to a store.

Each file is parsed, validated and stored on its own: a bad file is reported and skipped,
the others still load (SPEC §1).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from flowgraph.config import Environment
from flowgraph.errors import InputError, LoadStopped, Problem, StoreUnavailable
from flowgraph.model import Upload
from flowgraph.store.base import ConcurrentWrites, LoadResult, RegistryResult, Store


@dataclass
class LoadSummary:
    """What one ``load`` did, file by file."""

    results: list[LoadResult] = field(default_factory=list)
    rejected: dict[str, list[Problem]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # enterprise ids the stored files name -> where first (for the not-in-registry warnings)
    named: dict[str, str] = field(default_factory=dict, repr=False)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def events(self) -> int:
        """Events newly stored (unchanged files add none)."""
        return sum(r.events for r in self.results if r.status != "unchanged")

    @property
    def problems(self) -> list[Problem]:
        return [p for problems in self.rejected.values() for p in problems]

    def line(self) -> str:
        """One-line summary, e.g. ``3 files: 2 loaded, 0 superseded, 1 unchanged, 0 rejected; 41 events``."""
        files = len(self.results) + len(self.rejected)
        return (
            f"{files} file{'s' if files != 1 else ''}: {self.count('loaded')} loaded, "
            f"{self.count('superseded')} superseded, {self.count('unchanged')} unchanged, "
            f"{len(self.rejected)} rejected; {self.events:,} event{'s' if self.events != 1 else ''}"
        )


def load_files(
    store: Store,
    paths: Iterable[str | Path],
    *,
    on_file: Callable[[Path], None] | None = None,
    workers: int | None = None,
    settings: Environment | None = None,
) -> LoadSummary:
    """Load upload files and folders (recursive ``*.csv`` / ``*.xlsx``) into ``store``.

    Files are stored one by one in the order given (sorted within folders); parsing and
    validation run ahead in ``workers`` processes (default: one per core when there are
    enough files; ``FLOWGRAPH_WORKERS=1`` turns it off). A store that takes concurrent writes
    (``ConcurrentWrites`` with ``writers`` > 1, e.g. Neo4j; ``FLOWGRAPH_WRITERS`` overrides)
    gets one writer lane per writer: all files of one enterprise go, in order, through the same
    lane, so supersession and the cross-upload checks see exactly what a one-by-one load would.
    Results are reported in file order either way. ``settings``: those two settings, by default
    the environment's (``config.Environment.read()``). Raises InputError only for a path that
    does not exist; problems inside files are collected per file in the summary (the file is
    then not stored at all).

    >>> import tempfile, os
    >>> from flowgraph.store.local import LocalStore
    >>> store = LocalStore.open(os.path.join(tempfile.mkdtemp(), "fg.db"))
    >>> load_files(store, []).line()
    '0 files: 0 loaded, 0 superseded, 0 unchanged, 0 rejected; 0 events'
    """
    from loaders import find_upload_files

    files = find_upload_files(paths)
    env = Environment.read() if settings is None else settings
    workers = _worker_count(len(files), env.workers) if workers is None else max(1, workers)
    summary = LoadSummary()
    writers = _writer_count(store, len(files), env.writers)
    try:
        _load_all(store, files, workers, writers, summary, on_file)
    except StoreUnavailable as e:
        # One line still (the CLI prints it), saying what a user needs to know next.
        done = len(summary.results) + len(summary.rejected)
        again = (
            "run the same load again to complete it, files already stored are then reported "
            "unchanged"
            if not store.read_only
            else "nothing can be written there"
        )
        raise LoadStopped(
            f"{e} (after {done} of {len(files)} files; nothing of an interrupted file is "
            f"stored: {again})",
            summary,
            len(files),
            e.exit_code,
        ) from e
    except KeyboardInterrupt:
        committed = sum(1 for r in summary.results if r.status != "unchanged")
        raise LoadStopped(
            f"interrupted: {committed} of {len(files)} files committed; run the same load "
            "again to finish the rest (files already stored are then reported unchanged)",
            summary,
            len(files),
            130,
        ) from None
    if summary.named:
        # Ids outside the registry load (SPEC §1) with one warning each; without any registry
        # loaded there is nothing to check against (detect and report say so).
        registered = store.registry().enterprises["enterprise_id"]
        if len(registered):
            summary.warnings.extend(unregistered_warnings(summary.named, registered))
    return summary


def _load_all(
    store: Store,
    files: list[Path],
    workers: int,
    writers: int,
    summary: LoadSummary,
    on_file: Callable[[Path], None] | None,
) -> None:
    with ExitStack() as stack:
        pool = stack.enter_context(_executor(workers))
        lanes = _Lanes(stack, writers)
        # One look at what the store holds: files already current are not parsed. (A file an
        # earlier one of this load supersedes is news again; _store_one checks that live.)
        stored = store.current_shas() if files else {}
        planned: deque[tuple[Path, str | None, Future | None]] = deque()
        storing: deque[tuple[Path, Future]] = deque()
        upcoming = iter(files)
        for _ in range(2 * workers):
            _plan_next(stored, pool, upcoming, planned)
        ctrl_c = stack.enter_context(_CtrlC())
        try:
            for left in range(len(files), 0, -1):
                ctrl_c.check()
                path, sha, parsing = planned.popleft()
                _plan_next(stored, pool, upcoming, planned)
                storing.append((path, lanes.submit(store, stored, path, sha, parsing, left)))
                # Report in file order; keep a bounded number of files in flight. The window
                # spans several enterprises (a folder holds one enterprise's year: 12 files in a
                # row), or one enterprise's queue would fill it while the other lanes idle.
                while storing and (storing[0][1].done() or len(storing) > IN_FLIGHT * writers):
                    _report_first(summary, storing, on_file, ctrl_c)
            while storing:
                _report_first(summary, storing, on_file, ctrl_c)
        except KeyboardInterrupt:
            # Ctrl-C: drop what is queued, let the lanes finish the file each is writing (its
            # transaction commits or rolls back whole), then count what did commit.
            _cancel(pool, planned, storing)
            lanes.stop()
            for path, outcome in storing:
                if outcome.done() and not outcome.cancelled() and outcome.exception() is None:
                    _report(summary, path, outcome, None)
            raise


# Files per writer lane that may be parsed and queued but not yet reported.
IN_FLIGHT = 24
# Upload ids reserved at a time for the lanes: one short commit per block instead of per file.
ID_BLOCK = 32


class _CtrlC:
    """Ctrl-C during a load: the first one asks the load to stop at the next file boundary
    (``check`` raises KeyboardInterrupt there), so the file being written is committed, or
    rolled back, and counted exactly; a second one interrupts at once. Only in the main thread
    with Python's default handler (elsewhere, e.g. a library caller's own handler, nothing
    changes)."""

    def __init__(self) -> None:
        self.requested = False
        self.previous = None

    def __enter__(self) -> _CtrlC:
        if (
            threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler
        ):
            self.previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        self.requested = True
        signal.signal(signal.SIGINT, signal.default_int_handler)

    def check(self) -> None:
        if self.requested:
            raise KeyboardInterrupt

    def __exit__(self, *exc) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


def _report_first(
    summary: LoadSummary,
    storing: deque,
    on_file: Callable[[Path], None] | None,
    ctrl_c: _CtrlC,
) -> None:
    """Report the oldest file in flight (waiting for it, watching for Ctrl-C); it leaves the
    queue only once reported, so a stop still counts it if its lane commits it."""
    path, outcome = storing[0]
    while not wait([outcome], timeout=0.1).done:
        ctrl_c.check()
    _report(summary, path, outcome, on_file)
    storing.popleft()


def _report(
    summary: LoadSummary, path: Path, outcome: Future, on_file: Callable[[Path], None] | None
) -> None:
    """Add one file's outcome to the summary (re-raising a store failure, e.g. unreachable)."""
    result, problems, warnings, named = outcome.result()
    summary.warnings.extend(warnings)
    if result is not None:
        summary.results.append(result)
        if result.reverts_to is not None:  # shown with -q too: it undoes a correction
            summary.warnings.append(
                f"{result.file_name} reverts {result.enterprise_id} {result.period} to the content "
                f"of revision {result.reverts_to}: the corrections loaded since are undone"
            )
        for value, where in named.items():
            summary.named.setdefault(value, where)
    else:
        summary.rejected[str(path)] = problems
    if on_file is not None:
        on_file(path)


class _Lanes:
    """Writer lanes: one single-thread executor per lane, an enterprise's files always in the
    same lane (first come, round robin), or inline when there is one writer. A store that
    reserves upload ids (Neo4j) gets them here, in blocks, in file order."""

    def __init__(self, stack: ExitStack, writers: int):
        self.executors = [
            stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix=f"flowgraph-writer{n}"))
            for n in range(writers if writers > 1 else 0)
        ]
        # On the way out (including a failure), drop queued files and wait for running ones.
        stack.callback(self.stop)
        self.lane_of: dict[str, int] = {}
        self.ids: deque[int] = deque()
        # Identities a file of this load may have revised, so far.
        self.revised: set[tuple[str, str]] = set()

    def stop(self) -> None:
        """Drop queued files; wait for the ones being written."""
        for executor in self.executors:
            executor.shutdown(wait=True, cancel_futures=True)

    def submit(
        self,
        store: Store,
        stored: dict[str, tuple[str, str]],
        path: Path,
        sha: str | None,
        parsing: Future | None,
        left: int,
    ) -> Future:
        """Queue one file; ``left`` counts it and the files still to come."""
        if not self.executors and not isinstance(store, ConcurrentWrites):
            return _InlineExecutor().submit(_store_one, store, path, sha, parsing)
        if parsing is None:
            identity = stored[sha]  # the bytes of a current upload name their identity
        else:
            upload = parsing.result()[0]
            if upload is None:  # rejected while parsing: reported here and now
                return _InlineExecutor().submit(_store_one, store, path, sha, parsing)
            identity = upload.identity
        # Ids are taken here, in file order, so they follow the files as a one-by-one load's
        # would (SPEC §1 breaks ties between uploads by that order). Bytes the store holds need
        # none, unless an earlier file of this load revises their month: then they are news.
        upload_id = None
        if parsing is not None or identity in self.revised:
            upload_id = self._next_id(store, left)
        if parsing is not None:
            self.revised.add(identity)
        if not self.executors:  # one writer: stored here and now
            return _InlineExecutor().submit(_store_one, store, path, sha, parsing, upload_id)
        enterprise = identity[0]
        lane = self.lane_of.setdefault(enterprise, len(self.lane_of) % len(self.executors))
        return self.executors[lane].submit(_store_one, store, path, sha, parsing, upload_id)

    def _next_id(self, store: ConcurrentWrites, left: int) -> int:
        if not self.ids:
            self.ids.extend(store.reserve_upload_ids(min(ID_BLOCK, left)))
        return self.ids.popleft()


def parse_upload(path: Path) -> tuple[Upload | None, list[Problem], list[str]]:
    """Parse and validate one file: (upload, problems, warnings of a rejected file); problems
    are returned, not raised, so they cross processes intact."""
    from loaders import read_upload

    name = str(path)
    try:
        return read_upload(path, display_name=name), [], []
    except InputError as e:
        return None, e.problems, e.warnings
    except OSError as e:
        return None, [Problem(name, None, None, f"cannot read file: {e.strerror}")], []


def _plan_next(
    stored: dict[str, tuple[str, str]], pool: Executor, upcoming: Iterator[Path], planned: deque
) -> None:
    """Take the next file: if its bytes are a current upload's, nothing to parse; else parse it
    ahead in the pool."""
    from loaders import sha256_file

    path = next(upcoming, None)
    if path is None:
        return
    try:
        sha = sha256_file(path)
    except OSError:
        sha = None  # parse_upload reports it
    if sha is not None and sha in stored:
        planned.append((path, sha, None))
    else:
        planned.append((path, sha, pool.submit(parse_upload, path)))


def _store_one(
    store: Store,
    path: Path,
    sha: str | None,
    parsing: Future | None,
    upload_id: int | None = None,
) -> tuple[LoadResult | None, list[Problem], list[str], dict[str, str]]:
    """Store one file: (result, problems, warnings, ids named: ``ids_named``); result None means
    rejected."""
    name = str(path)
    if parsing is None:
        identity = store.find_current_by_sha(sha)
        if identity is not None:
            # Same bytes as a current upload: nothing to parse, nothing to write.
            return LoadResult(name, *identity, "unchanged", 0, 0), [], [], {}
        # An earlier file of this command superseded it meanwhile: it is news again.
        upload, problems, warnings = parse_upload(path)
    else:
        upload, problems, warnings = parsing.result()
    if upload is None:
        return None, problems, warnings, {}
    try:
        if upload_id is not None and isinstance(store, ConcurrentWrites):
            result = store.save_upload(upload, upload_id=upload_id)
        else:
            result = store.save_upload(upload)
    except InputError as e:
        return None, e.problems, list(upload.warnings), {}
    return result, [], list(upload.warnings), ids_named(upload)


def ids_named(upload: Upload) -> dict[str, str]:
    """Every enterprise id a file names (its ``enterprise_id``, each ``counterparty_id``), with
    where it first appears (``FILE:ROW:COLUMN``, spreadsheet rows).

    >>> from flowgraph.model import events_frame
    >>> ev = events_frame([{"event_type": "ship", "date": "2024-03-02", "enterprise_id": "E1",
    ...     "lot_id": "L1", "mass_kg": 5, "counterparty_id": "E2", "source_row": 2}])
    >>> ids_named(Upload("up.csv", "x", "E1", "2024-03", ev))
    {'E1': 'up.csv:2:enterprise_id', 'E2': 'up.csv:2:counterparty_id'}
    """
    named: dict[str, str] = {}
    events = upload.events
    rows = events["source_row"]
    for column in ("enterprise_id", "counterparty_id"):
        # One column's distinct values, not a copy of the whole frame's rows: at scale 100
        # (516 files) ~0.27 s of the main process's CPU instead of ~0.85 s.
        values = events[column]
        first = values[values.notna()].drop_duplicates()
        for value, row in zip(first, rows[first.index], strict=True):
            named.setdefault(str(value), f"{upload.file_name}:{int(row)}:{column}")
    return named


def unregistered_warnings(named: dict[str, str], registered: Iterable[str]) -> list[str]:
    """One warning per id not in the registry (SPEC §1; ids are case-sensitive), naming where it
    first appears and a registered id it equals but for case, if any.

    >>> unregistered_warnings({"e1": "up.csv:2:enterprise_id", "E2": "up.csv:3:counterparty_id"},
    ...                       ["E1", "E2"])
    ["enterprise id 'e1' is not in the registry (up.csv:2:enterprise_id); ids are case-sensitive: \
the registry has 'E1'"]
    """
    registered = set(registered)
    by_fold: dict[str, str] = {}
    for known in sorted(registered):
        by_fold.setdefault(known.casefold(), known)
    out = []
    for value, where in named.items():
        if value in registered:
            continue
        line = f"enterprise id {value!r} is not in the registry ({where})"
        twin = by_fold.get(value.casefold())
        if twin is not None:
            line += f"; ids are case-sensitive: the registry has {twin!r}"
        out.append(line)
    return out


def _writer_count(store: Store, files: int, configured: int | None) -> int:
    # A store without concurrent writes (the embedded SQLite store) always gets one lane.
    if not isinstance(store, ConcurrentWrites) or store.writers <= 1:
        return 1
    return min(configured or store.writers, files)


def _worker_count(files: int, configured: int | None) -> int:
    if configured is not None:
        return configured
    # Forking workers costs ~50 ms; worth it only for a batch of files.
    return min(os.cpu_count() or 1, 4) if files >= 8 else 1


class _InlineExecutor(Executor):
    """Runs each task at submit time: the one-process path, with the pool's interface."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as e:  # Ctrl-C propagates at once, as it would without the executor
            future.set_exception(e)
        return future


def _executor(workers: int) -> Executor:
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return _InlineExecutor()
    # fork: workers start in milliseconds with the parent's imports; they only parse files.
    return ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("fork"), initializer=_ignore_sigint
    )


def _ignore_sigint() -> None:
    """Parse workers leave Ctrl-C to the main process: a terminal sends SIGINT to the whole
    process group, and a worker dying of it mid-task printed its own traceback and could leave
    the pool's queues locked (a hang until a second Ctrl-C)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _cancel(pool: Executor, planned: deque, storing: deque) -> None:
    """Cancel the parsing and storing not started yet; running parses finish (milliseconds)."""
    for _path, _sha, parsing in planned:
        if parsing is not None:
            parsing.cancel()
    for _path, outcome in storing:
        outcome.cancel()
    if isinstance(pool, ProcessPoolExecutor):
        pool.shutdown(wait=True, cancel_futures=True)


def load_registry(store: Store, directory: str | Path) -> RegistryResult:
    """Read the three registry files in ``directory`` and make them the current registry."""
    from loaders import read_registry

    registry = read_registry(directory)
    return store.save_registry(registry, source=str(directory))
