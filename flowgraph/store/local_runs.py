"""The embedded store's detection runs and review log (SPEC §6), mixed into ``LocalStore``.

Every run is kept (``detection_runs`` + ``run_findings``, one JSON document per finding); the
review log (``reviews``) is append-only, enforced by triggers that refuse UPDATE and DELETE.
Writes take SQLite's write lock first (``BEGIN IMMEDIATE``), so two commands at once take turns
and lose nothing.
"""

from __future__ import annotations

import json
import sqlite3

import pandas as pd

from flowgraph.errors import UsageError
from flowgraph.investigations.records import (
    RUN_COLUMNS,
    RunConflict,
    RunRecord,
    finding_records,
    findings_from_records,
    record_json,
)
from flowgraph.investigations.status import REVIEW_COLUMNS
from flowgraph.store.readback import conform_reviews, conform_runs

RUNS_SCHEMA = """
CREATE TABLE IF NOT EXISTS detection_runs (
    run              INTEGER PRIMARY KEY,
    ran_at           TEXT NOT NULL,
    registry_version INTEGER,
    fingerprint      TEXT,
    tolerances       TEXT,
    upload_ids       TEXT,
    findings         INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS run_findings (
    run        INTEGER NOT NULL REFERENCES detection_runs(run),
    finding_id TEXT NOT NULL,
    type       TEXT NOT NULL,
    enterprise_id TEXT,
    reo_kg     REAL NOT NULL,
    record     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS run_findings_run ON run_findings(run);
CREATE INDEX IF NOT EXISTS run_findings_id ON run_findings(finding_id, run);
CREATE TABLE IF NOT EXISTS reviews (
    review_id   INTEGER PRIMARY KEY,
    finding_id  TEXT NOT NULL,
    decision    TEXT NOT NULL CHECK (decision IN ('confirm', 'dismiss', 'reopen')),
    note        TEXT,
    reviewed_by TEXT NOT NULL,
    reviewed_at TEXT NOT NULL,
    run         INTEGER,
    reo_kg      REAL
);
CREATE INDEX IF NOT EXISTS reviews_finding ON reviews(finding_id);
CREATE TRIGGER IF NOT EXISTS reviews_no_update BEFORE UPDATE ON reviews
BEGIN SELECT RAISE(ABORT, 'the review log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS reviews_no_delete BEFORE DELETE ON reviews
BEGIN SELECT RAISE(ABORT, 'the review log is append-only'); END;
"""


def migrate_runs(db: sqlite3.Connection) -> None:
    """Schema 1 -> 2: the one kept run of ``finding_runs`` / ``findings`` (no ids, no
    fingerprint) becomes run 1 of ``detection_runs`` with its findings' ids computed; the old
    tables go. Runs inside the caller's transaction."""
    from flowgraph.investigations.identity import with_finding_ids

    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "finding_runs" not in tables:
        return
    old_runs = db.execute("SELECT run_id, ran_at FROM finding_runs ORDER BY run_id").fetchall()
    (have,) = db.execute("SELECT COUNT(*) FROM detection_runs").fetchone()
    if old_runs and have == 0 and "findings" in tables:
        old = pd.read_sql_query("SELECT * FROM findings", db).drop(columns=["run_id"])
        from flowgraph.analysis.findings import normalise

        findings = with_finding_ids(normalise(old)) if not old.empty else old.assign(finding_id=[])
        ran_at = old_runs[-1][1]
        db.execute(
            "INSERT INTO detection_runs (run, ran_at, findings) VALUES (1, ?, ?)",
            (ran_at, len(findings)),
        )
        _insert_findings(db, 1, findings)
    db.execute("DROP TABLE IF EXISTS findings")
    db.execute("DROP TABLE finding_runs")


def _insert_findings(db: sqlite3.Connection, run: int, findings: pd.DataFrame) -> None:
    db.executemany(
        "INSERT INTO run_findings (run, finding_id, type, enterprise_id, reo_kg, record) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                run,
                r["finding_id"],
                r["type"],
                r.get("enterprise_id"),
                r.get("reo_kg") or 0.0,
                record_json(r),
            )
            for r in finding_records(findings)
        ],
    )


class LocalRuns:
    """Runs and reviews on the SQLite connection ``self.connection`` (see module docstring)."""

    connection: sqlite3.Connection

    def registry_version(self) -> int | None:
        """The current registry version (None before any registry load)."""
        (version,) = self.connection.execute(
            "SELECT MAX(version) FROM registry_versions"
        ).fetchone()
        return version

    def save_run(
        self,
        record: RunRecord,
        findings: pd.DataFrame,
        reopenings: pd.DataFrame,
        *,
        previous: int | None,
    ) -> tuple[int, bool]:
        """Record a run with its findings (``finding_id`` filled) and the reviews that reopen
        grown dismissals, in one transaction. Returns (run number, recorded): a run identical
        to the latest (same fingerprint) is not recorded and the latest's number comes back.
        Raises RunConflict when the latest run is no longer ``previous``."""
        db = self.connection
        self._begin_write()  # LocalStore: read-only stores and a full disk say so
        try:
            latest = db.execute(
                "SELECT run, fingerprint FROM detection_runs ORDER BY run DESC LIMIT 1"
            ).fetchone()
            if latest is not None and latest[1] == record.fingerprint:
                db.execute("ROLLBACK")
                return latest[0], False
            if (latest[0] if latest else None) != previous:
                raise RunConflict(f"run {latest[0]} was recorded meanwhile")
            run = (latest[0] if latest else 0) + 1
            db.execute(
                "INSERT INTO detection_runs (run, ran_at, registry_version, fingerprint, "
                "tolerances, upload_ids, findings) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    run,
                    record.ran_at,
                    record.registry_version,
                    record.fingerprint,
                    record.tolerances_json,
                    json.dumps(sorted(int(u) for u in record.upload_ids)),
                    len(findings),
                ),
            )
            _insert_findings(db, run, findings)
            self._insert_reviews(reopenings.assign(run=run, reviewed_at=record.ran_at))
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return run, True

    def runs(self) -> pd.DataFrame:
        """Every recorded run, oldest first (RUN_COLUMNS; upload_ids as a list or None)."""
        return conform_runs(
            pd.read_sql_query(
                f"SELECT {', '.join(RUN_COLUMNS)} FROM detection_runs ORDER BY run",  # noqa: S608
                self.connection,
            )
        )

    def run_findings(self, run: int) -> pd.DataFrame:
        """The findings of run ``run`` (FINDING_COLUMNS + finding_id + run), as recorded."""
        rows = self.connection.execute(
            "SELECT record FROM run_findings WHERE run = ? ORDER BY rowid", (run,)
        ).fetchall()
        return findings_from_records([json.loads(r[0]) for r in rows], [run] * len(rows))

    def finding_appearances(self, finding_id: str) -> pd.DataFrame:
        """Every run's record of one finding, oldest first (FINDING_COLUMNS + finding_id + run)."""
        rows = self.connection.execute(
            "SELECT run, record FROM run_findings WHERE finding_id = ? ORDER BY run, rowid",
            (finding_id,),
        ).fetchall()
        return findings_from_records([json.loads(r[1]) for r in rows], [r[0] for r in rows])

    def first_runs(self) -> pd.DataFrame:
        """finding_id, first_run: the run that first reported each finding ever recorded."""
        return pd.read_sql_query(
            "SELECT finding_id, MIN(run) AS first_run FROM run_findings GROUP BY finding_id",
            self.connection,
        )

    def match_finding_ids(self, prefix: str) -> list[str]:
        """The distinct ids of recorded findings that start with ``prefix`` (sorted)."""
        rows = self.connection.execute(
            "SELECT DISTINCT finding_id FROM run_findings WHERE substr(finding_id, 1, ?) = ? "
            "ORDER BY finding_id",
            (len(prefix), prefix),
        ).fetchall()
        return [r[0] for r in rows]

    def save_reviews(self, reviews: pd.DataFrame) -> None:
        """Append reviews (REVIEW_COLUMNS but review_id) in one transaction: all or none (an id
        no recorded run reported: UsageError, nothing written)."""
        db = self.connection
        self._begin_write()
        try:
            ids = sorted(set(reviews["finding_id"]))
            known = {
                r[0]
                for r in db.execute(
                    "SELECT DISTINCT finding_id FROM run_findings "  # noqa: S608 - placeholders
                    f"WHERE finding_id IN ({', '.join('?' * len(ids))})",
                    ids,
                )
            }
            missing = [i for i in ids if i not in known]
            if missing:
                raise UsageError(f"{', '.join(missing)}: no finding of any recorded run")
            self._insert_reviews(reviews)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _insert_reviews(self, reviews: pd.DataFrame) -> None:
        columns = [c for c in REVIEW_COLUMNS if c != "review_id"]
        frame = reviews.reindex(columns=columns).astype(object)
        frame = frame.where(frame.notna(), None)
        self.connection.executemany(
            f"INSERT INTO reviews ({', '.join(columns)}) "  # noqa: S608 - fixed names
            f"VALUES ({', '.join('?' * len(columns))})",
            list(frame.itertuples(index=False, name=None)),
        )

    def reviews(self, finding_ids: list[str] | None = None) -> pd.DataFrame:
        """The review log (REVIEW_COLUMNS), oldest first; only these findings' when given."""
        query = f"SELECT {', '.join(REVIEW_COLUMNS)} FROM reviews"  # noqa: S608
        params: list = []
        if finding_ids is not None:
            query += f" WHERE finding_id IN ({', '.join('?' * len(finding_ids))})"
            params = list(finding_ids)
        return conform_reviews(
            pd.read_sql_query(query + " ORDER BY review_id", self.connection, params=params)
        )
