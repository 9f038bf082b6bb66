"""What only the Neo4j store has: the graph, its constraints, the server's failures.

The behaviour both stores share is tests/store/test_store_contract.py (run on Neo4j too)."""

from __future__ import annotations

import neo4j_scenario as scenario
import pandas as pd
import pytest
from click.testing import CliRunner
from neo4j_scenario import URI, ev, make_upload

from flowgraph.cli.main import cli
from flowgraph.errors import FlowgraphError, InputError, QueryRefused, StoreUnavailable
from flowgraph.investigations import record_run
from flowgraph.model import FINDING_COLUMNS
from flowgraph.store.neo4j import Neo4jStore

pytestmark = pytest.mark.neo4j


def count(store: Neo4jStore, cypher: str, **params) -> int:
    records, _, _ = store.driver.execute_query(cypher, params)
    return records[0][0]


def test_superseded_events_leave_the_graph_for_history(store):
    # The statuses, revisions and history table are the contract's (tests/store); here: the graph.
    first = make_upload([ev("1", "extract", "2024-03-02", "M1", "L1", 100, product="BAST_CONC",
                            reo_pct=60, document_ref="MIN-1"),
                         ev("2", "ship", "2024-03-05", "M1", "L1", 50, counterparty_id="S1",
                            shipment_id="SH1")], "m1-v1.csv")  # fmt: skip
    revised = make_upload([ev("1", "extract", "2024-03-02", "M1", "L1", 90, product="BAST_CONC",
                              reo_pct=60, document_ref="MIN-1")], "m1-v2.csv")  # fmt: skip
    old_id = store.save_upload(first).upload_id
    assert store.save_upload(revised).status == "superseded"
    assert store.events()["mass_kg"].tolist() == [90.0]
    # The old upload's two events stay in history, out of the current graph.
    assert count(store, "MATCH (:Upload {upload_id: $id})-[:RECORDED]->(e:Event) "
                        "RETURN count(e)", id=old_id) == 2  # fmt: skip
    assert count(store, "MATCH ()-[r:SENT]->() RETURN count(r)") == 0
    assert count(store, "MATCH (s:Shipment) RETURN count(s)") == 0
    assert count(store, "MATCH (u:Upload {upload_id: $id}) RETURN count(u)", id=old_id) == 1


def test_revision_leaves_no_stale_shipment_links_or_orphan_lots(store):
    def sender(counterparty, lot, stock_lot):
        return [ev("1", "extract", "2024-03-02", "M1", lot, 100, product="BAST_CONC", reo_pct=60,
                   document_ref="MIN-1"),
                ev("2", "ship", "2024-03-05", "M1", lot, 50, counterparty_id=counterparty,
                   shipment_id="SH1"),
                ev("3", "stock", "2024-03-31", "M1", stock_lot, 50, product="BAST_CONC")]  # fmt: skip

    receiver = make_upload([ev("1", "receive", "2024-03-06", "S1", "L1", 50, counterparty_id="M1",
                               shipment_id="SH1")], "s1.csv")  # fmt: skip
    store.save_upload(make_upload(sender("S1", "L1", "L9"), "m1-v1.csv"))
    store.save_upload(receiver)
    # The revision sends SH1 to T1 carrying L2, and no longer holds L9.
    store.save_upload(make_upload(sender("T1", "L2", "L2"), "m1-v2.csv"))

    links = "MATCH (:Shipment {id: 'SH1'})-[x:%s]->(n) RETURN collect(n.id) AS ids"
    ids = {t: store._read(links % t)[0]["ids"] for t in ("TO", "FROM", "CARRIES")}
    assert ids["TO"] == ["T1"]  # S1 was the old revision's addressee only
    assert ids["FROM"] == ["M1"]  # S1's receipt still names M1
    assert sorted(ids["CARRIES"]) == ["L1", "L2"]  # L1 by S1's receipt, L2 by the new SENT
    assert count(store, "MATCH (l:Lot {id: 'L9'}) RETURN count(l)") == 0
    assert count(store, "MATCH (l:Lot {id: 'L1'}) RETURN count(l)") == 1


def test_cross_upload_clash_writes_no_node(store):
    store.save_upload(make_upload([ev("7", "extract", "2024-03-02", "M1", "L1", 10,
                                      product="BAST_CONC", reo_pct=60, document_ref="x")]))  # fmt: skip
    clash = make_upload([ev("7", "extract", "2024-04-02", "M1", "L2", 10, product="BAST_CONC",
                            reo_pct=60, document_ref="x")], "m1-apr.csv")  # fmt: skip
    with pytest.raises(InputError, match="m1-apr.csv:2:event_id: event_id '7' is already used"):
        store.save_upload(clash)
    assert count(store, "MATCH (l:Lot {id: 'L2'}) RETURN count(l)") == 0
    assert count(store, "MATCH (u:Upload) RETURN count(u)") == 1


def test_file_failing_half_way_leaves_nothing_and_rerun_completes(store):
    rows = [
        ev(
            str(i),
            "extract",
            "2024-03-02",
            "M1",
            f"L{i}",
            10,
            product=product,
            reo_pct=60,
            document_ref="x",
        )
        for i, product in enumerate(["BAST_CONC", "MIXED_CONC", "MONAZITE_CONC", "BAST_CONC"])
    ]
    upload = make_upload(rows, "half.csv")
    store.batch_size = 2  # the first UNWIND batch succeeds, the second violates the constraint
    store.driver.execute_query(
        "CREATE CONSTRAINT test_lot_product IF NOT EXISTS FOR (l:Lot) REQUIRE l.product IS UNIQUE"
    )
    try:
        with pytest.raises(FlowgraphError, match="refused"):
            store.save_upload(upload)
    finally:
        store.driver.execute_query("DROP CONSTRAINT test_lot_product IF EXISTS")
    assert count(store, "MATCH (n) WHERE n:Lot OR n:Upload RETURN count(n)") == 0
    assert store.events().empty
    assert store.save_upload(upload).status == "loaded"
    assert len(store.events()) == 4


def test_registry_versions_keep_old_designations_and_quotas_as_not_current(store):
    registry = scenario.registry()
    assert store.save_registry(registry, "reg-1").version == 1
    smaller = scenario.registry()
    smaller.enterprises = smaller.enterprises.iloc[:2].reset_index(drop=True)
    smaller.quotas = smaller.quotas.iloc[:1].reset_index(drop=True)
    assert store.save_registry(smaller, "reg-2").version == 2
    assert store.registry().enterprises["enterprise_id"].tolist() == ["M1", "M2"]
    assert len(store.registry(version=1).quotas) == 2  # the old version stays in history
    assert count(store, "MATCH (q:Quota {current: true}) RETURN count(q)") == 1
    assert count(store, "MATCH (q:Quota) RETURN count(q)") == 3
    assert count(store, "MATCH (e:Enterprise {registered: true}) RETURN count(e)") == 2


def test_findings_written_as_nodes_and_only_the_latest_run_linked_about(store):
    scenario.load(store)
    findings = pd.DataFrame(
        [
            {"type": "TRANSFORM_GAIN", "family": "unaccounted_mass", "period": "2024-03",
             "enterprise_id": "S1", "batch_id": "B2", "reo_kg": 135.0, "detail": "gain"},
            {"type": "TRANSIT_MISMATCH", "family": "unaccounted_mass", "period": "2024-03",
             "enterprise_id": "M1", "shipment_id": "SH2", "reo_kg": 12.0, "detail": "short"},
            {"type": "UNKNOWN_LOT", "family": "untraceable_input", "period": "2024-03",
             "enterprise_id": "T1", "lot_id": "LX", "reo_kg": 49.5, "detail": "unknown"},
        ],
        columns=list(FINDING_COLUMNS),
    )  # fmt: skip
    record_run(store, findings)
    about = store.driver.execute_query(
        "MATCH (f:Finding)-[:ABOUT]->(x) RETURN f.type AS type, labels(x)[0] AS label, "
        "coalesce(x.key, x.id) AS id ORDER BY type, label"
    ).records
    assert [tuple(r.values()) for r in about] == [
        ("TRANSFORM_GAIN", "Batch", "S1/B2"),
        ("TRANSFORM_GAIN", "Enterprise", "S1"),
        ("TRANSIT_MISMATCH", "Enterprise", "M1"),
        ("TRANSIT_MISMATCH", "Shipment", "SH2"),
        ("UNKNOWN_LOT", "Enterprise", "T1"),
        ("UNKNOWN_LOT", "Lot", "LX"),
    ]
    assert not record_run(store, findings.iloc[:1]).recorded  # same uploads: the same run
    assert record_run(store, findings.iloc[:1], upload_ids=[999]).run == 2
    assert count(store, "MATCH (f:Finding) RETURN count(f)") == 3  # one node per finding, kept
    assert count(store, "MATCH (f:Finding)-[:ABOUT]->() RETURN count(DISTINCT f)") == 1
    assert count(store, "MATCH (f:Finding)-[:IN_RUN]->(:DetectionRun) RETURN count(*)") == 4
    assert store.findings()["batch_id"].tolist() == ["B2"]


def test_constraints_exist_before_first_write(store):
    store.save_upload(scenario.uploads()[0])
    names = {r["name"] for r in store.driver.execute_query("SHOW CONSTRAINTS").records}
    assert {"fg_lot_id", "fg_enterprise_id", "fg_batch_key", "fg_upload_id"} <= names


def test_connection_refused_is_store_unavailable(monkeypatch):
    monkeypatch.setenv("NEO4J_PASSWORD", "s3cret-pass")
    with pytest.raises(StoreUnavailable) as info:
        Neo4jStore.connect("bolt://127.0.0.1:1")
    assert str(info.value) == "cannot reach Neo4j at bolt://127.0.0.1:1: connection refused"


def test_cli_connection_refused_exit_3_without_password(monkeypatch):
    monkeypatch.setenv("NEO4J_PASSWORD", "s3cret-pass")
    result = CliRunner().invoke(
        cli, ["--store", "bolt://127.0.0.1:1", "query", "lot_provenance", "-p", "lot_id=L1"]
    )
    assert result.exit_code == 3
    assert "cannot reach Neo4j at bolt://127.0.0.1:1: connection refused" in result.output
    assert "s3cret-pass" not in result.output


def test_cli_wrong_password_exit_3_without_password(monkeypatch, _session_store):
    monkeypatch.setenv("NEO4J_PASSWORD", "wrong-pass-123")
    result = CliRunner().invoke(cli, ["--store", URI, "query", "lot_provenance", "-p", "lot_id=L1"])
    assert result.exit_code == 3
    assert f"cannot reach Neo4j at {URI}: authentication failed" in result.output
    assert "wrong-pass-123" not in result.output


def test_read_runs_cypher_read_only_with_parameters(store):
    scenario.load(store)
    frame = store.read(
        "MATCH (e:Enterprise)-[:SENT]->(s:Shipment)-[:CARRIES]->(:Lot {id: $lot}) "
        "RETURN e.id AS sender, s.id AS shipment, s.missing AS absent ORDER BY shipment",
        lot="L1",
    )
    assert frame.to_dict("records") == [
        {"sender": "M1", "shipment": "SH1", "absent": None},
        {"sender": "M1", "shipment": "SH2", "absent": None},
    ]
    dates = store.read("MATCH ()-[r:EXTRACTED]->(:Lot {id: $lot}) RETURN r.date AS d", lot="L1")
    assert [str(d) for d in dates["d"]] == ["2024-03-02"]  # a datetime.date, not a driver type
    with pytest.raises(QueryRefused) as info:
        store.read("CREATE (n:Intruder {name: $name}) RETURN n", name="x")
    assert info.value.wrote
    assert count(store, "MATCH (n:Intruder) RETURN count(n)") == 0
    with pytest.raises(QueryRefused, match="query failed") as info:
        store.read("MATCH (n RETURN n")
    assert not info.value.wrote


def test_events_stream_in_chunks_and_equal_the_embedded_store(store, tmp_path, count_calls):
    """events() turns the streamed rows into typed frames ``events_chunk`` rows at a time, and
    the joined table (sorted by upload, row on the client) is the embedded store's."""
    import neo4j_scenario as scenario

    import flowgraph.store.neo4j as neo4j_module
    from flowgraph.store.local import LocalStore
    from flowgraph.store.neo4j import EVENTS_CHUNK

    local = LocalStore.open(tmp_path / "fg.db")
    for target in (store, local):
        scenario.load(target)
    expected = local.events()
    frames = count_calls(neo4j_module, "event_frame")
    store.events_chunk = 4
    try:
        pd.testing.assert_frame_equal(store.events(), expected)
        whole, rest = divmod(len(expected), 4)
        assert frames == [4] * whole + [rest] * (rest > 0)
        pd.testing.assert_frame_equal(store.events(year=2024), local.events(year=2024))
        pd.testing.assert_frame_equal(
            store.events(period="2024-04"), local.events(period="2024-04")
        )
    finally:
        store.events_chunk = EVENTS_CHUNK
    local.close()
