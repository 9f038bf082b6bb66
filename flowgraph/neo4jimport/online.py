"""``flowgraph --store bolt://… load --bulk``: the bulk importer into a server's empty database.

``bulk_load(paths, uri=..., neo4j_home=...)`` checks over Bolt that the database at ``uri`` is
empty (no node at all: a registry loaded first counts too), stops the server, writes the
database with the offline importer (``bulk_import``), starts the server again and creates the
store's constraints and indexes, waiting until they are online, so the store is ready for
``registry load``, ``load``, ``detect`` as after a file-by-file load.

Only a server ``scripts/neo4j-local`` runs in ``neo4j_home`` (its pid file and its ready line
naming that port) is stopped and started here; any other running server is refused with what
to do instead (stop it, then ``flowgraph neo4j-import … --overwrite``), and so is a stopped one
whose database already exists (whether it is empty cannot be seen without the server).

Example (needs Java and a server, so not run as a doctest)::

    result = bulk_load(["history/"], uri="bolt://127.0.0.1:7687", neo4j_home=".neo4j/data")
    result.seconds  # {'stop': ..., 'stage': ..., 'csv': ..., 'import': ..., 'start': ..., ...}
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

from flowgraph.config import child_environment, neo4j_auth
from flowgraph.errors import StoreUnavailable, UsageError
from flowgraph.neo4jimport import BulkImportResult, _database_folder, bulk_import

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts" / "neo4j-local"


def local_server(home: Path, uri: str) -> int | None:
    """The pid of the scripts/neo4j-local server running in ``home`` and answering ``uri``'s
    port, else None."""
    try:
        pid = int((home / "neo4j-local.pid").read_text().strip())
        os.kill(pid, 0)
        log = (home / "neo4j-local.log").read_text(encoding="utf-8", errors="replace")
    except (OSError, ValueError):
        return None
    ready = re.findall(r"neo4j-local: ready on bolt://[^:\s]+:(\d+)", log)
    return pid if ready and ready[-1] == str(urlsplit(uri).port or 7687) else None


def _count_nodes(uri: str) -> int | None:
    """Nodes in the database at ``uri`` (at most 1 counted), or None when no server answers."""
    from flowgraph.store.neo4j import Neo4jStore

    try:
        store = Neo4jStore.connect(uri)
    except StoreUnavailable:
        return None
    try:
        with store.driver.session(database=store.database) as session:
            return session.run("MATCH (n) RETURN count(*) AS n LIMIT 1").single()["n"]
    finally:
        store.close()


def _script(name: str, home: Path, uri: str) -> None:
    auth = neo4j_auth(uri)
    overrides = {"NEO4J_DATA_DIR": str(home), "NEO4J_PORT": str(urlsplit(uri).port or 7687)}
    if auth.password is not None:  # start.sh sets it on every start: keep the server's own
        overrides["NEO4J_PASSWORD"] = auth.password
    done = subprocess.run(
        [str(SCRIPTS / name)], env=child_environment(**overrides), capture_output=True, text=True
    )
    if done.returncode != 0:
        lines = [line for line in (done.stderr + done.stdout).splitlines() if line.strip()]
        raise UsageError(f"{name} failed: {lines[-1] if lines else f'exit {done.returncode}'}")


def bulk_load(
    paths,
    *,
    uri: str,
    neo4j_home: str | Path,
    admin: str | None = None,
    workdir: str | Path | None = None,
) -> BulkImportResult:
    """Bulk-import ``paths`` into the empty database of the server at ``uri`` whose home is
    ``neo4j_home``; see the module docstring. ``seconds`` has the steps: stop, stage, csv,
    import, start, schema."""
    from flowgraph.store.neo4j import Neo4jStore, safe_uri

    home = Path(neo4j_home).resolve()
    if not home.is_dir():
        raise UsageError(f"--neo4j-home {home}: no such folder")
    shown = safe_uri(uri)
    nodes = _count_nodes(uri)
    pid = local_server(home, uri)
    if nodes:
        raise UsageError(
            f"--bulk writes an empty database only: {shown} already holds data; load the "
            "files without --bulk"
        )
    if nodes is None and pid is None:
        target = _database_folder(home, "neo4j")
        if target.exists() and any(target.iterdir()):
            raise UsageError(
                f"no server answers at {shown}, so whether its database in {home} is empty "
                "cannot be checked: start it and run again, or replace the database with "
                "`flowgraph neo4j-import PATH... --neo4j-home HOME --overwrite`"
            )
    elif pid is None:
        raise UsageError(
            f"{shown} is not a scripts/neo4j-local server of {home} that flowgraph can stop: "
            "stop it, run `flowgraph neo4j-import PATH... --neo4j-home HOME --overwrite`, "
            "then start it"
        )
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    if pid is not None:
        _script("stop.sh", home, uri)
    seconds["stop"] = time.perf_counter() - started
    try:
        result = bulk_import(paths, neo4j_home=home, admin=admin, overwrite=True, workdir=workdir)
    except UsageError as e:
        if pid is None:
            raise
        raise UsageError(
            f"{e} (the server of {home} was stopped for the import: left stopped)"
        ) from e
    result.seconds = {**seconds, **result.seconds}
    if pid is None:  # it was not running: started by whoever runs it
        return result
    started = time.perf_counter()
    _script("start.sh", home, uri)
    result.seconds["start"] = time.perf_counter() - started
    started = time.perf_counter()
    store = Neo4jStore.connect(uri)
    try:
        store.ensure_schema()
        with store.driver.session(database=store.database) as session:
            session.run("CALL db.awaitIndexes(600)").consume()
    finally:
        store.close()
    result.seconds["schema"] = time.perf_counter() - started
    return result
