"""The bulk importer's tables (pure) and the command's refusals (no Java needed).

The imported graph itself is held equal to the Bolt-loaded one in
tests/neo4j/test_neo4j_bulk_import.py (real neo4j-admin, real server)."""

from __future__ import annotations

import pandas as pd
from click.testing import CliRunner

from flowgraph.cli.main import cli
from flowgraph.model import events_frame
from flowgraph.neo4jimport import admin_arguments, write_tables
from flowgraph.neo4jimport.tables import graph_tables, lot_nodes, numbered


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


def test_numbered_tables_end_relationships_at_their_nodes_record_ids():
    lots = pd.DataFrame({"id:ID(Lot)": ["L1", "L2"], "product": ["A", "B"]})
    uploads = pd.DataFrame({":ID(Upload)": ["7"], "upload_id:long": [7]})
    rel = pd.DataFrame({":START_ID(Upload)": ["7", "7"], ":END_ID(Lot)": ["L2", "L1"], "w": [1, 2]})
    out = numbered(
        {"lots": ("nodes", "Lot", lots), "uploads": ("nodes", "Upload", uploads),
         "r": ("relationships", "R", rel)}
    )  # fmt: skip
    assert out["lots"][2].columns.tolist() == [":ID", "id", "product"]
    assert out["uploads"][2].values.tolist() == [[2, 7]]  # record ids run on over the tables
    assert out["r"][2].values.tolist() == [[2, 1, 1], [2, 0, 2]]
    assert out["r"][2].columns.tolist() == [":START_ID", ":END_ID", "w"]


def test_only_a_file_with_a_value_over_lines_is_read_in_multiline_mode(tmp_path):
    notes = pd.DataFrame({":START_ID": [0, 1], ":END_ID": [1, 0], "note": ["one\ntwo", None]})
    plain = pd.DataFrame({":ID": [0, 1], "id": ["a;b", "c,d"]})
    files = write_tables(
        {"plain": ("nodes", "Lot", plain), "notes": ("relationships", "R", notes),
         "empty": ("nodes", "Batch", plain.iloc[:0])},
        tmp_path,
    )  # fmt: skip
    assert [(f.path.name, f.multiline) for f in files] == [
        ("plain.csv", False),
        ("notes.csv", True),
    ]
    args = admin_arguments(files, "neo4j", False, tmp_path / "report")
    assert f"--multiline-fields={tmp_path / 'notes.csv'}" in args
    plain_only = admin_arguments(files[:1], "neo4j", False, tmp_path / "report")
    assert not any(a.startswith("--multiline") for a in plain_only)


def test_load_bulk_refuses_without_a_home_or_a_neo4j_store(tmp_path):
    runner = CliRunner()
    store = str(tmp_path / "fg.db")
    no_home = runner.invoke(cli, ["--store", "bolt://127.0.0.1:1", "load", "--bulk", str(tmp_path)])
    assert no_home.exit_code == 2 and "--bulk needs --neo4j-home" in no_home.output
    embedded = runner.invoke(
        cli, ["--store", store, "load", "--bulk", "--neo4j-home", str(tmp_path), str(tmp_path)]
    )
    assert embedded.exit_code == 2 and "--bulk writes a Neo4j database" in embedded.output
    alone = runner.invoke(cli, ["--store", store, "load", "--neo4j-home", str(tmp_path), "x"])
    assert alone.exit_code == 2 and "--neo4j-home goes with --bulk" in alone.output
    assert not (tmp_path / "fg.db").exists()


def test_load_bulk_refuses_a_stopped_servers_existing_database(tmp_path):
    """Whether it is empty cannot be seen without the server: nothing is touched."""
    database = tmp_path / "home" / "data" / "databases" / "neo4j"
    database.mkdir(parents=True)
    (database / "neostore").write_text("")
    result = CliRunner().invoke(
        cli,
        ["--store", "bolt://127.0.0.1:1", "load", "--bulk", "--neo4j-home",
         str(tmp_path / "home"), str(tmp_path)],
    )  # fmt: skip
    assert result.exit_code == 2 and "cannot be checked" in result.output
    assert "--overwrite" in result.output and (database / "neostore").exists()
