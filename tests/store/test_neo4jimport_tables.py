"""The bulk importer's tables (pure) and the command's refusals (no Java needed).

The imported graph itself is held equal to the Bolt-loaded one in
tests/neo4j/test_neo4j_bulk_import.py (real neo4j-admin, real server)."""

from __future__ import annotations

import pandas as pd
from click.testing import CliRunner

from flowgraph.cli.main import cli
from flowgraph.model import events_frame
from flowgraph.neo4jimport.tables import graph_tables, lot_nodes


def _ev(upload_id, row, etype, lot, **extra) -> dict:
    return {"event_id": f"{upload_id}-{row}", "event_type": etype, "date": "2024-03-05",
            "enterprise_id": "E1", "lot_id": lot, "mass_kg": 10.0, "upload_id": upload_id,
            "source_row": row, **extra}  # fmt: skip


def test_a_lot_takes_its_last_written_creation_else_its_first_row():
    written = events_frame(
        [
            # L1: received first (product of the receipt), then created in two later files.
            _ev(1, 2, "receive", "L1", product="BAST_CONC", counterparty_id="E2",
                shipment_id="S1"),
            _ev(2, 3, "produce", "L1", product="ND_OXIDE", reo_pct=99.0, batch_id="B1"),
            # Same file: extract rows are written before produce rows, whatever the row order.
            _ev(3, 2, "produce", "L1", product="LA_OXIDE", reo_pct=98.0, batch_id="B2"),
            _ev(3, 5, "extract", "L1", product="MIXED_CONC", reo_pct=50.0),
            # L2: never created: the first row's product, no reo_pct.
            _ev(3, 7, "stock", "L2", product="ND_METAL"),
            _ev(3, 8, "stock", "L2", product="TB_METAL"),
        ]
    )  # fmt: skip
    lots = lot_nodes(written, written).set_index("id:ID(Lot)")
    assert lots.loc["L1"].tolist() == ["LA_OXIDE", "compound", 98.0]
    assert lots.loc["L2", "product"] == "ND_METAL" and pd.isna(lots.loc["L2", "reo_pct:double"])


def test_tables_hold_history_links_and_the_upload_counter():
    current = events_frame(
        [
            _ev(2, 2, "ship", "L1", counterparty_id="E2", shipment_id="S1"),
            _ev(2, 3, "consume", "L1", batch_id="B1"),
        ]
    )
    history = events_frame([_ev(1, 2, "ship", "L1", counterparty_id="E9", shipment_id="S0")])
    uploads = pd.DataFrame(
        {
            "upload_id": [1, 2], "enterprise_id": ["E1", "E1"], "period": ["2024-03"] * 2,
            "revision": [1, 2], "file_name": ["a.csv", "b.csv"], "sha256": ["x", "y"],
            "loaded_at": ["t1", "t2"], "superseded_by": pd.array([2, None], dtype="Int64"),
            "events": [1, 2], "current": [False, True],
        }
    )  # fmt: skip
    ids = {1: (["1-2"], []), 2: (["2-2", "2-3"], ["B1"])}
    tables = graph_tables(uploads, current, history, ids)
    frame = {name: table[2] for name, table in tables.items()}
    # E9 was named only by the superseded upload: its node stays, as on the Bolt path.
    assert sorted(frame["enterprises"]["id:ID(Enterprise)"]) == ["E1", "E2", "E9"]
    assert frame["shipments"]["id:ID(Shipment)"].tolist() == ["S1"]  # S0 left with its upload
    assert frame["to"].values.tolist() == [["S1", "E2"]]
    assert frame["ran"].values.tolist() == [["E1", "E1/B1"]]
    assert frame["supersedes"].values.tolist() == [["2", "1"]]
    assert frame["recorded"][":START_ID(Upload)"].tolist() == ["1"]
    assert frame["history"]["shipment_id"].tolist() == ["S0"]
    assert frame["counter"]["value:long"].tolist() == [2]
    assert frame["uploads"]["event_ids:string[]"].tolist() == ["1-2", "2-2\x1f2-3"]
    assert tables["rel_consume"][1] == "INPUT_TO"
    assert frame["rel_consume"][[":START_ID(Lot)", ":END_ID(Batch)"]].values.tolist() == [
        ["L1", "E1/B1"]
    ]


def test_neo4j_import_refuses_an_existing_database_and_a_missing_home(tmp_path):
    runner = CliRunner()
    missing = runner.invoke(
        cli, ["neo4j-import", str(tmp_path), "--neo4j-home", str(tmp_path / "x")]
    )
    assert missing.exit_code == 2 and "no such folder" in missing.output
    database = tmp_path / "home" / "data" / "databases" / "neo4j"
    database.mkdir(parents=True)
    (database / "neostore").write_text("")
    taken = runner.invoke(
        cli, ["neo4j-import", str(tmp_path), "--neo4j-home", str(tmp_path / "home")]
    )
    assert taken.exit_code == 2
    assert "already exists" in taken.output and "--overwrite" in taken.output
    assert (database / "neostore").exists()
