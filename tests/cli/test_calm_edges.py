"""What a new user meets at the edges (issue 14): empty years, months and provinces answered
calmly; store paths that do not exist, read-only or full; unknown schemes; output paths."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from flowgraph.cli.main import cli
from flowgraph.model import registry_from_records
from flowgraph.store.local import LocalStore

HEADER = "event_id,event_type,date,enterprise_id,lot_id,product,mass_kg,reo_pct,document_ref,"
HEADER += "counterparty_id,shipment_id\n"
MINE_2024 = HEADER + "1,extract,2024-03-02,M1,L1,BAST_CONC,1000,60,LIC-1,,\n"
# The latest year holds only a receive row: no quota row, no extraction, no smelting in it.
RECEIVE_2025 = HEADER + "1,receive,2025-01-10,S1,L1,BAST_CONC,500,,,M1,SH1\n"


def registry():
    return registry_from_records(
        enterprises=[
            {"enterprise_id": "M1", "name": "Mine", "province": "Inner Mongolia", "roles": "mine"},
            {"enterprise_id": "S1", "name": "Smelter", "province": "Jiangxi", "roles": "smelter"},
        ],
        designations=[
            {"enterprise_id": "M1", "activity": "mining", "licence_no": "LIC-1",
             "valid_from": "2024-01-01", "valid_to": None},
        ],
        quotas=[{"enterprise_id": "M1", "year": 2024, "activity": "mining", "quota_t_reo": 5.0}],
    )  # fmt: skip


@pytest.fixture
def store_path(tmp_path, monkeypatch) -> Path:
    """A store with a 2024 extraction and a 2025 that has only a receive row."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FLOWGRAPH_STORE", raising=False)
    monkeypatch.delenv("FLOWGRAPH_CONFIG", raising=False)
    for name, text in (("m1-2024-03.csv", MINE_2024), ("s1-2025-01.csv", RECEIVE_2025)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    path = tmp_path / "fg.db"
    store = LocalStore.open(path)
    store.save_registry(registry(), "tests")
    store.close()
    result = CliRunner().invoke(
        cli, ["--store", str(path), "load", "m1-2024-03.csv", "s1-2025-01.csv"]
    )
    assert result.exit_code == 0, result.output
    return path


def run(path: Path, *args: str):
    return CliRunner().invoke(cli, ["--store", str(path), *args])


# -- item 1: empty year / month / province answered calmly ------------------------------------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["quota", "--year", "2023"], "No quota rows and no extraction or smelting for 2023."),
        (
            ["quota"],
            "No quota rows and no extraction or smelting for 2025.",
        ),  # latest: receive only
        (["quota", "--as-of", "2025-06"], "No quota rows and no extraction or smelting for 2025."),
    ],
)
def test_quota_on_a_year_without_quota_rows_says_so(store_path, args, says):
    result = run(store_path, *args)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == says


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_quota_exports_of_an_empty_year_are_empty(store_path, fmt):
    result = run(store_path, "quota", "--year", "2023", "--format", fmt)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == ("[]" if fmt == "json" else result.output.splitlines()[0])
    if fmt == "csv":
        assert result.output.startswith("enterprise_id,name,year,activity")


@pytest.mark.parametrize(
    "args",
    [
        ["report", "findings", "--period", "2025-01", "-o", "f.html"],
        ["report", "findings", "--year", "2023", "-o", "f.html"],
        ["report", "sankey", "--year", "2023", "-o", "s.html"],
        ["report", "sankey", "--period", "2025-02", "-o", "s.html"],
        ["detect", "--year", "2023"],
        ["detect", "--period", "2025-02", "--format", "csv"],
        ["trace", "NO-SUCH-LOT"],
        ["trace", "NO-SUCH-LOT", "--downstream"],
        ["uploads", "--summary"],
    ],
)
def test_every_command_on_an_empty_selection_answers_calmly(store_path, args):
    result = run(store_path, *args)
    assert result.exit_code in (0, 2), result.output
    assert "Internal error" not in result.output and "Traceback" not in result.output


def test_sankey_of_an_empty_window_says_nothing_to_draw(store_path):
    result = run(store_path, "report", "sankey", "--year", "2023", "-o", "s.html")
    assert result.exit_code == 0, result.output
    assert "No REO flows in this selection (2023): nothing to draw" in result.output


def test_sankey_unknown_province_exits_2_listing_the_known_ones(store_path):
    result = run(store_path, "report", "sankey", "--province", "Atlantis", "-o", "s.html")
    assert result.exit_code == 2, result.output
    assert result.output.strip() == (
        "Error: --province 'Atlantis': no enterprise of the registry is in it; "
        "known provinces: Inner Mongolia, Jiangxi"
    )
    assert not Path("s.html").exists()


# -- item 7: a read command on a store path that does not exist --------------------------------


@pytest.mark.parametrize(
    "args",
    [["detect"], ["uploads"], ["quota"], ["trace", "L1"], ["registry", "show", "quotas"],
     ["report", "sankey", "-o", "s.html"]],
)  # fmt: skip
def test_reading_a_missing_store_exits_3_and_creates_nothing(tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    result = run(tmp_path / "typo.db", *args)
    assert result.exit_code == 3, result.output
    assert result.output.startswith(
        f"Error: no store at {tmp_path / 'typo.db'}: nothing was created"
    )
    assert list(tmp_path.iterdir()) == []


def test_loading_still_creates_the_store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.csv").write_text(MINE_2024, encoding="utf-8")
    assert run(tmp_path / "new.db", "load", "a.csv").exit_code == 0
    assert (tmp_path / "new.db").exists()


# -- item 18: a URI scheme flowgraph does not know ---------------------------------------------


def test_unknown_scheme_names_the_accepted_ones(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("http://127.0.0.1:1", "detect")  # type: ignore[arg-type]
    assert result.exit_code == 2, result.output
    assert result.output.strip() == (
        "Error: store http://127.0.0.1:1: flowgraph does not know the scheme http://; give a path "
        "to the embedded store file (e.g. flowgraph.db) or a Neo4j URI: bolt://, bolt+s://, "
        "bolt+ssc://, neo4j://, neo4j+s://, neo4j+ssc://"
    )
    assert list(tmp_path.iterdir()) == []


# -- item 9: the disk fills up during a load ---------------------------------------------------


def test_full_disk_during_load_prints_what_committed_and_exits_3(store_path, monkeypatch):
    # SQLite's page limit gives the very error a full disk gives (SQLITE_FULL).
    real_open = LocalStore.open.__func__

    def open_small(cls, path, **kw):
        store = real_open(cls, path, **kw)
        pages = store.connection.execute("PRAGMA page_count").fetchone()[0]
        store.connection.execute(f"PRAGMA max_page_count = {pages + 8}")
        return store

    monkeypatch.setattr(LocalStore, "open", classmethod(open_small))
    rng = random.Random(4)  # incompressible enough that the blob needs many pages
    big = HEADER + "".join(
        f"x{n},extract,2024-06-02,M1,B{rng.getrandbits(64):x},BAST_CONC,{rng.random() * 1e4 + 1:.3f},"
        f"60,LIC-{rng.getrandbits(32)},,\n"
        for n in range(1, 5000)
    )
    Path("m1-2024-06.csv").write_text(big, encoding="utf-8")
    may = MINE_2024.replace("1,extract,2024-03-02", "m5,extract,2024-05-02")
    Path("m1-2024-05.csv").write_text(may, encoding="utf-8")
    result = run(store_path, "load", "m1-2024-05.csv", "m1-2024-06.csv")
    assert result.exit_code == 3, result.output
    lines = result.output.splitlines()
    assert lines[0] == "loaded     m1-2024-05.csv  (M1 2024-05, 1 event, revision 1)"
    assert lines[1] == "1 file: 1 loaded, 0 superseded, 0 unchanged, 0 rejected; 1 event"
    assert lines[2].startswith(f"Error: cannot write store {store_path}: database or disk is full")
    assert "after 1 of 2 files" in lines[2] and len(lines) == 3
    monkeypatch.undo()
    kept = LocalStore.open(store_path)
    assert sorted(kept.uploads()["period"]) == ["2024-03", "2024-05", "2025-01"]
    kept.close()


# -- item 8: a store on read-only media ---------------------------------------------------------


def test_read_only_store_reads_and_refuses_writes_in_one_line(store_path, monkeypatch):
    # What a read-only medium shows SQLite: the file and its folder cannot be written (as root,
    # os.access would say yes to chmod'ed files, so the check is what is simulated here).
    import flowgraph.store.local as local

    monkeypatch.setattr(local.os, "access", lambda path, mode: mode != local.os.W_OK)
    before = store_path.read_bytes()
    result = run(store_path, "uploads", "--summary")
    assert result.exit_code == 0, result.output
    assert "2 current uploads" in result.output
    result = run(store_path, "detect")
    assert result.exit_code == 0, result.output
    assert f"Warning: store {store_path} is read-only: this run is not recorded" in result.output
    result = run(store_path, "registry", "load", ".")
    assert result.exit_code in (2, 3), result.output
    june = MINE_2024.replace("1,extract,2024-03-02", "m6,extract,2024-06-02")
    Path("up.csv").write_text(june, encoding="utf-8")
    result = run(store_path, "load", "up.csv")
    assert result.exit_code == 3, result.output
    assert f"Error: store {store_path} is read-only" in result.output
    assert "Internal error" not in result.output
    assert store_path.read_bytes() == before


def test_read_only_connection_really_cannot_write(store_path, monkeypatch):
    import flowgraph.store.local as local

    monkeypatch.setattr(local.os, "access", lambda path, mode: mode != local.os.W_OK)
    store = LocalStore.open(store_path)
    assert store.read_only
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        store.connection.execute("DELETE FROM uploads")
    store.close()


# -- item 10: output paths that cannot be written; a closed pipe --------------------------------


def test_output_in_a_missing_folder_exits_2_naming_it(store_path):
    result = run(store_path, "detect", "-o", "/nonexistent-dir/x.csv")
    assert result.exit_code == 2, result.output
    assert result.output.strip() == (
        "Error: /nonexistent-dir/x.csv: folder /nonexistent-dir does not exist"
    )


def test_synth_into_an_unwritable_place_exits_2(tmp_path):
    result = CliRunner().invoke(cli, ["synth", "/proc/xx", "--scale", "1"])
    assert result.exit_code == 2, result.output
    assert "/proc/xx" in result.output and "Internal error" not in result.output


# -- item 14: -o FILE's suffix picks the format; a contradicting one is refused ----------------


def test_output_suffix_picks_the_format(store_path):
    result = run(store_path, "detect", "-o", "found.csv")
    assert result.exit_code == 0, result.output
    assert Path("found.csv").read_text("utf-8").startswith("type,family,period,enterprise_id")
    result = run(store_path, "detect", "-o", "found.jsonl")
    assert result.exit_code == 0, result.output
    assert Path("found.jsonl").read_text("utf-8") == ""  # no findings: no lines, not "No findings."
    result = run(store_path, "findings", "-o", "found.xlsx")
    assert result.exit_code == 0, result.output
    assert Path("found.xlsx").read_bytes()[:2] == b"PK"  # a real workbook, not a text table


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["detect", "--format", "csv", "-o", "x.jsonl"],
         "Error: -o x.jsonl: a .jsonl file is jsonl, but --format is csv; name the file for its "
         "format (e.g. x.csv)"),
        (["detect", "-o", "x.xlsx"],
         "Error: -o x.xlsx: this command writes table, jsonl, csv, not xlsx; choose one with "
         "--format"),
        (["findings", "--format", "table", "-o", "x.xlsx"],
         "Error: -o x.xlsx: a .xlsx file is xlsx, but --format is table; name the file for its "
         "format (e.g. x.txt)"),
    ],
)  # fmt: skip
def test_output_suffix_contradicting_the_format_exits_2(store_path, args, says):
    result = run(store_path, *args)
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines()[-1] == says
    assert not list(Path(".").glob("x.*"))
