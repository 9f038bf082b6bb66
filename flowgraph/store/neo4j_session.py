"""The Neo4j store's plumbing, mixed into ``Neo4jStore``: sessions, read and write transactions,
a statement of the investigators' own run read-only, the server's failures turned into
FlowgraphError children naming the server (never its password), and the schema (constraints,
indexes) created once per store object.

Everything the store reads or writes goes through ``_read`` / ``_write`` here, so what a lost
server or a refusal says is decided in one place (neo4j_read.py, neo4j_write.py and
neo4j_runs.py hold the queries).
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit, urlunsplit

import neo4j
import pandas as pd
from neo4j.exceptions import AuthError, ClientError, Neo4jError, ServiceUnavailable

from flowgraph.errors import FlowgraphError, QueryRefused, StoreUnavailable
from flowgraph.store import neo4j_runs
from flowgraph.store import neo4j_schema as q


def safe_uri(uri: str) -> str:
    """The URI without any user:password part, fit for messages.

    >>> safe_uri("bolt://neo4j:secret@db.example:7687")
    'bolt://db.example:7687'
    """
    parts = urlsplit(uri)
    if "@" not in parts.netloc:
        return uri
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def _plain(value):
    """Driver values to plain Python (neo4j dates to datetime.date, lists and maps kept; the
    detector queries' ``facts`` maps hold dates)."""
    if hasattr(value, "to_native"):
        return value.to_native()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def failure_reason(error: Exception) -> str:
    """What went wrong, in one line fit for a message (the driver's texts run to many).

    >>> failure_reason(ValueError("bad URI\\nmore detail"))
    'bad URI'
    """
    if isinstance(error, AuthError):
        return "authentication failed (check NEO4J_USERNAME / NEO4J_PASSWORD)"
    if isinstance(error, ServiceUnavailable):
        text = str(error)
        if "refused" in text.lower():
            return "connection refused"
        return text.splitlines()[0] if text else "service unavailable"
    if isinstance(error, Neo4jError):
        return error.message or error.code or type(error).__name__
    return str(error).splitlines()[0] if str(error) else type(error).__name__


class Neo4jSession:
    """Sessions and transactions on ``self.driver`` (see module docstring)."""

    driver: neo4j.Driver
    database: str | None
    uri: str
    _schema_ready: bool
    _schema_lock: threading.Lock  # these are set by Neo4jStore.__init__

    def _session(self, read_only: bool = False) -> neo4j.Session:
        mode = neo4j.READ_ACCESS if read_only else neo4j.WRITE_ACCESS
        return self.driver.session(database=self.database, default_access_mode=mode)

    def _read(self, query: str, **params) -> list[dict]:
        def work(tx: neo4j.ManagedTransaction) -> list[dict]:
            return [record.data() for record in tx.run(query, params)]

        return self._call(lambda: self._run_read(work))

    def read(self, cypher: str, /, **params) -> pd.DataFrame:
        """Run one Cypher statement in a READ transaction with ``params`` as parameters; its
        rows as a DataFrame (driver dates as ``datetime.date``, text None when absent).

        For investigators and notebooks: the server refuses a statement that writes
        (QueryRefused, ``wrote=True``); a lost server is StoreUnavailable. Example (needs a
        server)::

            store.read("MATCH (l:Lot {id: $lot}) RETURN l.product AS product", lot="L-1")
        """

        def work(tx: neo4j.ManagedTransaction):
            result = tx.run(cypher, params)
            keys = result.keys()
            return keys, [[_plain(v) for v in record.values()] for record in result]

        try:
            keys, rows = self._call(lambda: self._run_read(work))
        except FlowgraphError as e:
            cause = e.__cause__
            if not isinstance(cause, ClientError):
                raise
            code = cause.code or ""
            wrote = any(m in code for m in ("AccessMode", "WriteOnReadOnly", "Forbidden"))
            raise QueryRefused(cause.message or code, wrote) from cause
        frame = pd.DataFrame(rows, columns=list(keys))
        for column in frame.columns:  # text columns: None stays None (not NaN) for JSON
            if not pd.api.types.is_numeric_dtype(frame[column]):
                values = frame[column].astype(object)
                frame[column] = values.where(values.notna(), None)
        return frame

    def _run_read(self, work):
        with self._session(read_only=True) as session:
            return session.execute_read(work)

    def _write(self, work):
        self.ensure_schema()

        def run():
            with self._session() as session:
                return session.execute_write(work)

        return self._call(run)

    def _call(self, fn):
        """Run fn, turning a lost server into StoreUnavailable and a refusal into FlowgraphError."""
        try:
            return fn()
        except (ServiceUnavailable, AuthError, neo4j.exceptions.SessionExpired) as e:
            raise StoreUnavailable(
                f"cannot reach Neo4j at {safe_uri(self.uri)}: {failure_reason(e)}"
            ) from e
        except ClientError as e:
            raise FlowgraphError(
                f"Neo4j at {safe_uri(self.uri)} refused: {failure_reason(e)}"
            ) from e

    def ensure_schema(self) -> None:
        """Create the uniqueness constraints and indexes (IF NOT EXISTS) once per store object."""
        if self._schema_ready:
            return

        def run():
            with self._session() as session:
                for statement in (
                    q.CONSTRAINTS + neo4j_runs.CONSTRAINTS + q.INDEXES + neo4j_runs.INDEXES
                ):
                    # managed: a schema change racing another load's writes is a transient
                    # error the driver retries
                    try:
                        session.execute_write(lambda tx, s=statement: tx.run(s).consume())
                    except ClientError as e:
                        # IF NOT EXISTS is not atomic across sessions: another process creating
                        # the same rule at the same moment makes ours "already exists"
                        if not _already_exists(e):
                            raise

        with self._schema_lock:  # writer lanes start together
            if not self._schema_ready:
                self._call(run)
                self._schema_ready = True


def _already_exists(error: ClientError) -> bool:
    """The schema rule ``error`` refused is already there (created by a concurrent session)."""
    code = error.code or ""
    return code.endswith(
        ("EquivalentSchemaRuleAlreadyExists", "IndexAlreadyExists", "ConstraintAlreadyExists")
    )
