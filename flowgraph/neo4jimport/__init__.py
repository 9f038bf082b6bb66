"""Bulk backfill of an empty Neo4j database with Neo4j's offline importer.

``bulk_import(paths, neo4j_home=...)`` builds the graph ``flowgraph load`` would build from the
same files, without a running server:

1. the files are loaded one by one into a scratch embedded store (the same parsing, validation,
   supersession and cross-upload checks as ``flowgraph load``; a rejected file is reported and
   left out, exactly as ``load`` does);
2. its uploads (history included) and events become node and relationship CSV files
   (``flowgraph.neo4jimport.tables``);
3. ``neo4j-admin database import full`` writes them into the database folder of the Neo4j home
   (the server must be stopped; Neo4j's importer refuses a database in use).

Start the server afterwards: the store creates its constraints and indexes on first use, and
``flowgraph registry load DIR`` / ``flowgraph load`` work as on any store.

Example (needs Java and the Neo4j jars, so not run as a doctest)::

    result = bulk_import(["uploads/"], neo4j_home="/var/lib/neo4j", overwrite=True)
    result.summary.line()
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from flowgraph.config import Environment, child_environment
from flowgraph.errors import UsageError
from flowgraph.ingest import LoadSummary, load_files
from flowgraph.neo4jimport.tables import Table, graph_tables, numbered
from flowgraph.store import eventcodec
from flowgraph.store.local import LocalStore

_REPO_ADMIN = Path(__file__).resolve().parents[2] / "scripts" / "neo4j-local" / "neo4j-admin"


@dataclass
class BulkImportResult:
    """What a bulk import did: the staged load's summary, what was imported, seconds per step."""

    summary: LoadSummary
    nodes: int = 0
    relationships: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def find_admin(admin: str | None = None) -> list[str]:
    """The neo4j-admin command: ``admin``, else NEO4J_ADMIN, else ``neo4j-admin`` on PATH, else
    the one scripts/neo4j-local provides (the jars the local server runs on)."""
    chosen = admin or Environment.read().neo4j_admin
    if chosen:
        return [chosen]
    on_path = shutil.which("neo4j-admin")
    if on_path:
        return [on_path]
    if _REPO_ADMIN.is_file():
        return [str(_REPO_ADMIN)]
    raise UsageError("neo4j-admin not found: give --admin PATH or set NEO4J_ADMIN")


def history_events(store: LocalStore) -> pd.DataFrame:
    """Events of the superseded uploads of an embedded store, by upload then row."""
    rows = store.connection.execute(
        "SELECT u.upload_id, e.data FROM uploads u JOIN upload_events e USING (upload_id) "
        "WHERE u.superseded_by IS NOT NULL ORDER BY u.upload_id"
    ).fetchall()
    return eventcodec.decode_events([r[1] for r in rows], [r[0] for r in rows])


def _id_lists(events: pd.DataFrame) -> dict[int, tuple[list[str], list[str]]]:
    """upload id -> (distinct event ids, distinct batch ids) in file order."""
    out = {}
    for upload_id, rows in events.groupby("upload_id", sort=False):
        out[int(upload_id)] = (
            [str(x) for x in rows["event_id"].dropna().unique()],
            [str(x) for x in rows["batch_id"].dropna().unique()],
        )
    return out


@dataclass(frozen=True)
class CsvFile:
    """One written table: ``kind`` nodes | relationships, its label or type, its path, and
    whether a value in it spans lines (the importer then parses that file, and only that one,
    in its slower multi-line mode)."""

    kind: str
    label: str
    path: Path
    multiline: bool = False


def write_tables(tables: dict[str, Table], directory: Path) -> list[CsvFile]:
    """Each non-empty table as ``directory/NAME.csv``."""
    written = []
    for name, (kind, label, frame) in tables.items():
        if frame.empty:
            continue
        path = directory / f"{name}.csv"
        # Arrow's CSV writer: ~5x pandas' to_csv here; nulls (None, NaN, <NA>) become empty
        # fields, which the importer stores as absent properties, as the Bolt path does.
        table = pa.Table.from_pandas(frame, preserve_index=False)
        pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))
        written.append(CsvFile(kind, label, path, _spans_lines(table)))
    return written


def _spans_lines(table: pa.Table) -> bool:
    """Whether a text value holds a line break (a note may; ids and codes never do)."""
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            if pc.any(pc.match_substring_regex(column, "[\\r\\n]")).as_py():
                return True
    return False


def admin_arguments(files: list[CsvFile], database: str, overwrite: bool, report: Path) -> list:
    """neo4j-admin arguments importing ``files`` into ``database`` (its report to ``report``).

    >>> admin_arguments([CsvFile("nodes", "Lot", Path("lots.csv"))], "neo4j", False, Path("r"))[:4]
    ['database', 'import', 'full', '--nodes=Lot=lots.csv']
    """
    args = ["database", "import", "full"]
    args += [f"--{f.kind}={f.label}={f.path}" for f in files]
    args.append(f"--report-file={report}")
    # Nodes carry their record id (tables.numbered): no string id mapping. Ids, notes and file
    # names may hold ';' or ','.
    args += ["--id-type=actual", "--array-delimiter=U+001F", "--skip-bad-relationships=false"]
    spanning = [str(f.path) for f in files if f.multiline]
    if spanning:
        # Multi-line parsing only where a value needs it: for every file it doubled the
        # importer's relationship phase at scale 100.
        args += ["--multiline-fields-format=v2", f"--multiline-fields={','.join(spanning)}"]
    if overwrite:
        args.append("--overwrite-destination")
    return [*args, database]


def _database_folder(home: Path, database: str) -> Path:
    return home / "data" / "databases" / database


def bulk_import(
    paths,
    *,
    neo4j_home: str | Path,
    database: str = "neo4j",
    admin: str | None = None,
    overwrite: bool = False,
    workdir: str | Path | None = None,
) -> BulkImportResult:
    """Load upload files and folders into Neo4j's database ``database`` under ``neo4j_home``
    through the offline importer; see the module docstring. ``overwrite``: replace a database
    that exists (it must not be in use); without it an existing database is a UsageError.
    ``workdir``: where the scratch store and the CSV files go (a temporary folder by default,
    removed afterwards).
    """
    home = Path(neo4j_home)
    if not home.is_dir():
        raise UsageError(f"--neo4j-home {home}: no such folder")
    target = _database_folder(home, database)
    if target.exists() and any(target.iterdir()) and not overwrite:
        raise UsageError(
            f"database {database!r} already exists in {home} ({target}); the bulk import "
            "writes a database from nothing: --overwrite replaces it (stop the server first)"
        )
    command = find_admin(admin)
    result = BulkImportResult(LoadSummary())
    scratch = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="flowgraph-import-"))
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        start = time.perf_counter()
        stage = LocalStore.open(scratch / "stage.db")
        try:
            result.summary = load_files(stage, paths)
            result.seconds["stage"] = time.perf_counter() - start
            start = time.perf_counter()
            uploads = stage.uploads(include_history=True).sort_values("upload_id")
            current, history = stage.events(), history_events(stage)
        finally:
            stage.close()
        if uploads.empty:
            return result
        ids = _id_lists(pd.concat([current, history], ignore_index=True))
        tables = numbered(graph_tables(uploads, current, history, ids))
        files = write_tables(tables, scratch)
        result.nodes = sum(len(f) for k, _, f in tables.values() if k == "nodes")
        result.relationships = sum(len(f) for k, _, f in tables.values() if k != "nodes")
        result.seconds["csv"] = time.perf_counter() - start
        start = time.perf_counter()
        _run_admin(
            command,
            admin_arguments(files, database, overwrite, scratch / "import.report"),
            home,
        )
        result.seconds["import"] = time.perf_counter() - start
        return result
    finally:
        if not workdir:
            shutil.rmtree(scratch, ignore_errors=True)


def _run_admin(command: list[str], args: list[str], home: Path) -> None:
    env = child_environment(NEO4J_HOME=str(home.resolve()))
    done = subprocess.run([*command, *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        lines = [line for line in (done.stderr + done.stdout).splitlines() if line.strip()]
        why = next((line for line in reversed(lines) if "rror" in line or "in use" in line), None)
        raise UsageError(
            f"neo4j-admin database import failed (exit {done.returncode}): "
            f"{(why or (lines[-1] if lines else 'no output')).strip()}"
        )
