"""`flowgraph query` on the embedded store: investigator queries run as their library twins."""

from __future__ import annotations

import json

from click.testing import CliRunner

from flowgraph.cli.main import cli
from flowgraph.model import Upload, events_frame
from flowgraph.store.local import LocalStore


def _store(tmp_path) -> str:
    path = tmp_path / "fg.db"
    store = LocalStore.open(path)
    rows = [
        {"event_id": "1", "event_type": "extract", "date": "2024-03-01", "enterprise_id": "M1",
         "lot_id": "L1", "product": "BAST_CONC", "mass_kg": 100, "reo_pct": 60,
         "document_ref": "MIN-1"},
        {"event_id": "2", "event_type": "ship", "date": "2024-03-02", "enterprise_id": "M1",
         "lot_id": "L1", "mass_kg": 100, "counterparty_id": "S1", "shipment_id": "SH1"},
    ]  # fmt: skip
    store.save_upload(Upload("m1.csv", "x" * 64, "M1", "2024-03", events_frame(rows)))
    store.close()
    return str(path)


def test_investigator_query_runs_on_the_embedded_store(tmp_path):
    store = _store(tmp_path)
    result = CliRunner().invoke(
        cli, ["--store", store, "query", "unmatched_shipments", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["side"], r["shipment_id"], r["lots"]) for r in rows] == [
        ("shipped, no receipt", "SH1", ["L1"])
    ]
    result = CliRunner().invoke(
        cli, ["--store", store, "query", "lot_provenance", "-p", "lot_id=L1"]
    )
    assert result.exit_code == 0, result.output
    assert "extract" in result.output and "M1" in result.output


def test_cypher_detectors_stay_on_neo4j(tmp_path):
    result = CliRunner().invoke(
        cli, ["--store", _store(tmp_path), "query", "detect_transform_gain"]
    )
    assert result.exit_code == 2
    assert "detect_transform_gain is a Cypher detector and runs on Neo4j only" in result.output
