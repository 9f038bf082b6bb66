"""The Neo4j store: the supply-chain graph of record, same contract as the embedded store.

Every event is one relationship carrying all its columns (EXTRACTED, IMPORTED, SENT, RECEIVED,
EXPORTED, INPUT_TO, YIELDED, LOST, HELD) between Enterprise, Lot, Shipment and Batch nodes, so
``events()`` reads the table back exactly and investigators walk the same graph. Each upload
file is written in ONE transaction (``UNWIND $rows`` batches of 10k); a superseded upload's
relationships leave the current graph and stay in history as ``(:Upload)-[:RECORDED]->(:Event)``.
Model and diagram: docs/neo4j-model.md.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import neo4j
import numpy as np
import pandas as pd
from neo4j.exceptions import AuthError, ClientError, DriverError, Neo4jError, ServiceUnavailable

from flowgraph.config import Neo4jAuth, neo4j_auth
from flowgraph.encoding import concat_events, encode_text
from flowgraph.errors import FlowgraphError, QueryRefused, StoreUnavailable
from flowgraph.model import Registry, Upload
from flowgraph.store import eventcodec, neo4j_runs
from flowgraph.store import neo4j_schema as q
from flowgraph.store.base import LoadResult, RegistryResult
from flowgraph.store.decision import StoredUpload, decide_registry, decide_save
from flowgraph.store.idkeys import EnterpriseKeys
from flowgraph.store.neo4j_rows import (
    BATCH_SIZE,
    chunks,
    register_rows,
    registry_rows,
    upload_props,
    write_rows,
)
from flowgraph.store.readback import (
    UPLOAD_COLUMNS,
    conform_events,
    conform_uploads,
    registry_frames,
)
from flowgraph.store.readback import in_upload_order as _in_order

# Concurrent writer lanes for `load` (FLOWGRAPH_WRITERS overrides, see config.Environment): two measured ~1.3-1.5x one on
# a 2-core machine, where the server's transaction thread is the bottleneck.
WRITERS = 2
# events() turns the streamed rows into a typed frame every EVENTS_CHUNK rows.
EVENTS_CHUNK = 50_000


def _take_upload_ids(tx: neo4j.ManagedTransaction, count: int) -> range:
    first = tx.run(q.NEXT_UPLOAD_IDS, count=count).single()["first"]
    return range(first, first + count)


def event_frame(values: list[list], keys: list[str]) -> pd.DataFrame:
    """READ_EVENTS rows (lists in ``keys`` order) as an event table in the store schema."""
    return conform_events(pd.DataFrame(values, columns=keys))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


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


def _reason(error: Exception) -> str:
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


class Neo4jStore(neo4j_runs.Neo4jRuns):
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

    # -- plumbing --------------------------------------------------------------------------

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
                f"cannot reach Neo4j at {safe_uri(self.uri)}: {_reason(e)}"
            ) from e
        except ClientError as e:
            raise FlowgraphError(f"Neo4j at {safe_uri(self.uri)} refused: {_reason(e)}") from e

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

    # -- uploads ---------------------------------------------------------------------------

    def find_current_by_sha(self, sha256: str) -> tuple[str, str] | None:
        rows = self._read(q.FIND_BY_SHA, sha=sha256)
        return (rows[0]["enterprise_id"], rows[0]["period"]) if rows else None

    def current_shas(self) -> dict[str, tuple[str, str]]:
        return {r["sha256"]: (r["enterprise_id"], r["period"]) for r in self._read(q.CURRENT_SHAS)}

    def save_upload(self, upload: Upload, upload_id: int | None = None) -> LoadResult:
        """Store one validated upload in one transaction; see Store.save_upload.

        ``upload_id`` is an id from ``reserve_upload_ids`` (``load_files`` reserves them in file
        order, so ids follow the files even when lanes store them concurrently); without it
        the store reserves one when the file turns out to need writing.
        """
        rows = write_rows(upload.events)
        # The id survives the driver's retries of the transaction function.
        reserved: list[int] = [] if upload_id is None else [int(upload_id)]
        return self._write(lambda tx: self._save_upload(tx, upload, rows, reserved))

    def reserve_upload_ids(self, count: int = 1) -> range:
        """The next ``count`` upload ids, consecutive, committed at once (ids a load then does
        not use, e.g. for a file rejected by the cross-upload check, stay unused)."""
        self.ensure_schema()

        def run() -> range:
            with self._session() as session:
                return session.execute_write(_take_upload_ids, max(1, count))

        return self._call(run)

    def _next_upload_id(self, reserved: list[int]) -> int:
        if not reserved:
            reserved.append(self.reserve_upload_ids(1)[0])
        return reserved[0]

    def _save_upload(
        self,
        tx: neo4j.ManagedTransaction,
        upload: Upload,
        rows: dict[str, list[dict]],
        reserved: list[int],
    ) -> LoadResult:
        ent, period = upload.identity
        state = tx.run(q.UPLOAD_STATE, ent=ent, period=period).single()
        history = [StoredUpload(**h) for h in state["history"]]
        self._read_upload_keys(tx, [o["upload_id"] for o in state["others"]])
        keys = EnterpriseKeys.of_periods(
            {o["period"]: self._keys[o["upload_id"]] for o in state["others"]}
        )
        decision = decide_save(upload, history, keys)
        if not decision.writes:
            return decision.result(upload)
        old = decision.supersedes
        props = upload_props(upload, 0, decision.revision, _now())
        # The first batch_size rows of each type travel with the (:Upload) in one statement,
        # any further ones (very large files) in 10k batches after it.
        batches = {
            kind: list(chunks(kind_rows, self.batch_size)) for kind, kind_rows in rows.items()
        }
        first = {kind: parts[0] for kind, parts in batches.items()}
        upload_id = self._next_upload_id(reserved)
        tx.run(q.SAVE_UPLOAD, ent=ent, props=props, old=old, uid=upload_id, rows=first).consume()
        # The next month's file needs these (a failed write leaves an id no upload will have).
        self._keys[upload_id] = (frozenset(props["event_ids"]), frozenset(props["batch_ids"]))
        for kind, parts in batches.items():
            for chunk in parts[1:]:
                tx.run(q.WRITE_EVENTS[kind], ent=ent, uid=upload_id, rows=chunk).consume()
        if old is not None:
            self._retire(tx, ent, old)
        # Register links follow the enterprise's current IMPORTED / EXPORTED events: a revision
        # may rename or drop the documents they name (dropped and rebuilt, same transaction); a
        # new file only adds (MERGE), and one without imports or exports changes none (most
        # files: measured +~6 ms a file at synth scale 5 when every file relinked).
        relink = q.DROP_ENTERPRISE_REGISTER_LINKS if old is not None else ()
        if old is not None or rows.get("import") or rows.get("export"):
            relink += q.LINK_ENTERPRISE_REGISTERS
        for statement in relink:
            tx.run(statement, ent=ent).consume()
        return decision.result(upload, upload_id)

    def _read_upload_keys(self, tx: neo4j.ManagedTransaction, upload_ids: list[int]) -> None:
        """Cache (event ids, batch ids) of stored uploads, each read once per store object: an
        upload's ids never change, and re-reading every other month's lists for each file made
        a year of loading quadratic in its months."""
        missing = [i for i in upload_ids if i not in self._keys]
        if missing:
            for record in tx.run(q.UPLOAD_KEYS, ids=missing):
                self._keys[record["upload_id"]] = (
                    frozenset(record["event_ids"] or ()),
                    frozenset(record["batch_ids"] or ()),
                )

    @staticmethod
    def _retire(tx: neo4j.ManagedTransaction, ent: str, old: int) -> None:
        """Move a superseded upload's event relationships to history; drop emptied nodes."""
        tx.run(q.ARCHIVE_ENTERPRISE_EVENTS, old=old, ent=ent).consume()
        tx.run(q.ARCHIVE_YIELDED, old=old, ent=ent).consume()
        tx.run(q.ARCHIVE_INPUT_TO, old=old, ent=ent).consume()
        named = tx.run(q.RETIRED_NAMES, old=old).single()
        tx.run(q.DROP_EMPTY_BATCHES, ent=ent).consume()
        tx.run(q.DROP_STALE_SHIPMENT_LINKS, shipments=named["shipments"]).consume()
        tx.run(q.DROP_EMPTY_SHIPMENTS, shipments=named["shipments"]).consume()
        tx.run(q.DROP_ORPHAN_LOTS, lots=named["lots"]).consume()

    def uploads(self, include_history: bool = False) -> pd.DataFrame:
        return conform_uploads(
            pd.DataFrame(
                self._read(q.READ_UPLOADS, history=include_history), columns=UPLOAD_COLUMNS
            )
        )

    # -- events ----------------------------------------------------------------------------

    def events(
        self, period: str | None = None, year: int | None = None, *, encoded: bool = False
    ) -> pd.DataFrame:
        """Current events in the EVENT_COLUMNS schema, ordered by upload then row (``encoded``:
        text columns as categoricals).

        Rows stream from the server unsorted (so the server never holds the result) and are
        turned into typed frames ``events_chunk`` rows at a time, so the client never holds the
        whole result as Python records (~10x the frame either); ``encoded``, each chunk's text
        columns become categoricals at once and the chunks' categories are united.
        """
        prefix = f"{year:04d}-" if year is not None else None
        return self._read_events(q.READ_EVENTS, {"period": period, "year": prefix}, encoded)

    def uploads_holding(self, ids: Iterable[str]) -> set[int]:
        """The current uploads with a row naming any of ``ids`` as lot, shipment or batch,
        found from the Lot, Shipment and Batch nodes' indexes (``flowgraph trace`` reads only
        those: analysis/tracescope.py)."""
        rows = self._read(q.UPLOADS_HOLDING, ids=sorted(set(ids)))
        return {int(r["upload_id"]) for r in rows}

    def events_of_uploads(self, upload_ids: Iterable[int]) -> pd.DataFrame:
        """The events of these current uploads, encoded, in store order (as ``events``)."""
        chosen = sorted({int(u) for u in upload_ids})
        return self._read_events(q.READ_UPLOAD_EVENTS, {"uploads": chosen}, True)

    def _read_events(self, query: str, params: dict, encoded: bool) -> pd.DataFrame:
        """Events of ``query`` (READ_EVENTS' columns), streamed ``events_chunk`` rows at a time."""

        def work(tx: neo4j.ManagedTransaction) -> list[pd.DataFrame]:
            result = tx.run(query, **params)
            keys, parts, values = result.keys(), [], []
            for record in result:
                values.append(record.values())
                if len(values) >= self.events_chunk:
                    parts.append(chunk(values, keys))
                    values = []
            if values:
                parts.append(chunk(values, keys))
            return parts

        def chunk(values: list, keys: list) -> pd.DataFrame:
            frame = event_frame(values, keys)
            return encode_text(frame) if encoded else frame

        parts = self._call(lambda: self._run_read(work))
        if not parts:
            return conform_events(pd.DataFrame(), encoded=encoded)
        frame = concat_events(parts) if encoded else pd.concat(parts, ignore_index=True)
        # Sorted here, not by the server: an ORDER BY makes the server hold the whole result
        # (a national year of 1.1 M events exhausted a 1 GB heap); (upload, row) is unique.
        order = np.lexsort((frame["source_row"].to_numpy(), frame["upload_id"].to_numpy()))
        frame = frame.take(order).reset_index(drop=True)
        return encode_text(frame) if encoded else frame  # categories in the rows' order again

    # -- carry-overs of detection by year (analysis/years.py) -------------------------------

    def carryover(self, year: int, fingerprint: str) -> pd.DataFrame | None:
        """The carry-over kept for ``year`` under ``fingerprint``, None when none is: one
        (:CarryOver) node per upload its rows come from, the rows as the embedded store's
        Arrow blob (a cache, not part of the graph of record)."""
        rows = self._read(
            "MATCH (c:CarryOver {year: $year}) RETURN c.upload_id AS upload_id, "
            "c.fingerprint AS fingerprint, c.data AS data ORDER BY upload_id",
            year=year,
        )
        if not rows or any(r["fingerprint"] != fingerprint for r in rows):
            return None
        kept = [r for r in rows if r["upload_id"] != 0]  # upload 0: kept empty
        return eventcodec.decode_events(
            [bytes(r["data"]) for r in kept], [r["upload_id"] for r in kept]
        )

    def save_carryover(self, year: int, fingerprint: str, events: pd.DataFrame) -> None:
        """Keep ``events`` as ``year``'s carry-over under ``fingerprint`` (replacing any); it
        reads back in upload then row order."""
        rows = [
            {"upload_id": int(upload), "data": eventcodec.encode_events(part)}
            for upload, part in _in_order(events).groupby("upload_id", sort=True)
        ] or [{"upload_id": 0, "data": b""}]

        def work(tx: neo4j.ManagedTransaction) -> None:
            tx.run("MATCH (c:CarryOver {year: $year}) DELETE c", year=year).consume()
            tx.run(
                "UNWIND $rows AS row CREATE (:CarryOver {year: $year, fingerprint: $fp, "
                "upload_id: row.upload_id, data: row.data})",
                rows=rows,
                year=year,
                fp=fingerprint,
            ).consume()

        self._write(work)

    # -- registry --------------------------------------------------------------------------

    def save_registry(self, registry: Registry, source: str) -> RegistryResult:
        enterprises, designations, quotas = registry_rows(registry)
        registers = register_rows(registry)
        held = {name: frame is not None for name, frame in registry.registers().items()}

        def work(tx: neo4j.ManagedTransaction) -> RegistryResult:
            latest = tx.run(q.LATEST_REGISTRY).single()
            decision = decide_registry(
                registry, *((latest["version"], latest["digest"]) if latest else (None, None))
            )
            if decision.status == "unchanged":
                return decision.result(registry)
            version = decision.version
            for statement in (
                "MATCH (v:RegistryVersion {current: true}) SET v.current = false",
                "MATCH (d:Designation {current: true}) SET d.current = false",
                "MATCH (x:Quota {current: true}) SET x.current = false",
                "MATCH (e:Enterprise {registered: true}) SET e.registered = false",
                *q.DROP_REGISTER_LINKS,  # retired versions keep no links
                *q.RETIRE_REGISTERS,
            ):
                tx.run(statement).consume()
            tx.run(
                "CREATE (:RegistryVersion {version: $version, source: $source, digest: $digest, "
                "loaded_at: $at, current: true, has_customs: $customs, has_licences: $licences, "
                "has_controls: $controls})",
                version=version,
                source=source,
                digest=decision.digest,
                at=_now(),
                **held,
            ).consume()
            for statement, rows in (
                (q.WRITE_ENTERPRISES, enterprises),
                (q.WRITE_DESIGNATIONS, designations),
                (q.WRITE_QUOTAS, quotas),
                (q.WRITE_CUSTOMS, registers["customs"]),
                (q.WRITE_LICENCES, registers["licences"]),
                (q.WRITE_CONTROLS, registers["controls"]),
            ):
                for chunk in chunks(rows, self.batch_size):
                    tx.run(statement, version=version, rows=chunk).consume()
            for statement in q.LINK_REGISTERS:
                tx.run(statement).consume()
            return decision.result(registry)

        return self._write(work)

    def registry(self, version: int | None = None) -> Registry:
        """The current registry (or an older ``version`` from history)."""
        if version is None:
            latest = self._read(q.LATEST_REGISTRY)
            if not latest:
                return Registry.empty()
            version = latest[0]["version"]
        held = self._read(q.READ_REGISTERS_HELD, version=version)[0]
        reads = {
            "customs": q.READ_CUSTOMS,
            "licences": q.READ_LICENCES,
            "controls": q.READ_CONTROLS,
        }
        return registry_frames(
            self._read(q.READ_ENTERPRISES, version=version),
            self._read(q.READ_DESIGNATIONS, version=version),
            self._read(q.READ_QUOTAS, version=version),
            {name: self._read(reads[name], version=version) for name in reads if held[name]},
        )

    def detect_in_database(self, **options) -> pd.DataFrame:
        """Findings computed on the server by the Cypher detectors; see
        ``flowgraph.store.neo4j_detect.detect_in_database`` (same options as analysis.detect)."""
        from flowgraph.store.neo4j_detect import detect_in_database

        return detect_in_database(self, **options)


def _already_exists(error: ClientError) -> bool:
    """The schema rule ``error`` refused is already there (created by a concurrent session)."""
    code = error.code or ""
    return code.endswith(
        ("EquivalentSchemaRuleAlreadyExists", "IndexAlreadyExists", "ConstraintAlreadyExists")
    )
