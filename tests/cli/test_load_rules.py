"""SPEC §1 load rules a new user met (issue 14): ids outside the registry warn once each; a batch
with only produce (or only consume) rows loads and the detectors report it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from flowgraph.cli.main import cli
from flowgraph.model import registry_from_records
from flowgraph.store.local import LocalStore

HEADER = (
    "event_id,event_type,date,enterprise_id,lot_id,product,mass_kg,reo_pct,document_ref,"
    "counterparty_id,shipment_id,batch_id\n"
)
MINE = "91150200089297634G"
SMELTER = "9136070059593A2A6R"


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FLOWGRAPH_STORE", raising=False)
    monkeypatch.delenv("FLOWGRAPH_CONFIG", raising=False)

    def invoke(*args: str):
        return CliRunner().invoke(cli, ["--store", "fg.db", *args])

    return invoke


def with_registry() -> None:
    store = LocalStore.open("fg.db")
    store.save_registry(
        registry_from_records(
            enterprises=[
                {"enterprise_id": MINE, "name": "Mine", "province": "Inner Mongolia"},
                {"enterprise_id": SMELTER, "name": "Smelter", "province": "Jiangxi"},
            ]
        ),
        "tests",
    )
    store.close()


def write(name: str, *rows: str) -> str:
    Path(name).parent.mkdir(parents=True, exist_ok=True)
    Path(name).write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return name


# -- item 4: one warning line per id not in the registry ----------------------------------------


def test_lowercase_enterprise_id_loads_with_one_warning_naming_the_registered_twin(run):
    with_registry()
    lower = MINE.lower()
    write("a/2024-03.csv", f"1,extract,2024-03-02,{lower},L1,BAST_CONC,1000,60,LIC-1,,,")
    write("a/2024-04.csv", f"2,extract,2024-04-02,{lower},L2,BAST_CONC,1000,60,LIC-1,,,")
    result = run("load", "a")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("Warning:")]
    assert warnings == [
        f"Warning: enterprise id '{lower}' is not in the registry (a/2024-03.csv:2:enterprise_id); "
        f"ids are case-sensitive: the registry has '{MINE}'"
    ]  # one line for the id, not one per file or row
    assert "2 loaded" in result.output


def test_unknown_counterparty_warns_and_registered_ids_do_not(run):
    with_registry()
    write(
        "s.csv",
        f"1,ship,2024-03-02,{SMELTER},L1,ND_OXIDE,10,99,,{MINE},SH1,",  # registered: no warning
        f"2,ship,2024-03-03,{SMELTER},L1,ND_OXIDE,10,99,,BUYER-9,SH2,",
        f"3,ship,2024-03-04,{SMELTER},L1,ND_OXIDE,10,99,,BUYER-9,SH3,",
    )
    result = run("load", "s.csv")
    assert result.exit_code == 0, result.output
    assert [line for line in result.output.splitlines() if line.startswith("Warning:")] == [
        "Warning: enterprise id 'BUYER-9' is not in the registry (s.csv:3:counterparty_id)"
    ]


def test_without_a_registry_ids_are_not_checked(run):
    write("m.csv", f"1,extract,2024-03-02,{MINE.lower()},L1,BAST_CONC,1000,60,LIC-1,,,")
    result = run("load", "m.csv")
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.output


# -- item 5: a batch with only produce rows, or only consume rows, loads -----------------------


def test_batch_with_only_produce_or_only_consume_rows_loads_and_is_found(run):
    with_registry()
    write(
        "smelter/2024-03.csv",
        f"1,receive,2024-03-02,{SMELTER},C1,BAST_CONC,1000,60,,{MINE},SH1,",
        f"2,consume,2024-03-05,{SMELTER},C1,BAST_CONC,600,,,,,B-LOSS",  # consumed, nothing made
        f"3,produce,2024-03-06,{SMELTER},O1,ND_OXIDE,50,99,,,,B-GAIN",  # made from nothing
    )
    result = run("load", "smelter")
    assert result.exit_code == 0, result.output  # exit 2 "has no consume row" on the old code
    assert "1 loaded" in result.output
    found = run("detect", "--family", "unaccounted_mass", "--format", "jsonl")
    assert found.exit_code == 0, found.output
    by_batch = {
        f["batch_id"]: f["type"]
        for f in map(json.loads, found.output.splitlines())
        if f.get("batch_id")
    }
    assert by_batch == {"B-LOSS": "TRANSFORM_LOSS", "B-GAIN": "TRANSFORM_GAIN"}


# -- item 13: an old file whose content equals a superseded revision -------------------------


def test_reloading_a_superseded_revision_says_it_reverts_the_month(run):
    first = f"1,extract,2024-06-02,{MINE},L1,BAST_CONC,1000,60,LIC-1,,,"
    write("jun.csv", first)
    assert run("load", "jun.csv").exit_code == 0
    write("jun-fixed.csv", first.replace(",1000,", ",1200,"))
    result = run("load", "jun-fixed.csv")
    assert "reverts" not in result.output  # a correction is no revert: the near miss
    write("jun.csv", first)  # the old file again, by mistake
    result = run("load", "-q", "jun.csv")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"Warning: jun.csv reverts {MINE} 2024-06 to the content of revision 1: the corrections "
        "loaded since are undone",
        "1 file: 0 loaded, 1 superseded, 0 unchanged, 0 rejected; 1 event",
    ]
    result = run("uploads")
    assert result.exit_code == 0
