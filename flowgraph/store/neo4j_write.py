"""Writing the Neo4j store, mixed into ``Neo4jStore``: an upload file in ONE transaction
(``UNWIND $rows`` batches; a superseded upload's relationships move to history as
``(:Upload)-[:RECORDED]->(:Event)``), upload ids reserved in file order for the writer lanes,
registry versions, and the carry-overs detection by year keeps.

What a save does (load, supersede, refuse, leave unchanged) is decided by decision.py, as for
the embedded store; the statements are neo4j_schema.py's, the rows neo4j_rows.py's.
"""

from __future__ import annotations

from datetime import UTC, datetime

import neo4j
import pandas as pd

from flowgraph.model import Registry, Upload
from flowgraph.store import eventcodec
from flowgraph.store import neo4j_schema as q
from flowgraph.store.base import LoadResult, RegistryResult
from flowgraph.store.decision import StoredUpload, decide_registry, decide_save
from flowgraph.store.idkeys import EnterpriseKeys
from flowgraph.store.neo4j_rows import (
    chunks,
    register_rows,
    registry_rows,
    upload_props,
    write_rows,
)
from flowgraph.store.readback import in_upload_order as _in_order


def _take_upload_ids(tx: neo4j.ManagedTransaction, count: int) -> range:
    first = tx.run(q.NEXT_UPLOAD_IDS, count=count).single()["first"]
    return range(first, first + count)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Neo4jWrites:
    """Writes through Neo4jSession's ``_write`` (see module docstring)."""

    batch_size: int  # rows per UNWIND statement
    _keys: dict[int, tuple[frozenset, frozenset]]  # these are set by Neo4jStore.__init__

    # -- uploads ---------------------------------------------------------------------------

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

    # -- carry-overs of detection by year (analysis/years.py) -------------------------------

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
