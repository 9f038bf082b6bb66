"""The Neo4j store: the supply-chain graph of record, same contract as the embedded store.

Every event is one relationship carrying all its columns (EXTRACTED, IMPORTED, SENT, RECEIVED,
EXPORTED, INPUT_TO, YIELDED, LOST, HELD) between Enterprise, Lot, Shipment and Batch nodes, so
``events()`` reads the table back exactly and investigators walk the same graph. Each upload
file is written in ONE transaction (``UNWIND $rows`` batches of 10k); a superseded upload's
relationships leave the current graph and stay in history as ``(:Upload)-[:RECORDED]->(:Event)``.
Model and diagram: docs/neo4j-model.md.

This module holds ``Neo4jStore`` itself (connecting, the store object's settings) and gathers
its parts from modules of one concept each: neo4j_session.py (sessions, transactions, errors,
the schema), neo4j_write.py (uploads, registry versions and carry-overs written),
neo4j_read.py (the same read back, events streamed) and neo4j_runs.py (detection runs and the
review log); neo4j_schema.py and neo4j_rows.py hold their statements and rows.
"""

from __future__ import annotations

import threading

import neo4j
import pandas as pd
from neo4j.exceptions import DriverError, Neo4jError

from flowgraph.config import Neo4jAuth, neo4j_auth
from flowgraph.errors import StoreUnavailable
from flowgraph.store import neo4j_runs
from flowgraph.store.neo4j_read import EVENTS_CHUNK, Neo4jReads, event_frame
from flowgraph.store.neo4j_rows import BATCH_SIZE
from flowgraph.store.neo4j_session import Neo4jSession, safe_uri
from flowgraph.store.neo4j_session import failure_reason as _reason
from flowgraph.store.neo4j_write import Neo4jWrites

# Names this module always had, for code importing them from here.
__all__ = ["EVENTS_CHUNK", "WRITERS", "Neo4jStore", "event_frame", "safe_uri"]

# Concurrent writer lanes for `load` (FLOWGRAPH_WRITERS overrides, see config.Environment): two measured ~1.3-1.5x one on
# a 2-core machine, where the server's transaction thread is the bottleneck.
WRITERS = 2


class Neo4jStore(Neo4jWrites, Neo4jReads, neo4j_runs.Neo4jRuns, Neo4jSession):
    """The Neo4j store. ``Neo4jStore.connect(uri)`` opens a driver (credentials from
    ``flowgraph.config``); the constructor takes a ready driver and does no I/O.

    Example (needs a server, so not run as a doctest)::

        store = Neo4jStore.connect("bolt://127.0.0.1:7687")
        store.save_upload(loaders.read_upload("E017/2024-03.csv"))
        events = store.events(year=2024)
    """

    def __init__(self, driver: neo4j.Driver, database: str | None, uri: str):
        self.driver = driver
        self.database = database
        self.uri = uri
        self.read_only = False  # the server says what a user may write
        self._schema_ready = False
        self._schema_lock = threading.Lock()
        self._keys: dict[int, tuple[frozenset, frozenset]] = {}  # upload id -> its id sets
        self.batch_size = BATCH_SIZE  # rows per UNWIND statement (all in the file's transaction)
        # Files of different enterprises may be written concurrently (ingest.load_files runs one
        # lane per writer; each enterprise's files stay in order in one lane).
        self.writers = WRITERS
        self.events_chunk = EVENTS_CHUNK  # rows per typed frame while events() streams

    @classmethod
    def connect(cls, uri: str, auth: Neo4jAuth | None = None) -> Neo4jStore:
        """Open a driver and check it works. ``auth``: by default ``config.neo4j_auth(uri)``
        (NEO4J_USERNAME / NEO4J_PASSWORD / NEO4J_DATABASE; the local dev password only for a
        server on this machine).

        Raises StoreUnavailable naming the URI (never the password) when the server is down,
        refuses the credentials or has no such database.
        """
        auth = neo4j_auth(uri) if auth is None else auth
        user, password, database = auth.username, auth.password, auth.database
        shown = safe_uri(uri)
        try:
            driver = neo4j.GraphDatabase.driver(
                uri,
                auth=(user, password) if password is not None else None,
                connection_timeout=10,
                max_transaction_retry_time=10,
                notifications_min_severity="OFF",
            )
        except (ValueError, DriverError) as e:
            raise StoreUnavailable(f"cannot reach Neo4j at {shown}: {_reason(e)}") from None
        try:
            # verify_connectivity and an auto-commit query fail fast (no transaction retries),
            # the latter also proving the database exists and the credentials work.
            driver.verify_connectivity()
            with driver.session(database=database) as session:
                session.run("RETURN 1").consume()
        except (DriverError, Neo4jError, OSError) as e:
            driver.close()
            raise StoreUnavailable(f"cannot reach Neo4j at {shown}: {_reason(e)}") from None
        return cls(driver, database, uri)

    def close(self) -> None:
        self.driver.close()

    def detect_in_database(self, **options) -> pd.DataFrame:
        """Findings computed on the server by the Cypher detectors; see
        ``flowgraph.store.neo4j_detect.detect_in_database`` (same options as analysis.detect)."""
        from flowgraph.store.neo4j_detect import detect_in_database

        return detect_in_database(self, **options)
