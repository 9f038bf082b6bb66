"""What loading writes into the embedded store, with its history: uploads and registry versions,
mixed into ``LocalStore``.

Every upload ever loaded stays in ``uploads`` with its events' blob; a newer upload of the same
(enterprise, period) marks the older one ``superseded_by`` (decision.py says what a save does).
Every distinct registry load is a new version whose rows stay beside the older versions'. The
reads of these two histories are here too; reading the events themselves is local_events.py.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pandas as pd

from flowgraph.model import (
    DESIGNATION_COLUMNS,
    ENTERPRISE_COLUMNS,
    QUOTA_COLUMNS,
    Registry,
    Upload,
)
from flowgraph.store import eventcodec
from flowgraph.store.base import LoadResult, RegistryResult
from flowgraph.store.decision import StoredUpload, decide_registry, decide_save
from flowgraph.store.idkeys import EnterpriseKeys
from flowgraph.store.local_schema import REGISTER_TABLES
from flowgraph.store.readback import conform_uploads, registry_frames


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class LocalUploads:
    """Uploads and registry versions on ``self.connection``; writes go through LocalStore's
    ``_writing()`` transaction (see module docstring)."""

    connection: sqlite3.Connection
    _key_cache: dict[str, EnterpriseKeys]  # set by LocalStore.__init__

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
