"""``import flowgraph``: the workflow for notebooks, lazy, and the same settings as the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

import flowgraph
from flowgraph.cli.main import cli
from flowgraph.model import Upload, events_frame


def test_import_is_lazy_and_fast():
    code = (
        "import sys, flowgraph; "
        "print(sorted(m for m in ('pandas', 'numpy', 'plotly', 'neo4j', 'networkx', 'click')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_public_name_resolves_is_listed_and_documented():
    names = flowgraph.__all__
    assert names == sorted(set(names)) and not [n for n in names if n.startswith("_")]
    for step in ("open_store", "load", "detect", "trace", "lot_shares", "flow_table"):
        assert step in names
    for step in ("sankey_figure", "findings_report", "render_findings_html", "load_registry"):
        assert step in names
    for name in names:
        value = getattr(flowgraph, name)
        assert value.__doc__, name
        assert name in dir(flowgraph)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = flowgraph.nope


def _upload(enterprise: str, records: list[dict]) -> Upload:
    events = events_frame(records)
    return Upload(f"{enterprise}.csv", enterprise * 32, enterprise, "2024-01", events)


@pytest.fixture
def store(tmp_path, monkeypatch):
    """M1 ships 1,000 kg; S1 receives 990 kg: a TRANSIT_MISMATCH at the SPEC default
    (10 kg > max(0.5% of 1,000 kg, 1 kg)), not with transit_min_kg = 20."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FLOWGRAPH_CONFIG", raising=False)
    monkeypatch.delenv("FLOWGRAPH_STORE", raising=False)
    store = flowgraph.open_store(str(tmp_path / "fg.db"))
    common = {"lot_id": "L1", "product": "BAST_CONC", "shipment_id": "SH1"}
    store.save_upload(_upload("M1", [
        {"event_id": "1", "event_type": "extract", "date": "2024-01-02", "enterprise_id": "M1",
         "mass_kg": 1000, "reo_pct": 60, "document_ref": "LIC", "lot_id": "L1",
         "product": "BAST_CONC"},
        {"event_id": "2", "event_type": "ship", "date": "2024-01-05", "enterprise_id": "M1",
         "mass_kg": 1000, "counterparty_id": "S1", **common},
    ]))  # fmt: skip
    store.save_upload(_upload("S1", [
        {"event_id": "1", "event_type": "receive", "date": "2024-01-06", "enterprise_id": "S1",
         "mass_kg": 990, "counterparty_id": "M1", **common},
    ]))  # fmt: skip
    yield store
    store.close()


def _cli_types(tmp_path) -> list[str]:
    result = CliRunner().invoke(cli, ["--store", str(tmp_path / "fg.db"), "detect", "--format",
                                      "jsonl", "--type", "TRANSIT_MISMATCH"])  # fmt: skip
    assert result.exit_code == 0, result.output
    return [json.loads(line)["type"] for line in result.stdout.splitlines() if line.strip()]


def test_detect_honours_flowgraph_toml_as_the_cli_does(store, tmp_path, monkeypatch):
    default = flowgraph.detect(store, types=["TRANSIT_MISMATCH"])
    assert default["type"].tolist() == ["TRANSIT_MISMATCH"] == _cli_types(tmp_path)
    (tmp_path / "flowgraph.toml").write_text("[tolerances]\ntransit_min_kg = 20\n")
    assert flowgraph.detect(store, types=["TRANSIT_MISMATCH"]).empty
    assert _cli_types(tmp_path) == []
    # FLOWGRAPH_CONFIG names another file, for both
    other = tmp_path / "strict.toml"
    other.write_text("[tolerances]\ntransit_min_kg = 2\n")
    monkeypatch.setenv("FLOWGRAPH_CONFIG", str(other))
    assert (
        len(flowgraph.detect(store, types=["TRANSIT_MISMATCH"])) == 1 == len(_cli_types(tmp_path))
    )
    # explicit tolerances win
    loose = flowgraph.Tolerances(transit_min_kg=50)
    assert flowgraph.detect(store, types=["TRANSIT_MISMATCH"], tolerances=loose).empty


def test_open_store_defaults_to_the_cli_store(tmp_path, monkeypatch, store):
    monkeypatch.setenv("FLOWGRAPH_STORE", str(tmp_path / "fg.db"))
    again = flowgraph.open_store()
    try:
        assert again.uri == str(tmp_path / "fg.db") and len(again.events()) == 3
    finally:
        again.close()


def test_workflow_functions_read_the_store(store):
    shares = flowgraph.lot_shares(store)
    assert shares.to_dict() == {"L1": 0.0}  # no registry: the mine is not designated
    trace = flowgraph.trace(store, "L1")
    assert trace["lot_id"] == "L1" and trace["traceable_share"] == 0.0
    down = flowgraph.trace(store, "L1", downstream=True)
    assert [s["shipment_id"] for s in down["ships"]] == ["SH1"]
    flows = flowgraph.flow_table(store)
    assert flows["untraceable_t"].sum() > 0
    figure = flowgraph.sankey_figure(flows)
    assert figure.data[0].type == "sankey"
    report = flowgraph.findings_report(store)
    assert isinstance(report, flowgraph.FindingsReport)
    assert "TRANSIT_MISMATCH" in report.summary["type"].tolist()
    page = flowgraph.render_findings_html(report)
    assert page.startswith("<!doctype html>") and "TRANSIT_MISMATCH" in page
