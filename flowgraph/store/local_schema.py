"""The embedded store's file layout: its SQLite tables and schema version, and bringing an older
file up to date.

Kept apart from the code that reads and writes the tables (local.py, local_uploads.py,
local_events.py, local_runs.py) so the whole layout of a store file reads in one place; the
runs' and reviews' tables (``RUNS_SCHEMA``) stay with their code in local_runs.py.
"""

from __future__ import annotations

import sqlite3

from flowgraph.model import CONTROL_COLUMNS, CUSTOMS_COLUMNS, LICENCE_COLUMNS
from flowgraph.store.local_runs import RUNS_SCHEMA, migrate_runs

# 1: the latest detection run only (finding_runs / findings); 2: every run and the review log
# (local_runs.py), opening a version-1 file migrates it.
SCHEMA_VERSION = 2

SCHEMA = """
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
# SPEC §7 registers: table name -> its columns (a registry version may hold any of them)
REGISTER_TABLES = {
    "customs": CUSTOMS_COLUMNS,
    "licences": LICENCE_COLUMNS,
    "controls": CONTROL_COLUMNS,
}


def create_or_migrate(db: sqlite3.Connection) -> None:
    """Create the tables of a new file, and bring an older file's schema up to date in one
    transaction (a second process opening the file at the same moment waits for it).

    >>> db = sqlite3.connect(":memory:", isolation_level=None)
    >>> create_or_migrate(db)
    >>> db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    ('2',)
    """
    db.executescript(SCHEMA + RUNS_SCHEMA)  # IF NOT EXISTS throughout: idempotent
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
