"""``flowgraph load --bulk`` / ``flowgraph neo4j-import``: the offline importer's graph equals
the one ``flowgraph load`` builds file by file (issue #15).

A server of the module's own (scripts/neo4j-local, free port, tmp data folder, as the crash
test), started empty: synth files plus a revision of one month (with a note over two lines)
and a rejected file are bulk-imported by ``load --bulk``, which stops the server for the
importer and starts it again; then, with the server up, the store holds the same events, upload history
and findings as the embedded store loaded file by file, and the graph itself - every label and
relationship count, the Lot, Batch, Shipment, Upload and history nodes, every link - equals
the one ``load_files`` writes over Bolt into the same (wiped) database, after a later ``load``
on the imported database has superseded an imported upload as on any store.
"""

from __future__ import annotations

import csv
import os
import shutil
import socket

import pandas as pd
import pytest
from click.testing import CliRunner
from neo4j_crash_helper import SCRIPTS, OwnServer, quick_java_opts

from flowgraph.analysis import run_detectors
from flowgraph.cli.main import cli
from flowgraph.ingest import load_files, load_registry
from flowgraph.store.local import LocalStore
from flowgraph.store.neo4j import Neo4jStore
from flowgraph.store.neo4j_schema import DELETE_ALL

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]
PASSWORD = "bulk-test-pw-2b81"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rows(path):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        return reader.fieldnames, list(reader)


def _write(path, header, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def data(tmp_path_factory, synth_year):
    """(registry folder, [upload paths in load order]) of a small synth world, a revision and a
    rejected file.

    Two months of every enterprise plus every XLSX file (about 80 of synth's ~460 files: the
    importer, the Bolt load and the comparison cost per file, and every part of the graph -
    shipments, batches, lineage, history - already occurs in two months)."""
    root = tmp_path_factory.mktemp("bulk-data")
    synth = synth_year.outdir  # tests/conftest.py: seed 5, scale 0.05, shared, only read
    for path in sorted((synth / "uploads").rglob("*.*")):
        if path.suffix == ".xlsx" or path.stem in ("2024-01", "2024-02"):
            kept = root / "uploads" / path.relative_to(synth / "uploads")
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, kept)
    files = sorted((root / "uploads").rglob("*.csv"))
    # A month revised: every other row dropped (a batch, a shipment lose their rows).
    month = next(f for f in files if "ship" in f.read_text(encoding="utf-8"))
    header, rows = _rows(month)
    revised = [dict(r) for r in rows[::2]]
    # A note over two lines with both separators: the importer must read that file (and only
    # that one) in its multi-line mode and keep the value whole.
    revised[0]["note"] = "weighed twice\nsecond scale, 3 kg less; kept"
    _write(root / "later" / "revision.csv", header, revised)
    bad = [dict(r) for r in rows]
    bad[0]["mass_kg"] = "-5"
    _write(root / "later" / "rejected.csv", header, bad)
    return synth / "registry", [root / "uploads", root / "later"]


@pytest.fixture(scope="module")
def server(tmp_path_factory, data, monkeypatch_module):
    """An installed, empty server (scripts/neo4j-local) into which `flowgraph load --bulk`
    imports: it checks the database is empty, stops the server, runs the offline importer
    (`neo4j-import`'s code) and starts the server again with its constraints and indexes.
    The restart and the importer get the test server's quick JVM options (C1 only, small
    heap: neo4j_crash_helper.quick_java_opts) through the environment, as any user's would."""
    if shutil.which("java") is None or not (SCRIPTS / "target" / "lib").is_dir():
        message = "cannot run neo4j-admin: needs Java 17+ and the built scripts/neo4j-local jars"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    home = tmp_path_factory.mktemp("bulk-neo4j")
    own = OwnServer(_free_port(), home, PASSWORD)
    monkeypatch_module.setenv("NEO4J_JAVA_OPTS", own.java_opts)
    monkeypatch_module.setenv("NEO4J_ADMIN_JAVA_OPTS", quick_java_opts("512m"))
    try:
        own.start()
        first = own.pid()
        result = CliRunner().invoke(
            cli,
            ["--store", own.uri, "load", "--bulk", "--neo4j-home", str(home), "-q",
             *map(str, data[1])],
            env={"NEO4J_PASSWORD": PASSWORD},
        )  # fmt: skip
        assert result.exit_code == 2, result.output  # the rejected file, named
        assert "rejected.csv:2:mass_kg" in result.output
        assert "relationships; ready (stop" in result.output
        assert own.pid() != first  # stopped for the importer, started again
        yield own
    finally:
        own.stop()


@pytest.fixture(scope="module")
def store(server, monkeypatch_module):
    monkeypatch_module.setenv("NEO4J_PASSWORD", PASSWORD)
    neo = Neo4jStore.connect(server.uri)
    yield neo
    neo.close()


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def local(tmp_path_factory, data):
    """The same files loaded file by file into the embedded store."""
    embedded = LocalStore.open(tmp_path_factory.mktemp("bulk-local") / "fg.db")
    load_registry(embedded, data[0])
    summary = load_files(embedded, data[1])
    assert len(summary.rejected) == 1 and summary.count("superseded") == 1
    yield embedded
    embedded.close()


def test_imported_store_equals_one_loaded_file_by_file(store, local, data):
    load_registry(store, data[0])
    pd.testing.assert_frame_equal(store.events(), local.events())
    # The two-line note, whole: its file (later/revision.csv, given after the folder of the
    # original) is the current upload of its month; the original is a history node's.
    with store.driver.session(database=store.database) as session:
        notes = session.run(
            "MATCH ()-[r]->() WHERE r.note CONTAINS $nl RETURN r.note", nl="\n"
        ).value()
        history = session.run(
            "MATCH (:Upload)-[:RECORDED]->(e:Event) WHERE e.note CONTAINS $nl RETURN e.note",
            nl="\n",
        ).value()
    assert (notes, history) == (["weighed twice\nsecond scale, 3 kg less; kept"], [])
    history = ["upload_id", "enterprise_id", "period", "revision", "file_name", "sha256",
               "superseded_by", "events", "current"]  # fmt: skip
    got, expected = store.uploads(include_history=True), local.uploads(include_history=True)
    assert (~got["current"]).sum() == 1
    pd.testing.assert_frame_equal(got[history], expected[history])
    found = run_detectors(store.events(), store.registry())
    pd.testing.assert_frame_equal(found, run_detectors(local.events(), local.registry()))
    assert len(found) > 0
    there = store.detect_in_database()  # the Cypher detectors walk the imported graph
    pd.testing.assert_frame_equal(
        there.assign(reo_kg=there["reo_kg"].round(6)), found.assign(reo_kg=found["reo_kg"].round(6))
    )


# Everything of the graph but the load times and the upload-id counter, sorted rows per part.
# Upload ids are compared by rank: they are unique and increasing in file order on both paths,
# not dense (the Bolt path reserves ids in blocks and a rejected file may leave one unused).
FINGERPRINT = {
    # (:UploadLock) nodes appear as enterprises write over Bolt, one each: not graph data.
    "labels": "MATCH (n) UNWIND labels(n) AS label WITH label WHERE label <> 'UploadLock' "
    "RETURN label, count(*) AS n",
    "types": "MATCH ()-[r]->() RETURN type(r) AS type, count(*) AS n",
    "lots": "MATCH (l:Lot) RETURN l.id, l.product, l.family, l.reo_pct",
    "batches": "MATCH (e)-[:RAN]->(b:Batch) RETURN e.id, b.key, b.id, b.enterprise_id",
    "links": "MATCH (s:Shipment)-[r:TO|FROM|CARRIES]->(n) RETURN s.id, type(r), n.id",
    "enterprises": "MATCH (e:Enterprise) RETURN e.id",
    "uploads": "MATCH (e:Enterprise)-[:UPLOADED]->(u:Upload) OPTIONAL MATCH (u)-[:SUPERSEDES]->(o) "
    "RETURN e.id, u.upload_id AS upload_id, u.period, u.revision, u.file_name, u.sha256, u.events, "
    "u.current, u.superseded_by AS superseded_by, u.event_ids, u.batch_ids, "
    "o.upload_id AS old_upload_id",
    "history": "MATCH (u:Upload)-[:RECORDED]->(ev:Event) "
    "RETURN u.upload_id AS upload_id, properties(ev) AS props",
    "events": "MATCH (a)-[r]->(b) WHERE r.event_id IS NOT NULL "
    "RETURN coalesce(a.id, a.key), type(r), coalesce(b.id, b.key), properties(r) AS props",
}


def _fingerprint(store) -> dict[str, list]:
    out = {}
    with store.driver.session(database=store.database) as session:
        ids = [
            r[0] for r in session.run("MATCH (u:Upload) RETURN u.upload_id ORDER BY u.upload_id")
        ]
        rank = {upload_id: position for position, upload_id in enumerate(ids)}
        for part, query in FINGERPRINT.items():
            rows = []
            for record in session.run(query):
                row = record.data()
                if "u.batch_ids" in row:  # an empty list is no CSV value: absent when imported
                    row["u.batch_ids"] = row["u.batch_ids"] or []
                for key in ("upload_id", "superseded_by", "old_upload_id"):
                    if row.get(key) is not None:
                        row[key] = rank[row[key]]
                if "props" in row:
                    props = {**row["props"], "upload_id": rank[row["props"]["upload_id"]]}
                    row["props"] = sorted(props.items())  # property order is storage order
                rows.append(repr(sorted(row.items())))
            out[part] = sorted(rows)
    return out


def test_the_graph_equals_the_one_load_writes(store, data, tmp_path):
    """Then a load over Bolt onto the imported graph (a second revision of the revised month)
    supersedes an imported upload, and the whole graph equals the one a Bolt-only load of the
    same files writes."""
    header, rows = _rows(data[1][1] / "revision.csv")
    again = tmp_path / "again" / "revision-2.csv"
    _write(again, header, rows[1:])
    before = store.uploads()
    summary = load_files(store, [again])
    assert [r.status for r in summary.results] == ["superseded"]
    assert summary.results[0].upload_id > before["upload_id"].max()
    imported = _fingerprint(store)
    with store.driver.session(database=store.database) as session:
        for statement in DELETE_ALL:
            session.run(statement).consume()
    load_registry(store, data[0])
    summary = load_files(store, [*data[1], again])
    assert len(summary.rejected) == 1
    loaded = _fingerprint(store)
    differ = {
        part: (sorted(set(imported[part]) - set(loaded[part]))[:1][0][:400],
               sorted(set(loaded[part]) - set(imported[part]))[:1][0][:400])
        for part in FINGERPRINT if imported[part] != loaded[part]
    }  # fmt: skip
    assert not differ
    assert len(imported["history"]) > 0 and len(imported["links"]) > 0


def test_load_bulk_refuses_a_database_that_holds_data(store, server, data):
    """The near miss of `load --bulk`: the imported database is not empty any more."""
    pid = server.pid()
    result = CliRunner().invoke(
        cli,
        ["--store", server.uri, "load", "--bulk", "--neo4j-home", str(server.data),
         str(data[1][1])],
        env={"NEO4J_PASSWORD": PASSWORD},
    )  # fmt: skip
    assert result.exit_code == 2
    assert "empty database only" in result.output and "without --bulk" in result.output
    assert server.pid() == pid  # left running, untouched
