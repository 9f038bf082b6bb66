"""The embedded store: one SQLite file (WAL), the default so one command runs on a laptop.

Every upload ever loaded stays in ``uploads`` and its rows in ``events``; a newer upload of
the same (enterprise, period) marks the older one ``superseded_by`` and its events not
current. Analyses read only current events. Each file is stored in one transaction.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa

from flowgraph.errors import StoreUnavailable
from flowgraph.model import (
    CONTROL_COLUMNS,
    CUSTOMS_COLUMNS,
    DESIGNATION_COLUMNS,
    ENTERPRISE_COLUMNS,
    LICENCE_COLUMNS,
    QUOTA_COLUMNS,
    Registry,
    Upload,
)
from flowgraph.store import eventcodec
from flowgraph.store.base import LoadResult, RegistryResult
from flowgraph.store.decision import StoredUpload, decide_registry, decide_save
from flowgraph.store.idkeys import EnterpriseKeys
from flowgraph.store.local_runs import RUNS_SCHEMA, LocalRuns, migrate_runs
from flowgraph.store.readback import conform_uploads, registry_frames
from flowgraph.store.readback import in_upload_order as _in_order
from flowgraph.store.uploadkeys import KEY_COLUMNS, UploadKeys

# 1: the latest detection run only (finding_runs / findings); 2: every run and the review log
# (local_runs.py), opening a version-1 file migrates it.
SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS uploads (
    upload_id     INTEGER PRIMARY KEY,
    enterprise_id TEXT NOT NULL,
    period        TEXT NOT NULL,
    revision      INTEGER NOT NULL,
    file_name     TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    loaded_at     TEXT NOT NULL,
    events        INTEGER NOT NULL,
    superseded_by INTEGER REFERENCES uploads(upload_id),
    UNIQUE (enterprise_id, period, revision)
);
CREATE INDEX IF NOT EXISTS uploads_current ON uploads(enterprise_id, period)
    WHERE superseded_by IS NULL;
CREATE INDEX IF NOT EXISTS uploads_sha ON uploads(sha256) WHERE superseded_by IS NULL;
-- One row per upload: its validated events as an Arrow IPC stream (lz4). Row-wise inserts
-- of 18 columns cost ~6 us/event in sqlite3 and capped loading near 100k events/s; a blob per
-- file writes at >1M events/s and reads back a national year in about a second (README).
CREATE TABLE IF NOT EXISTS upload_events (
    upload_id INTEGER PRIMARY KEY REFERENCES uploads(upload_id),
    format    TEXT NOT NULL,
    data      BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS registry_versions (
    version   INTEGER PRIMARY KEY,
    source    TEXT NOT NULL,
    digest    TEXT NOT NULL,
    loaded_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS enterprises (
    version INTEGER NOT NULL, enterprise_id TEXT NOT NULL, name TEXT, province TEXT,
    "group" TEXT, roles TEXT
);
CREATE TABLE IF NOT EXISTS designations (
    version INTEGER NOT NULL, enterprise_id TEXT NOT NULL, activity TEXT NOT NULL,
    licence_no TEXT, valid_from TEXT NOT NULL, valid_to TEXT
);
CREATE TABLE IF NOT EXISTS quotas (
    version INTEGER NOT NULL, enterprise_id TEXT NOT NULL, year INTEGER NOT NULL,
    activity TEXT NOT NULL, quota_t_reo REAL NOT NULL
);
-- SPEC §7 registers: which ones a registry version holds (an absent one is no row here), and
-- their rows. Dates as ISO text, like designations.
CREATE TABLE IF NOT EXISTS registry_registers (
    version INTEGER NOT NULL, name TEXT NOT NULL, PRIMARY KEY (version, name)
);
CREATE TABLE IF NOT EXISTS customs (
    version INTEGER NOT NULL, declaration_no TEXT NOT NULL, direction TEXT NOT NULL,
    enterprise_id TEXT NOT NULL, date TEXT NOT NULL, product TEXT NOT NULL,
    mass_kg REAL NOT NULL, country TEXT
);
CREATE TABLE IF NOT EXISTS licences (
    version INTEGER NOT NULL, licence_no TEXT NOT NULL, enterprise_id TEXT NOT NULL,
    product TEXT NOT NULL, country TEXT NOT NULL, quantity_kg REAL NOT NULL,
    valid_from TEXT NOT NULL, valid_to TEXT, end_user TEXT
);
-- Carry-overs of detection by year (analysis/carryover.py): per year, the rows of other
-- years its detection needs, one Arrow blob per upload they come from, valid while the
-- current uploads and registry version give the same fingerprint (analysis/years.py).
CREATE TABLE IF NOT EXISTS carryovers (
    year        INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    upload_id   INTEGER NOT NULL,
    data        BLOB NOT NULL,
    PRIMARY KEY (year, upload_id)
);
CREATE TABLE IF NOT EXISTS controls (
    version INTEGER NOT NULL, product TEXT NOT NULL, valid_from TEXT NOT NULL, valid_to TEXT,
    basis TEXT
);
"""
REGISTER_TABLES = {
    "customs": CUSTOMS_COLUMNS,
    "licences": LICENCE_COLUMNS,
    "controls": CONTROL_COLUMNS,
}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class LocalStore(LocalRuns):
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
            _create_or_migrate(connection)
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

    # -- uploads ---------------------------------------------------------------------------

    def find_current_by_sha(self, sha256: str) -> tuple[str, str] | None:
        row = self.connection.execute(
            "SELECT enterprise_id, period FROM uploads WHERE sha256 = ? AND superseded_by IS NULL",
            (sha256,),
        ).fetchone()
        return (row[0], row[1]) if row else None

    def current_shas(self) -> dict[str, tuple[str, str]]:
        return {
            sha: (ent, period)
            for sha, ent, period in self.connection.execute(
                "SELECT sha256, enterprise_id, period FROM uploads WHERE superseded_by IS NULL"
            )
        }

    def save_upload(self, upload: Upload) -> LoadResult:
        """Store one validated upload atomically; see Store.save_upload."""
        with self._writing() as db:  # disk full, I/O error: the file stays unstored
            result = self._save_upload(upload)
            if result.status == "unchanged":
                db.execute("ROLLBACK")
        if result.status != "unchanged":
            self._remember_keys(upload, result.upload_id)
        return result

    def _save_upload(self, upload: Upload) -> LoadResult:
        db = self.connection
        history = [
            StoredUpload(upload_id, sha, revision, bool(current))
            for upload_id, sha, revision, current in db.execute(
                "SELECT upload_id, sha256, revision, superseded_by IS NULL FROM uploads "
                "WHERE enterprise_id = ? AND period = ?",
                upload.identity,
            )
        ]
        decision = decide_save(upload, history, self._keys(upload.enterprise_id))
        if not decision.writes:
            return decision.result(upload)
        cursor = db.execute(
            "INSERT INTO uploads (enterprise_id, period, revision, file_name, sha256, loaded_at, "
            "events) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                *upload.identity,
                decision.revision,
                upload.file_name,
                upload.sha256,
                _now(),
                len(upload.events),
            ),
        )
        upload_id = cursor.lastrowid
        if decision.supersedes is not None:
            db.execute(
                "UPDATE uploads SET superseded_by = ? WHERE upload_id = ?",
                (upload_id, decision.supersedes),
            )
        db.execute(
            "INSERT INTO upload_events (upload_id, format, data) VALUES (?, ?, ?)",
            (upload_id, eventcodec.FORMAT, eventcodec.encode_events(upload.events)),
        )
        return decision.result(upload, upload_id)

    def _keys(self, enterprise_id: str) -> EnterpriseKeys:
        """The enterprise's ids in current uploads; rebuilt from the blobs if another process
        (or a rolled-back transaction) changed which uploads are current."""
        current = dict(
            self.connection.execute(
                "SELECT upload_id, period FROM uploads "
                "WHERE enterprise_id = ? AND superseded_by IS NULL",
                (enterprise_id,),
            ).fetchall()
        )
        keys = self._key_cache.get(enterprise_id)
        if keys is None or keys.uploads != current:
            keys = EnterpriseKeys()
            for upload_id, period in current.items():
                (blob,) = self.connection.execute(
                    "SELECT data FROM upload_events WHERE upload_id = ?", (upload_id,)
                ).fetchone()
                columns = eventcodec.decode_columns(blob, ["event_id", "batch_id"])
                keys.add(upload_id, period, columns["event_id"], columns["batch_id"])
            self._key_cache[enterprise_id] = keys
        return keys

    def _remember_keys(self, upload: Upload, upload_id: int) -> None:
        keys = self._key_cache.get(upload.enterprise_id)
        if keys is not None:
            keys.drop_period(upload.period)
            keys.add(upload_id, upload.period, upload.events["event_id"], upload.events["batch_id"])

    def uploads(self, include_history: bool = False) -> pd.DataFrame:
        where = "" if include_history else "WHERE superseded_by IS NULL"
        return conform_uploads(
            pd.read_sql_query(
                f"SELECT upload_id, enterprise_id, period, revision, file_name, sha256, "  # noqa: S608
                f"loaded_at, superseded_by, events, superseded_by IS NULL AS current "
                f"FROM uploads {where} ORDER BY enterprise_id, period, revision",
                self.connection,
            )
        )

    # -- events ----------------------------------------------------------------------------

    def events(
        self, period: str | None = None, year: int | None = None, *, encoded: bool = False
    ) -> pd.DataFrame:
        """Current events in the EVENT_COLUMNS schema, ordered by upload then row (``encoded``:
        text columns as categoricals, decoded without one Python string per row)."""
        clauses, params = ["u.superseded_by IS NULL"], []
        if period is not None:
            clauses.append("u.period = ?")
            params.append(period)
        if year is not None:
            clauses.append("u.period BETWEEN ? AND ?")
            params += [f"{year:04d}-01", f"{year:04d}-12"]
        # how many rows to allocate for (the arrays of an encoded read are written in place)
        total = self.connection.execute(
            f"SELECT SUM(u.events) FROM uploads u WHERE {' AND '.join(clauses)}",  # noqa: S608
            params,
        ).fetchone()[0]
        rows = self.connection.execute(
            "SELECT u.upload_id, e.data FROM uploads u JOIN upload_events e USING (upload_id) "  # noqa: S608
            f"WHERE {' AND '.join(clauses)} ORDER BY u.upload_id",
            params,
        )
        if encoded:  # one upload's bytes at a time, never all of them at once
            return eventcodec.decode_stream(rows, total=total)
        rows = rows.fetchall()
        return eventcodec.decode_events([r[1] for r in rows], [r[0] for r in rows])

    def upload_keys(self) -> UploadKeys:
        """Which current uploads name each lot, shipment and batch id (flowgraph trace reads
        only those uploads: tracescope.trace_scope)."""
        current = tuple(
            r[0]
            for r in self.connection.execute(
                "SELECT upload_id FROM uploads WHERE superseded_by IS NULL ORDER BY upload_id"
            )
        )
        # kept while the current uploads stay the same (ids are never reused), even when
        # another process loads meanwhile: it would change the set
        if self._upload_keys is not None and self._upload_keys[0] == current:
            return self._upload_keys[1]
        rows = self.connection.execute(
            "SELECT u.upload_id, e.data FROM uploads u JOIN upload_events e USING (upload_id) "
            "WHERE u.superseded_by IS NULL ORDER BY u.upload_id"
        )
        keys = UploadKeys.of(
            (upload_id, pa.concat_arrays([c.combine_chunks() for c in table.columns]))
            for upload_id, table in (
                (upload_id, eventcodec.decode_arrow(blob, KEY_COLUMNS)) for upload_id, blob in rows
            )
        )
        self._upload_keys = (current, keys)
        return keys

    def uploads_holding(self, ids: Iterable[str]) -> set[int]:
        """The current uploads with a row naming any of ``ids`` as lot, shipment or batch."""
        return self.upload_keys().uploads_holding(ids)

    def events_of_uploads(self, upload_ids: Iterable[int]) -> pd.DataFrame:
        """The events of these current uploads, encoded, in store order (as ``events``)."""
        chosen = sorted(set(upload_ids))
        if not chosen:
            return eventcodec.decode_stream(iter(()))
        marks = ",".join("?" * len(chosen))
        rows = self.connection.execute(
            "SELECT u.upload_id, e.data FROM uploads u JOIN upload_events e USING (upload_id) "  # noqa: S608
            f"WHERE u.superseded_by IS NULL AND u.upload_id IN ({marks}) ORDER BY u.upload_id",
            chosen,
        )
        return eventcodec.decode_stream(rows)

    # -- carry-overs of detection by year (analysis/years.py) -------------------------------

    def carryover(self, year: int, fingerprint: str) -> pd.DataFrame | None:
        """The carry-over kept for ``year`` under ``fingerprint``, None when none is."""
        try:
            rows = self.connection.execute(
                "SELECT upload_id, data, fingerprint FROM carryovers WHERE year = ? "
                "ORDER BY upload_id",
                (year,),
            ).fetchall()
        except sqlite3.OperationalError:  # a read-only file of an older schema
            return None
        if not rows or any(r[2] != fingerprint for r in rows):
            return None
        if rows[0][0] == 0:
            return eventcodec.decode_events([], [])  # kept: nothing to carry
        return eventcodec.decode_events([r[1] for r in rows], [r[0] for r in rows])

    def save_carryover(self, year: int, fingerprint: str, events: pd.DataFrame) -> None:
        """Keep ``events`` as ``year``'s carry-over under ``fingerprint`` (replacing any); it
        reads back in upload then row order."""
        blobs = [
            (year, fingerprint, int(upload), eventcodec.encode_events(part))
            for upload, part in _in_order(events).groupby("upload_id", sort=True)
        ] or [(year, fingerprint, 0, b"")]  # upload 0: an empty carry-over, known to be empty
        with self._writing() as db:
            db.execute("DELETE FROM carryovers WHERE year = ?", (year,))
            db.executemany("INSERT INTO carryovers VALUES (?, ?, ?, ?)", blobs)

    # -- registry --------------------------------------------------------------------------

    def save_registry(self, registry: Registry, source: str) -> RegistryResult:
        with self._writing() as db:
            latest = db.execute(
                "SELECT version, digest FROM registry_versions ORDER BY version DESC LIMIT 1"
            ).fetchone()
            decision = decide_registry(registry, *(latest or (None, None)))
            if decision.status == "unchanged":
                db.execute("ROLLBACK")
                return decision.result(registry)
            db.execute(
                "INSERT INTO registry_versions (version, source, digest, loaded_at) "
                "VALUES (?, ?, ?, ?)",
                (decision.version, source, decision.digest, _now()),
            )
            version = decision.version
            _insert_frame(db, "enterprises", version, registry.enterprises, ENTERPRISE_COLUMNS)
            _insert_frame(db, "designations", version, registry.designations, DESIGNATION_COLUMNS)
            _insert_frame(db, "quotas", version, registry.quotas, QUOTA_COLUMNS)
            for name, frame in registry.registers().items():
                if frame is None:
                    continue
                db.execute("INSERT INTO registry_registers VALUES (?, ?)", (version, name))
                _insert_frame(db, name, version, frame, REGISTER_TABLES[name])
        return decision.result(registry)

    def registry(self, version: int | None = None) -> Registry:
        """The current registry (or an older ``version`` from history)."""
        if version is None:
            row = self.connection.execute("SELECT MAX(version) FROM registry_versions").fetchone()
            version = row[0]
        if version is None:
            return Registry.empty()

        def read(table: str, columns: tuple[str, ...]) -> pd.DataFrame:
            quoted = ", ".join(f'"{c}"' for c in columns)
            return pd.read_sql_query(
                f"SELECT {quoted} FROM {table} WHERE version = ?",  # noqa: S608 - fixed names
                self.connection,
                params=(version,),
            )

        held = {
            r[0]
            for r in self.connection.execute(
                "SELECT name FROM registry_registers WHERE version = ?", (version,)
            )
        }
        return registry_frames(
            read("enterprises", ENTERPRISE_COLUMNS),
            read("designations", DESIGNATION_COLUMNS),
            read("quotas", QUOTA_COLUMNS),
            {
                name: read(name, columns)
                for name, columns in REGISTER_TABLES.items()
                if name in held
            },
        )

    def registry_history(self) -> pd.DataFrame:
        return pd.read_sql_query(
            "SELECT version, source, digest, loaded_at FROM registry_versions ORDER BY version",
            self.connection,
        )

    # -- findings --------------------------------------------------------------------------

    def findings(self) -> pd.DataFrame:
        """The latest recorded run's findings (empty when none); see LocalRuns for the rest."""
        runs = self.runs()
        if runs.empty:
            return self.run_findings(0)
        return self.run_findings(int(runs["run"].iloc[-1]))


def _create_or_migrate(db: sqlite3.Connection) -> None:
    """Create the tables of a new file, and bring an older file's schema up to date in one
    transaction (a second process opening the file at the same moment waits for it)."""
    db.executescript(_SCHEMA + RUNS_SCHEMA)  # IF NOT EXISTS throughout: idempotent
    db.execute("BEGIN IMMEDIATE")
    try:
        row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is not None and int(row[0]) < 2:
            migrate_runs(db)
        db.execute(
            "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
        )
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


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


def _insert_frame(
    db: sqlite3.Connection, table: str, version: int, frame: pd.DataFrame, columns: tuple[str, ...]
) -> None:
    data = frame.reindex(columns=list(columns)).copy()
    for column in data.columns:
        if pd.api.types.is_datetime64_any_dtype(data[column]):
            data[column] = data[column].dt.strftime("%Y-%m-%d")
    data = data.astype(object).where(data.notna(), None)
    quoted = ", ".join(f'"{c}"' for c in columns)
    db.executemany(
        f"INSERT INTO {table} (version, {quoted}) "  # noqa: S608 - fixed names
        f"VALUES ({', '.join('?' * (1 + len(columns)))})",
        [(version, *row) for row in data.itertuples(index=False, name=None)],
    )
