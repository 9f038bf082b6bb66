"""The Cypher detectors in queries/ against the Python detectors, on the same data in Neo4j."""

from __future__ import annotations

import neo4j_scenario as scenario
import pandas as pd
import pytest
from neo4j_scenario import ev, make_upload

from flowgraph.analysis import run_detectors
from flowgraph.ingest import load_files, load_registry
from flowgraph.querylib import list_queries, run_query
from flowgraph.store.local import LocalStore

pytestmark = pytest.mark.neo4j

CYPHER_DETECTORS = sorted(n for n in list_queries() if n.startswith("detect_"))
COMPARED = ["period", "enterprise_id", "lot_id", "shipment_id", "batch_id", "activity"]


def _keyed(frame: pd.DataFrame) -> set[tuple]:
    rows = frame[COMPARED].astype(object).where(frame[COMPARED].notna(), None)
    years = [None if pd.isna(y) else int(y) for y in frame["year"]]
    return {
        (*row, year, round(float(reo), 6))
        for row, year, reo in zip(
            rows.itertuples(index=False, name=None), years, frame["reo_kg"], strict=True
        )
    }


def compare_all(store) -> dict[str, int]:
    """Assert every Cypher detector equals its Python detector; returns findings per type."""
    python = run_detectors(store.events(), store.registry())
    sizes = {}
    for name in CYPHER_DETECTORS:
        finding_type = name[len("detect_") :].upper()
        cypher = run_query(store, name)
        expected = python[python["type"] == finding_type]
        assert set(cypher["type"]) <= {finding_type}
        assert _keyed(cypher) == _keyed(expected), finding_type
        sizes[finding_type] = len(expected)
    return sizes


def test_there_are_cypher_detectors():
    assert len(CYPHER_DETECTORS) >= 10


def test_cypher_detectors_equal_python_on_planted_scenario(store):
    scenario.load(store)
    sizes = compare_all(store)
    # The scenario plants each of these, so equality is not two empty sets.
    for finding_type in (
        "TRANSFORM_GAIN",
        "TRANSIT_MISMATCH",
        "UNCONFIRMED_SHIPMENT",
        "DUPLICATE_LOT",
        "UNKNOWN_LOT",
        "UNDESIGNATED_EXTRACTION",
        "QUOTA_EXCEEDED",
        "UNDESIGNATED_SMELTING",
    ):
        assert sizes[finding_type] >= 1, finding_type


def _near_misses() -> list:
    """Every threshold met exactly or a window not covered: no finding from either engine."""
    mine = [
        # 1000 kg REO: exactly M1's 1 t mining quota.
        ev("1", "extract", "2024-05-02", "M1", "N1", 1000, product="BAST_CONC", reo_pct=100,
           document_ref="MIN-1"),
        ev("2", "ship", "2024-05-03", "M1", "N1", 1000, counterparty_id="S1", shipment_id="NS1"),
    ]  # fmt: skip
    smelter = [
        # 0.5% of 1000 kg short: exactly at the tolerance.
        ev("1", "receive", "2024-05-04", "S1", "N1", 995, counterparty_id="M1", shipment_id="NS1"),
        # 500 kg REO in, 502.5 out: recovery exactly 1.005.
        ev("2", "consume", "2024-05-05", "S1", "N1", 500, batch_id="NB1"),
        ev("3", "produce", "2024-05-06", "S1", "N2", 502.5, product="ND_OXIDE", reo_pct=100,
           batch_id="NB1"),
        # 495 kg REO in, 420.75 out: recovery exactly 0.85.
        ev("4", "consume", "2024-05-07", "S1", "N1", 495, batch_id="NB2"),
        ev("5", "produce", "2024-05-08", "S1", "N3", 420.75, product="ND_OXIDE", reo_pct=100,
           batch_id="NB2"),
        # T1 has no June upload: an unconfirmed shipment cannot be called yet.
        ev("6", "ship", "2024-05-20", "S1", "N2", 502.5, counterparty_id="T1", shipment_id="NS2"),
    ]  # fmt: skip
    trader = [ev("1", "stock", "2024-05-31", "T1", "N9", 0, product="ND_OXIDE")]
    return [make_upload(mine, "m1.csv"), make_upload(smelter, "s1.csv"), make_upload(trader)]


def test_cypher_detectors_equal_python_on_near_misses(store):
    store.save_registry(scenario.registry(), "tests")
    for upload in _near_misses():
        store.save_upload(upload)
    sizes = compare_all(store)
    assert sizes == dict.fromkeys(sizes, 0)


def test_detect_findings_identical_on_synth_data(store, tmp_path):
    """Differential: synth data through both stores gives the same events, registry and
    findings (type by type, key by key), and the Cypher detectors agree with them."""
    from flowgraph.synth import generate

    data = tmp_path / "synth"
    generate(data, seed=5, scale=0.05)
    local = LocalStore.open(tmp_path / "fg.db")
    for target in (store, local):
        load_registry(target, data / "registry")
        summary = load_files(target, [data / "uploads"])
        assert not summary.rejected
    pd.testing.assert_frame_equal(store.events(), local.events())
    neo, loc = store.registry(), local.registry()
    for part in ("enterprises", "designations", "quotas"):
        pd.testing.assert_frame_equal(getattr(neo, part), getattr(loc, part))
    from_neo = run_detectors(store.events(), store.registry())
    from_local = run_detectors(local.events(), local.registry())
    pd.testing.assert_frame_equal(from_neo, from_local)
    assert len(from_neo) > 0  # synth plants anomalies
    compare_all(store)
    local.close()


def test_cli_detect_on_neo4j_prints_what_the_embedded_store_prints(store, tmp_path):
    from click.testing import CliRunner
    from neo4j_scenario import URI

    from flowgraph.cli.main import cli

    local_path = tmp_path / "fg.db"
    local = LocalStore.open(local_path)
    for target in (store, local):
        scenario.load(target)
    local.close()
    runner = CliRunner()
    on_neo4j = runner.invoke(cli, ["--store", URI, "detect", "--format", "jsonl"])
    on_local = runner.invoke(cli, ["--store", str(local_path), "detect", "--format", "jsonl"])
    assert on_neo4j.exit_code == 0, on_neo4j.output
    assert on_neo4j.output == on_local.output
    lines = on_neo4j.output.strip().splitlines()
    assert len(lines) >= 10
    found = store.driver.execute_query("MATCH (f:Finding) RETURN count(f)").records[0][0]
    assert found == len(lines)
