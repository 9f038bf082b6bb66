"""The Neo4j store's detection runs and review log (SPEC §6), mixed into ``Neo4jStore``.

Model (README "Neo4j"):

    (:DetectionRun {run, ran_at, registry_version, fingerprint, tolerances, upload_ids, findings})
    (:Finding {finding_id, type, family, ...its latest record..., first_run, last_run})
    (:Finding)-[:IN_RUN {seq, reo_kg, period, detail, record}]->(:DetectionRun)   one per run
    (:Finding)-[:ABOUT]->(:Enterprise|:Lot|:Shipment|:Batch)        the latest run's findings only
    (:Review {review_id, finding_id, decision, note, reviewed_by, reviewed_at, run, reo_kg})
        -[:OF]->(:Finding)                                          appended, never changed

A finding is one node across runs (its ``finding_id`` is unique), so "new this month" is a
pattern: ``(f)-[:IN_RUN]->(:DetectionRun {run: $n})`` without ``(f)-[:IN_RUN]->({run: $n - 1})``.
Run numbers and review ids come from ``(:Counter)`` nodes written first in their transaction,
so two commands at once take turns (as the embedded store's write lock does).
"""

from __future__ import annotations

import json

import neo4j
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
from flowgraph.store.neo4j_rows import batch_key, chunks
from flowgraph.store.readback import conform_reviews, conform_runs

CONSTRAINTS = (
    "CREATE CONSTRAINT fg_finding_id IF NOT EXISTS FOR (n:Finding) REQUIRE n.finding_id IS UNIQUE",
    "CREATE CONSTRAINT fg_detection_run IF NOT EXISTS FOR (n:DetectionRun) REQUIRE n.run IS UNIQUE",
    "CREATE CONSTRAINT fg_review_id IF NOT EXISTS FOR (n:Review) REQUIRE n.review_id IS UNIQUE",
)
INDEXES = ("CREATE INDEX fg_review_finding IF NOT EXISTS FOR (n:Review) ON (n.finding_id)",)

# Takes the counter's write lock and moves it on by $count in one SET (read and write in one
# expression: Cypher then loses no update; a SET that writes the same value took no lock and
# two review commands at once got the same ids). Returns the value before.
TAKE = (
    "MERGE (c:Counter {name: $name}) SET c.value = coalesce(c.value, 0) + $count "
    "RETURN c.value - $count AS value"
)
LATEST_RUN = (
    "MATCH (r:DetectionRun) WHERE r.run IS NOT NULL "
    "RETURN r.run AS run, r.fingerprint AS fingerprint ORDER BY r.run DESC LIMIT 1"
)
CREATE_RUN = (
    "CREATE (:DetectionRun {run: $run, ran_at: $ran_at, registry_version: $registry_version, "
    "fingerprint: $fingerprint, tolerances: $tolerances, upload_ids: $upload_ids, "
    "findings: $count})"
)
# Finding nodes keep their first_run; every other property is the latest record's.
WRITE_RUN_FINDINGS = (
    "MATCH (run:DetectionRun {run: $run}) "
    "UNWIND $rows AS row "
    "MERGE (f:Finding {finding_id: row.props.finding_id}) ON CREATE SET f.first_run = $run "
    "WITH run, row, f, f.first_run AS first "
    "SET f = row.props SET f.first_run = coalesce(first, $run), f.last_run = $run "
    "CREATE (f)-[:IN_RUN {seq: row.seq, reo_kg: row.props.reo_kg, period: row.props.period, "
    "detail: row.props.detail, record: row.record}]->(run)"
)
DROP_OLD_ABOUT = "MATCH (f:Finding)-[a:ABOUT]->() WHERE f.last_run < $run DELETE a"
LINK_ABOUT = (
    "UNWIND $rows AS row "
    "MATCH (f:Finding {finding_id: row.props.finding_id}) "
    "OPTIONAL MATCH (e:Enterprise {id: row.enterprise_id}) "
    "FOREACH (x IN CASE WHEN e IS NULL THEN [] ELSE [e] END | MERGE (f)-[:ABOUT]->(x)) "
    "WITH f, row "
    "OPTIONAL MATCH (l:Lot {id: row.lot_id}) "
    "FOREACH (x IN CASE WHEN l IS NULL THEN [] ELSE [l] END | MERGE (f)-[:ABOUT]->(x)) "
    "WITH f, row "
    "OPTIONAL MATCH (s:Shipment {id: row.shipment_id}) "
    "FOREACH (x IN CASE WHEN s IS NULL THEN [] ELSE [s] END | MERGE (f)-[:ABOUT]->(x)) "
    "WITH f, row "
    "OPTIONAL MATCH (b:Batch) WHERE b.key = row.batch_key "
    "OR (row.batch_key IS NULL AND b.id = row.batch_id) "
    "FOREACH (x IN CASE WHEN b IS NULL THEN [] ELSE [b] END | MERGE (f)-[:ABOUT]->(x))"
)
WRITE_REVIEWS = (
    "UNWIND $rows AS row "
    "MATCH (f:Finding {finding_id: row.finding_id}) "
    "CREATE (v:Review) SET v = row CREATE (v)-[:OF]->(f)"
)
KNOWN_IDS = (
    "UNWIND $ids AS id MATCH (f:Finding {finding_id: id}) WHERE f.first_run IS NOT NULL "
    "RETURN collect(f.finding_id) AS known"
)
READ_RUNS = (
    "MATCH (r:DetectionRun) WHERE r.run IS NOT NULL RETURN "
    + ", ".join(f"r.{c} AS {c}" for c in RUN_COLUMNS)
    + " ORDER BY r.run"
)
READ_RUN_FINDINGS = (
    "MATCH (:Finding)-[i:IN_RUN]->(:DetectionRun {run: $run}) RETURN i.record AS record "
    "ORDER BY i.seq"
)
READ_APPEARANCES = (
    "MATCH (:Finding {finding_id: $id})-[i:IN_RUN]->(r:DetectionRun) WHERE r.run IS NOT NULL "
    "RETURN r.run AS run, i.record AS record ORDER BY r.run, i.seq"
)
READ_FIRST_RUNS = (
    "MATCH (f:Finding) WHERE f.first_run IS NOT NULL "
    "RETURN f.finding_id AS finding_id, f.first_run AS first_run"
)
MATCH_IDS = (
    "MATCH (f:Finding) WHERE f.finding_id STARTS WITH $prefix AND f.first_run IS NOT NULL "
    "RETURN f.finding_id AS finding_id ORDER BY finding_id"
)
READ_REVIEWS = (
    "MATCH (v:Review) WHERE $ids IS NULL OR v.finding_id IN $ids RETURN "
    + ", ".join(f"v.{c} AS {c}" for c in REVIEW_COLUMNS)
    + " ORDER BY v.review_id"
)
# Before runs were kept: one (:DetectionRun {run_id}) and its (:Finding) nodes without ids.
LEGACY_FINDINGS = (
    "MATCH (f:Finding)-[:IN_RUN]->(r:DetectionRun) WHERE r.run IS NULL "
    "RETURN properties(f) AS props, r.ran_at AS ran_at"
)
DROP_LEGACY = (
    "MATCH (n) WHERE (n:DetectionRun AND n.run IS NULL) OR (n:Finding AND n.finding_id IS NULL) "
    "DETACH DELETE n"
)


def run_rows(findings: pd.DataFrame) -> list[dict]:
    """One row per finding of a run: ``props`` for the (:Finding) node, its ``record`` (the JSON
    the stores read back), and the keys its ABOUT links go to."""
    rows = []
    for seq, record in enumerate(finding_records(findings)):
        props = {k: v for k, v in record.items() if v is not None}
        enterprise, batch = record.get("enterprise_id"), record.get("batch_id")
        rows.append(
            {
                "seq": seq,
                "props": props,
                "record": record_json(record),
                "enterprise_id": enterprise,
                "lot_id": record.get("lot_id"),
                "shipment_id": record.get("shipment_id"),
                "batch_id": batch,
                "batch_key": batch_key(enterprise, batch) if enterprise and batch else None,
            }
        )
    return rows


def _review_rows(reviews: pd.DataFrame, first_id: int) -> list[dict]:
    columns = [c for c in REVIEW_COLUMNS if c != "review_id"]
    frame = reviews.reindex(columns=columns).astype(object)
    frame = frame.where(frame.notna(), None)
    rows = []
    for n, record in enumerate(frame.to_dict("records")):
        row = {k: v for k, v in record.items() if v is not None}
        if "run" in row:
            row["run"] = int(row["run"])
        if "reo_kg" in row:
            row["reo_kg"] = float(row["reo_kg"])
        row["review_id"] = first_id + n
        rows.append(row)
    return rows


def _append_reviews(tx: neo4j.ManagedTransaction, reviews: pd.DataFrame) -> None:
    if reviews.empty:
        return
    last = tx.run(TAKE, name="review", count=len(reviews)).single()["value"]
    rows = _review_rows(reviews, last + 1)
    for chunk in chunks(rows, 10_000):
        tx.run(WRITE_REVIEWS, rows=chunk).consume()


class Neo4jRuns:
    """Runs and reviews of a Neo4j store (see module docstring); uses the store's plumbing."""

    def registry_version(self) -> int | None:
        from flowgraph.store.neo4j_schema import LATEST_REGISTRY

        rows = self._read(LATEST_REGISTRY)
        return int(rows[0]["version"]) if rows else None

    def save_run(
        self,
        record: RunRecord,
        findings: pd.DataFrame,
        reopenings: pd.DataFrame,
        *,
        previous: int | None,
    ) -> tuple[int, bool]:
        """See LocalRuns.save_run: one transaction, the latest run's findings linked ABOUT."""
        rows = run_rows(findings)
        # committed on its own: the caller then sees run 1 (RunConflict) and compares with it
        self._write(self._convert_legacy_run)

        def work(tx: neo4j.ManagedTransaction) -> tuple[int, bool]:
            # the lock: one run recorded at a time (the value counts attempts, not runs)
            tx.run(TAKE, name="detection_run", count=1).consume()
            latest = tx.run(LATEST_RUN).single()
            if latest is not None and latest["fingerprint"] == record.fingerprint:
                return int(latest["run"]), False
            latest_run = int(latest["run"]) if latest is not None else None
            if latest_run != previous:
                raise RunConflict(f"run {latest_run} was recorded meanwhile")
            run = (latest_run or 0) + 1
            self._write_run(
                tx,
                run,
                rows,
                ran_at=record.ran_at,
                registry_version=record.registry_version,
                fingerprint=record.fingerprint,
                tolerances=record.tolerances_json,
                upload_ids=sorted(int(u) for u in record.upload_ids),
            )
            _append_reviews(tx, reopenings.assign(run=run, reviewed_at=record.ran_at))
            return run, True

        return self._write(work)

    def _write_run(self, tx, run: int, rows: list[dict], *, ran_at: str, **fields) -> None:
        """The run node, its findings' IN_RUN links and (moved to this run) the ABOUT links;
        ``fields``: registry_version, fingerprint, tolerances, upload_ids (None when unknown)."""
        values = {k: fields.get(k) for k in ("registry_version", "fingerprint", "tolerances")}
        tx.run(
            CREATE_RUN,
            run=run,
            ran_at=ran_at,
            upload_ids=fields.get("upload_ids"),
            count=len(rows),
            **values,
        ).consume()
        for chunk in chunks(rows, self.batch_size):
            tx.run(WRITE_RUN_FINDINGS, run=run, rows=chunk).consume()
        tx.run(DROP_OLD_ABOUT, run=run).consume()
        for chunk in chunks(rows, self.batch_size):
            tx.run(LINK_ABOUT, rows=chunk).consume()

    def _convert_legacy_run(self, tx: neo4j.ManagedTransaction) -> None:
        """A store written before runs were kept holds one unnumbered run: it becomes run 1."""
        tx.run(TAKE, name="detection_run", count=1).consume()
        legacy = [r.data() for r in tx.run(LEGACY_FINDINGS)]
        if (
            not legacy
            and tx.run("MATCH (r:DetectionRun) WHERE r.run IS NULL RETURN count(r) AS n").single()[
                "n"
            ]
            == 0
        ):
            return
        from flowgraph.analysis.findings import normalise
        from flowgraph.investigations.identity import with_finding_ids

        ran_at = legacy[0]["ran_at"] if legacy else None
        old = pd.DataFrame([r["props"] for r in legacy])
        tx.run(DROP_LEGACY).consume()
        if tx.run(LATEST_RUN).single() is not None:
            return
        rows = run_rows(with_finding_ids(normalise(old))) if not old.empty else []
        self._write_run(tx, 1, rows, ran_at=ran_at or "")

    def runs(self) -> pd.DataFrame:
        """Every recorded run, oldest first (RUN_COLUMNS)."""
        return conform_runs(pd.DataFrame(self._read(READ_RUNS), columns=list(RUN_COLUMNS)))

    def run_findings(self, run: int) -> pd.DataFrame:
        rows = self._read(READ_RUN_FINDINGS, run=int(run))
        return findings_from_records([json.loads(r["record"]) for r in rows], [run] * len(rows))

    def finding_appearances(self, finding_id: str) -> pd.DataFrame:
        rows = self._read(READ_APPEARANCES, id=finding_id)
        return findings_from_records(
            [json.loads(r["record"]) for r in rows], [int(r["run"]) for r in rows]
        )

    def first_runs(self) -> pd.DataFrame:
        return pd.DataFrame(self._read(READ_FIRST_RUNS), columns=["finding_id", "first_run"])

    def match_finding_ids(self, prefix: str) -> list[str]:
        return [r["finding_id"] for r in self._read(MATCH_IDS, prefix=prefix)]

    def save_reviews(self, reviews: pd.DataFrame) -> None:
        """Append reviews in one transaction, all or none (an id no run reported: UsageError)."""
        ids = sorted(set(reviews["finding_id"]))

        def work(tx: neo4j.ManagedTransaction) -> None:
            known = set(tx.run(KNOWN_IDS, ids=ids).single()["known"])
            missing = [i for i in ids if i not in known]
            if missing:
                raise UsageError(f"{', '.join(missing)}: no finding of any recorded run")
            _append_reviews(tx, reviews)

        self._write(work)

    def reviews(self, finding_ids: list[str] | None = None) -> pd.DataFrame:
        rows = self._read(READ_REVIEWS, ids=None if finding_ids is None else list(finding_ids))
        return conform_reviews(pd.DataFrame(rows, columns=list(REVIEW_COLUMNS)))

    def findings(self) -> pd.DataFrame:
        """The latest recorded run's findings (empty when none)."""
        runs = self.runs()
        return self.run_findings(int(runs["run"].iloc[-1]) if not runs.empty else 0)
