"""`flowgraph trace`: text tree, json, downstream, unknown lot (exit 2)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from lineage_chains import standard_registry
from test_provenance import mixed_chain

from flowgraph.cli.main import cli
from flowgraph.encoding import encode_text


class FakeStore:
    uri = "fake"

    def __init__(self, events, registry):
        self._events, self._registry = events, registry

    def events(self, period=None, year=None, encoded=False):  # no upload_keys: every event
        return encode_text(self._events) if encoded else self._events

    def registry(self):
        return self._registry

    def close(self):
        pass


@pytest.fixture
def store(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FLOWGRAPH_CONFIG", raising=False)
    fake = FakeStore(mixed_chain(), standard_registry())
    monkeypatch.setattr("flowgraph.cli.context.open_store", lambda uri, **_: fake)
    return fake


def run(*args):
    return CliRunner().invoke(cli, ["trace", *args])


def test_text_tree_shows_origins_and_breaks(store):
    result = run("MET")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("Lot MET (ND_OXIDE): traceable  50.9%")
    assert "ORIGIN mine: ORE extracted by M1 on 2024-02-01, licence LIC-M1" in out
    assert "!! BREAK undesignated extraction: ORE2 by M1 on 2024-07-01" in out
    assert "!! BREAK unknown lot: UNK" in out
    assert "!! BREAK batch gain: B1 at S1" in out
    assert "!! BREAKS: 5 point(s) where traceability breaks:" in out
    # indentation follows the tree: MET > B2 > OX > B1 > ORE > origin
    assert "\n        50.9%  lot ORE MIXED_CONC by M1" in out
    assert "\n          50.9%  ORIGIN mine" in out
    assert "\n        6.1%  lot UNK BAST_CONC at S1\n" in out


def test_json_is_the_trace_dict(store):
    result = run("MET", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["lot_id"] == "MET"
    assert sum(o["share"] for o in data["origins"]) == pytest.approx(1.0)


def test_clean_lot_says_no_breaks(store):
    result = run("ORE")
    assert result.exit_code == 0, result.output
    assert "No breaks" in result.output
    assert "BREAK" not in result.output


def test_downstream_text(store):
    result = run("ORE", "--downstream")
    assert result.exit_code == 0, result.output
    out = result.output.splitlines()
    assert out[0] == "lot ORE MIXED_CONC"
    assert "  fed batch B1 at S1 2024-02-10: 1,000.0 kg (500.0 kg REO)" in out
    assert any(line.startswith("    lot OX ND_OXIDE") for line in out)
    assert any("exported by P1 to JP" in line for line in out)
    assert any("latest stock at S1 2024-03: 400.0 kg" in line for line in out)


def test_downstream_json(store):
    result = run("ORE", "--downstream", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["batches"][0]["batch_id"] == "B1"


def test_unknown_lot_exits_2_with_one_line(store):
    result = run("NOPE")
    assert result.exit_code == 2
    assert result.output.strip() == "Error: no lot, shipment or batch NOPE in the current uploads"


def test_a_shipment_id_traces_the_lots_it_carries(store):
    result = run("SH7")
    assert result.exit_code == 0, result.output
    first, _, rest = result.output.partition("\n")
    assert first == "Shipment SH7 (rows of S1) carries 1 lot(s): OX"
    assert rest.lstrip().startswith("Lot OX (LA_OXIDE)") or "Lot OX (" in rest
    doc = json.loads(run("X1", "--format", "json").output)
    assert doc["kind"] == "shipment" and doc["lots"] == ["MET"]
    assert doc["traces"][0]["lot_id"] == "MET"


def test_a_batch_id_traces_its_output_lots(store):
    result = run("B2")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Batch B2 at P1: tracing its output lots: MET\n")
    assert "Lot MET (ND_OXIDE)" in result.output
    down = run("B1", "--downstream")
    assert down.output.startswith("Batch B1 at S1: tracing its output lots: OX\n")
    assert "lot OX" in down.output


def test_trace_and_quota_read_the_local_store(tmp_path, monkeypatch):
    import hashlib

    from flowgraph.model import Upload
    from flowgraph.store import open_store

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FLOWGRAPH_CONFIG", raising=False)
    db = str(tmp_path / "fg.db")
    store = open_store(db)
    store.save_registry(standard_registry(), "hand")
    for (ent, period), rows in mixed_chain().groupby(["enterprise_id", "period"]):
        rows = rows.reset_index(drop=True)
        digest = hashlib.sha256(rows.to_csv().encode()).hexdigest()
        store.save_upload(Upload(f"{ent}-{period}.csv", digest, ent, period, rows))
    store.close()
    result = CliRunner().invoke(cli, ["--store", db, "trace", "MET", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["traceable_share"] == pytest.approx(275 / 300 * 500 / 900)
    result = CliRunner().invoke(cli, ["--store", db, "quota", "--format", "json"])
    assert result.exit_code == 0, result.output
    used = {(r["enterprise_id"], r["activity"]): r["used_t_reo"] for r in json.loads(result.output)}
    assert used == pytest.approx({("M1", "mining"): 0.7, ("S1", "smelting"): 0.9})


def test_downstream_text_tells_the_story_the_json_nests(monkeypatch, tmp_path):
    # issue 14: each batch is followed by the lots it made, events run in date order, output
    # lots show the part of their REO that came from the traced lot, and a shipment nobody
    # confirmed is marked.
    from flowgraph.model import events_frame

    def e(kind, date, ent, lot, mass, **kw):
        return {"event_type": kind, "date": date, "enterprise_id": ent, "lot_id": lot,
                "mass_kg": mass, **kw}  # fmt: skip

    ev = events_frame([
        e("extract", "2024-01-02", "M1", "A", 1000, product="BAST_CONC", reo_pct=60),
        e("consume", "2024-01-10", "M1", "A", 500, batch_id="B1"),
        e("consume", "2024-01-10", "M1", "Z", 500, product="BAST_CONC", reo_pct=60,
          batch_id="B1"),
        e("produce", "2024-01-11", "M1", "X", 300, product="ND_OXIDE", reo_pct=99, batch_id="B1"),
        e("ship", "2024-01-15", "M1", "A", 100, counterparty_id="S1", shipment_id="SH1"),
        e("ship", "2024-01-16", "M1", "A", 50, counterparty_id="S2", shipment_id="SH2"),
        e("receive", "2024-01-17", "S1", "A", 100, counterparty_id="M1", shipment_id="SH1"),
        e("consume", "2024-01-20", "M1", "A", 350, batch_id="B2"),
        e("produce", "2024-01-21", "M1", "Y", 200, product="CE_OXIDE", reo_pct=99, batch_id="B2"),
    ])  # fmt: skip
    fake = FakeStore(ev, standard_registry())
    monkeypatch.setattr("flowgraph.cli.context.open_store", lambda uri, **_: fake)
    result = run("A", "--downstream")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "lot A BAST_CONC",
        "  created: extract by M1 2024-01-02 1,000.0 kg (600.0 kg REO)",
        "  fed batch B1 at M1 2024-01-10: 500.0 kg (300.0 kg REO)",
        "    lot X ND_OXIDE - 300.0 kg, 297.0 kg REO made by the batch; 148.5 kg REO of it from "
        "the traced lot (50.0%)",
        "      created: produce by M1 2024-01-11 300.0 kg (297.0 kg REO)",
        "  shipped by M1 to S1 2024-01-15 shipment SH1: 100.0 kg (60.0 kg REO)",
        "  shipped by M1 to S2 2024-01-16 shipment SH2: 50.0 kg (30.0 kg REO)  !! no receipt by "
        "S2 in the loaded uploads",
        "  received by S1 from M1 2024-01-17 shipment SH1: 100.0 kg (60.0 kg REO)",
        "  fed batch B2 at M1 2024-01-20: 350.0 kg (210.0 kg REO)",
        "    lot Y CE_OXIDE - 200.0 kg, 198.0 kg REO made by the batch",
        "      created: produce by M1 2024-01-21 200.0 kg (198.0 kg REO)",
    ]
