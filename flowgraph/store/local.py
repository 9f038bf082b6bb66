"""The embedded store: one SQLite file (WAL), the default so one command runs on a laptop.

Every upload ever loaded stays in ``uploads`` and its rows in ``events``; a newer upload of
the same (enterprise, period) marks the older one ``superseded_by`` and its events not
current. Analyses read only current events. Each file is stored in one transaction.

This module opens the file (read-write, or read-only on read-only media) and runs the write
transactions; ``LocalStore`` gathers its parts from modules of one concept each:
local_schema.py (the tables, migration of older files), local_uploads.py (uploads and registry
versions with their history), local_events.py (reading events, the trace scope, carry-overs)
and local_runs.py (detection runs and the review log).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from flowgraph.errors import StoreUnavailable
from flowgraph.store.idkeys import EnterpriseKeys
from flowgraph.store.local_events import LocalEvents
from flowgraph.store.local_runs import LocalRuns
from flowgraph.store.local_schema import REGISTER_TABLES, SCHEMA_VERSION, create_or_migrate
from flowgraph.store.local_uploads import LocalUploads
from flowgraph.store.uploadkeys import UploadKeys

# Names this module always had, for code importing them from here.
__all__ = ["REGISTER_TABLES", "SCHEMA_VERSION", "LocalStore"]


class LocalStore(LocalUploads, LocalEvents, LocalRuns):
    """The embedded SQLite store. Open with ``LocalStore.open(path)``.

    >>> import tempfile, os
    >>> store = LocalStore.open(os.path.join(tempfile.mkdtemp(), "fg.db"))
    >>> store.events().empty
    True
    >>> store.close()
    """

    def __init__(self, connection: sqlite3.Connection, uri: str, *, read_only: bool = False):
        self.connection = connection
        self.uri = uri
        self.read_only = read_only
        # enterprise_id -> ids in its current uploads, so the cross-upload check of a load is
        # O(events); checked against the uploads table on every save (see _keys).
        self._key_cache: dict[str, EnterpriseKeys] = {}
        self._upload_keys: tuple[tuple[int, ...], UploadKeys] | None = None  # upload_keys()

    @classmethod
    def open(cls, path: str | Path, *, create: bool = True) -> LocalStore:
        """Open the store file at ``path``; ``create=False`` (commands that only read) refuses a
        path where no store exists instead of creating an empty one (SPEC §4). A file the
        process may not write (read-only media) is opened read-only: reads work, writes raise
        StoreUnavailable saying so."""
        path = Path(path)
        if path.is_dir():
            raise StoreUnavailable(f"cannot open store {path}: it is a folder")
        if not path.parent.exists():
            raise StoreUnavailable(f"cannot open store {path}: folder {path.parent} does not exist")
        if not create and not path.exists():
            raise StoreUnavailable(
                f"no store at {path}: nothing was created (check --store or FLOWGRAPH_STORE; "
                "`flowgraph load` or `flowgraph registry load` makes a new one)"
            )
        if path.exists() and not _writable(path):
            return cls(_open_read_only(path), str(path), read_only=True)
        try:
            # timeout: a second command (a concurrent review) waits for the write lock
            connection = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, timeout=60
            )
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA foreign_keys=ON")
            create_or_migrate(connection)
        except sqlite3.DatabaseError as e:
            raise StoreUnavailable(f"cannot open store {path}: {e}") from e
        return cls(connection, str(path))

    def _begin_write(self) -> None:
        """BEGIN IMMEDIATE, or StoreUnavailable when the store cannot take writes."""
        if self.read_only:
            raise StoreUnavailable(
                f"store {self.uri} is read-only (read-only media or no write permission): "
                "reading works; to write, copy it to a writable folder"
            )
        try:
            self.connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            raise _write_failure(self.uri, e) from e

    def _rollback(self) -> None:
        if self.connection.in_transaction:  # SQLite may have rolled back already (disk full)
            self.connection.execute("ROLLBACK")

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: BEGIN IMMEDIATE, COMMIT at the end unless the body ended it
        (an unchanged upload rolls back); any error rolls back, and SQLite's own failures
        (disk full, I/O) become StoreUnavailable naming the store."""
        self._begin_write()
        try:
            yield self.connection
            if self.connection.in_transaction:
                self.connection.execute("COMMIT")
        except sqlite3.OperationalError as e:
            self._rollback()
            raise _write_failure(self.uri, e) from e
        except BaseException:
            self._rollback()
            raise

    def close(self) -> None:
        self.connection.close()

    # -- findings --------------------------------------------------------------------------

    def findings(self) -> pd.DataFrame:
        """The latest recorded run's findings (empty when none); see LocalRuns for the rest."""
        runs = self.runs()
        if runs.empty:
            return self.run_findings(0)
        return self.run_findings(int(runs["run"].iloc[-1]))


def _writable(path: Path) -> bool:
    # SQLite writes the file and, in WAL mode, its -wal / -shm files beside it.
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def _open_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection; ``immutable`` when the folder cannot even hold WAL's shared-memory
    file (read-only media: nobody can write the file there, so nothing changes under us)."""
    uri = path.resolve().as_uri()
    for query in ("?mode=ro", "?mode=ro&immutable=1"):
        try:
            connection = sqlite3.connect(
                uri + query, uri=True, isolation_level=None, check_same_thread=False
            )
            connection.execute("SELECT COUNT(*) FROM uploads").fetchone()
            return connection
        except sqlite3.DatabaseError as e:
            error = e
    raise StoreUnavailable(f"cannot open store {path} (read-only): {error}") from error


def _write_failure(uri: str, error: sqlite3.OperationalError) -> StoreUnavailable:
    """The one line a failed write gives: what SQLite said, and that nothing of it was kept."""
    text = str(error)
    if "readonly" in text:
        text = "it is read-only (read-only media or no write permission)"
    return StoreUnavailable(f"cannot write store {uri}: {text}; nothing of this write was kept")
