"""Named investigator queries (queries/*.cypher) on the planted scenario, and `flowgraph query`."""

from __future__ import annotations

import json

import neo4j_scenario as scenario
import pandas as pd
import pytest
from click.testing import CliRunner
from neo4j_scenario import URI

from flowgraph.analysis import run_detectors
from flowgraph.cli.main import cli
from flowgraph.errors import UsageError
from flowgraph.investigations import record_run
from flowgraph.querylib import list_queries, run_query, run_read

pytestmark = pytest.mark.neo4j

# Parameters to run every query with on the scenario (required ones at least).
ARGS = {"lot_id": "L3", "enterprise_id": "S1", "year": "2024"}
INVESTIGATOR = sorted(n for n in list_queries() if not n.startswith("detect_"))


@pytest.fixture
def loaded(store):
    scenario.load(store)
    record_run(store, run_detectors(store.events(), store.registry()))
    return store


def run(store, name: str, **params) -> pd.DataFrame:
    return run_query(store, name, {k: str(v) for k, v in params.items()})


def test_at_least_twelve_investigator_queries_with_headers():
    assert len(INVESTIGATOR) >= 12
    for name, query in list_queries().items():
        assert query.purpose, name
        assert query.returns, name
        assert "$" not in query.purpose  # parameters are documented, never spliced in


def test_every_query_runs_and_returns_its_documented_columns(loaded):
    for name, query in list_queries().items():
        params = {p.name: ARGS[p.name] for p in query.params if p.required}
        frame = run_query(loaded, name, params)
        assert list(frame.columns) == query.returns, name


def test_lot_provenance_reaches_the_mine(loaded):
    frame = run(loaded, "lot_provenance", lot_id="L3")
    assert frame[["origin_lot", "steps", "origin_kind", "created_by"]].values.tolist() == [
        ["L1", 1, "extract", "M1"]
    ]


def test_lot_downstream_follows_batches_to_exports(loaded):
    frame = run(loaded, "lot_downstream", lot_id="L2")  # L2 -> batch B2 -> L4 -> T1 -> JP
    flows = frame[["lot_id", "steps", "flow", "enterprise_id", "country"]].values.tolist()
    assert ["L4", 1, "export", "T1", "JP"] in flows
    assert ["L4", 1, "receive", "T1", None] in flows
    assert ["L2", 0, "receive", "S1", None] in flows


def test_monthly_balance_of_the_mine(loaded):
    frame = run(loaded, "enterprise_monthly_balance", enterprise_id="M1", year=2024)
    row = frame.iloc[0]
    assert row["period"] == "2024-03"
    assert row["reo_in_kg"] == pytest.approx(1206.0)  # 2000 + 10 kg at 60 %
    assert row["reo_out_kg"] == pytest.approx(1140.0)  # 1900 kg shipped at 60 %
    assert row["declared_stock_reo_kg"] == pytest.approx(60.0)


def test_unmatched_shipments_finds_the_lost_one_and_the_unknown_sender(loaded):
    frame = run(loaded, "unmatched_shipments")
    # SH3 S1 -> T1 never received; SH9 received by S1 from U9, which uploads nothing.
    assert sorted(frame[["side", "shipment_id"]].values.tolist()) == [
        ["received, no shipment", "SH9"],
        ["shipped, no receipt", "SH3"],
    ]
    assert run(loaded, "unmatched_shipments", period="2024-04").empty


def test_undesignated_sender_flows(loaded):
    frame = run(loaded, "undesignated_sender_flows")
    senders = sorted(set(frame["sender_id"]))
    # M2 (no designation), T1 (registered, no designation) and U9 (unregistered) send; S1 and
    # M1 are designated on their shipping dates.
    assert "U9" in senders and "M2" in senders
    assert "M1" not in senders and "S1" not in senders
    assert not frame.loc[frame["sender_id"] == "U9", "registered"].any()


def test_batches_outside_the_band(loaded):
    frame = run(loaded, "batches_outside_recovery_band")
    assert frame["batch_id"].tolist() == ["B2"]
    assert frame["recovery"].iloc[0] == pytest.approx(495.0 / 360.0)
    assert run(loaded, "batches_outside_recovery_band", high="1.5").empty


def test_quota_burndown(loaded):
    frame = run(loaded, "quota_burndown", enterprise_id="M1", year=2024)
    assert frame[["activity", "period"]].values.tolist() == [["mining", "2024-03"]]
    assert frame["used_t"].iloc[0] == pytest.approx(1.206)
    assert frame["remaining_t"].iloc[0] == pytest.approx(-0.206)


def test_untraceable_entry_points(loaded):
    frame = run(loaded, "untraceable_entry_points")
    kinds = {(e, k) for e, k in frame[["enterprise_id", "kind"]].values}
    assert ("M2", "undesignated extract") in kinds
    assert ("S1", "unknown lot") in kinds  # L9 received from U9
    assert ("T1", "unknown lot") in kinds  # LX exported
    assert list(frame["reo_kg"]) == sorted(frame["reo_kg"], reverse=True)


def test_paths_to_exports(loaded):
    frame = run(loaded, "paths_to_exports", enterprise_id="M1")
    assert frame[["exporter_id", "hops"]].values.tolist() == [["T1", 2]]
    assert frame["route"].iloc[0] == ["M1", "S1", "T1"]


def test_lots_with_unexplained_holders(loaded):
    frame = run(loaded, "lots_with_unexplained_holders")
    # T1 exports LX that nobody shipped it; T1 declares stock of L4... which it received.
    assert frame[frame["lot_id"] == "LX"]["unexplained"].iloc[0] == ["T1"]
    assert "L4" not in set(frame["lot_id"])


def test_single_counterparty_traders(loaded):
    frame = run(loaded, "single_counterparty_traders", min_shipments=1)
    assert set(frame["enterprise_id"]) == {"M1", "M2", "T1"}
    assert frame.set_index("enterprise_id").loc["T1", "counterparty_id"] == "S1"


def test_findings_around_enterprise(loaded):
    frame = run(loaded, "findings_around_enterprise", enterprise_id="S1")
    pairs = {(r, t) for r, t in frame[["relation", "type"]].values}
    assert ("own batch", "TRANSFORM_GAIN") in pairs
    assert ("self", "UNCONFIRMED_SHIPMENT") in pairs
    assert ("partner", "QUOTA_EXCEEDED") in pairs  # M1 supplies S1


def test_write_attempt_in_a_query_fails_clearly(store):
    with pytest.raises(UsageError, match="tried to write; named queries run read-only"):
        run_read(store, "CREATE (n:Intruder) RETURN n", {})
    assert store.driver.execute_query("MATCH (n:Intruder) RETURN count(n)").records[0][0] == 0


def test_cli_list_shows_every_query():
    result = CliRunner().invoke(cli, ["query", "--list"])
    assert result.exit_code == 0
    for name in list_queries():
        assert name in result.output
    assert "lot_provenance  lot_id:string" in result.output


def test_cli_unknown_query_and_missing_parameter_exit_2():
    runner = CliRunner()
    result = runner.invoke(cli, ["--store", URI, "query", "no_such_query"])
    assert result.exit_code == 2
    assert "unknown query 'no_such_query'" in result.output
    result = runner.invoke(cli, ["--store", URI, "query", "lot_provenance"])
    assert result.exit_code == 2
    assert "needs parameter lot_id (string): -p lot_id=VALUE" in result.output
    result = runner.invoke(cli, ["--store", URI, "query", "quota_burndown", "-p",
                                 "enterprise_id=M1", "-p", "year=twenty"])  # fmt: skip
    assert result.exit_code == 2
    assert "parameter year: 'twenty' is not a valid int" in result.output


def test_cli_formats(loaded):
    runner = CliRunner()
    args = ["--store", URI, "query", "paths_to_exports", "-p", "enterprise_id=M1"]
    result = runner.invoke(cli, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["route"] == ["M1", "S1", "T1"]
    result = runner.invoke(cli, [*args, "--format", "csv"])
    assert (
        result.output.splitlines()[0] == "exporter_id,hops,route,countries,exported_kg,export_rows"
    )
    result = runner.invoke(cli, [*args])
    assert result.exit_code == 0 and "T1" in result.output
