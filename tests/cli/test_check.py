"""`flowgraph check` (SPEC §4, issue 14 item 19): an enterprise checks its own files before sending
them. Validation exactly as `load`, nothing stored anywhere, then what its own files show."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from flowgraph.cli.main import cli

HEADER = (
    "event_id,event_type,date,enterprise_id,lot_id,product,mass_kg,reo_pct,document_ref,"
    "counterparty_id,shipment_id,batch_id\n"
)
REGISTRY = {
    "enterprises.csv": "enterprise_id,name,province,group,roles\n"
    "S1,Smelter,Jiangxi,G,smelter;mine\nM1,Mine,Jiangxi,G,mine\n",
    "designations.csv": "enterprise_id,activity,licence_no,valid_from,valid_to\n"
    "S1,smelting,SM-1,2024-01-01,\n",
    "quotas.csv": "enterprise_id,year,activity,quota_t_reo\nS1,2024,smelting,1.0\n",
}


@pytest.fixture
def run(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("FLOWGRAPH_STORE", str(tmp_path / "never.db"))
    monkeypatch.delenv("FLOWGRAPH_CONFIG", raising=False)

    def invoke(*args: str):
        return CliRunner().invoke(cli, ["check", *args])

    return invoke


def write(path: str, *rows: str) -> str:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def registry_dir() -> str:
    folder = Path("registry")
    folder.mkdir()
    for name, text in REGISTRY.items():
        (folder / name).write_text(text, encoding="utf-8")
    return str(folder)


# A smelter's own year: the first month clean (a batch at 90%, inside the band: the near miss),
# the second with what its own files show on their own.
MARCH = (
    "1,import,2024-03-01,S1,A,BAST_CONC,1000,60,CUS-1,,,",  # a documented import (country below)
    "2,consume,2024-03-05,S1,A,BAST_CONC,1000,,,,,B1",
    "3,produce,2024-03-06,S1,OX1,ND_OXIDE,545.45,99,,,,B1",  # 540 of 600 kg REO: 90%, in band
    "4,stock,2024-03-31,S1,OX1,ND_OXIDE,545.45,,,,,",
)
APRIL = (
    "10,import,2024-04-01,S1,C,BAST_CONC,1000,60,CUS-2,,,",
    "11,consume,2024-04-02,S1,C,BAST_CONC,1000,,,,,B2",
    "12,produce,2024-04-03,S1,OX2,ND_OXIDE,400,99,,,,B2",  # 396 of 600 kg REO: 66%, a loss
    "13,ship,2024-04-04,S1,OX2,ND_OXIDE,500,,,P9,SH1,",  # more than it made: overdrawn
    "14,ship,2024-04-01,S1,OX1,ND_OXIDE,45.45,,,P9,SH2,",
    "15,stock,2024-04-30,S1,OX1,ND_OXIDE,400,,,,,",  # book stock 500: mismatch
    "16,ship,2024-04-01,S1,D,ND_OXIDE,10,,,P9,SH3,",  # before D arrived: time inversion
    "17,receive,2024-04-20,S1,D,ND_OXIDE,10,,,M1,SH4,",
    "18,import,2024-04-22,S1,A,BAST_CONC,5,60,CUS-3,,,",  # lot A created twice
    "19,receive,2024-04-23,S1,ORE,BAST_CONC,50,,,U7,SH5,",  # from an unknown sender: not its problem
)


def test_check_reports_own_file_findings_and_stores_nothing(run, tmp_path):
    files = [
        write("up/2024-03.csv", *MARCH),
        write("up/2024-04.csv", *APRIL),
    ]
    _add_country(files)
    before = sorted(os.listdir(tmp_path))
    result = run("up")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "ok: 2 files, 14 events"
    warned = [line.split(": ")[2] for line in lines[1:]]
    assert sorted(warned) == sorted(
        [
            "TRANSFORM_LOSS batch B2",
            "LOT_OVERDRAWN lot OX2",
            "STOCK_MISMATCH lot OX1",
            "TIME_INVERSION lot D",
            "DUPLICATE_LOT lot A",
        ]
    ), result.output
    assert all(line.startswith("Warning: up/2024-04.csv: ") for line in lines[1:])
    assert "B1" not in result.output  # 90% is inside the recovery band
    for other in ("UNDESIGNATED_SUPPLY", "UNKNOWN_LOT", "UNCONFIRMED_SHIPMENT", "RECEIPT_"):
        assert other not in result.output  # they need other enterprises' uploads
    # nothing stored anywhere: no store file (FLOWGRAPH_STORE points at never.db), no new file
    assert sorted(os.listdir(tmp_path)) == before
    assert sorted(os.listdir(".")) == ["up"]


def test_check_with_registry_adds_designations_and_quota_use(run):
    files = [write("up/2024-03.csv", *MARCH), write("up/2024-04.csv", *APRIL)]
    _add_country(files)
    write("m1/2024-04.csv", "1,extract,2024-04-02,M1,ORE1,BAST_CONC,1000,60,LIC-1,,,")
    result = run("up", "m1", "--registry", registry_dir())
    assert result.exit_code == 0, result.output
    assert "Warning: m1/2024-04.csv: UNDESIGNATED_EXTRACTION lot ORE1: " in result.output
    assert "UNDESIGNATED_SMELTING" not in result.output  # S1 is designated for smelting
    assert "Quota use so far:" in result.output
    assert "  S1 smelting 2024: 0.9 t REO of 1.0 t (94%)" in result.output
    # the unknown sender gets the load's one warning per id not in the registry
    assert "Warning: enterprise id 'U7' is not in the registry" in result.output


def test_check_rejects_what_load_rejects_with_file_row_column(run, tmp_path):
    write("up/2024-03.csv", *MARCH[:2], "3,produce,2024-03-06,S1,OX1,ND_OXIDE,-5,99,,,,B1")
    # the same event_id in another month: the cross-file check load does against the store
    write("up/2024-04.csv", "1,stock,2024-04-30,S1,A,BAST_CONC,0,,,,,")
    _add_country(["up/2024-03.csv"])
    result = run("up")
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert errors[0] == "Error: up/2024-03.csv:4:mass_kg: mass_kg must be > 0, got '-5'"
    assert len(errors) == 1  # 2024-03 is rejected, so 2024-04's event_id 1 is free
    assert result.output.splitlines()[-1] == (
        "1 of 2 files would be rejected; fix the rows named above and check again"
    )
    assert not (tmp_path / "never.db").exists()


def test_check_cross_file_event_ids_as_load(run):
    write("up/2024-03.csv", "1,stock,2024-03-31,S1,A,BAST_CONC,0,,,,,")
    write("up/2024-04.csv", "1,stock,2024-04-30,S1,A,BAST_CONC,0,,,,,")
    result = run("up")
    assert result.exit_code == 2, result.output
    assert (
        "Error: up/2024-04.csv:2:event_id: event_id '1' is already used by S1 in its 2024-03 "
        "upload" in result.output
    )


def _add_country(paths):
    """Give the import rows a country (the fixture rows leave that column out)."""
    for path in paths:
        text = Path(path).read_text(encoding="utf-8").splitlines()
        out = [text[0] + ",country"]
        out += [line + (",AU" if ",import," in line else ",") for line in text[1:]]
        Path(path).write_text("\n".join(out) + "\n", encoding="utf-8")


def test_check_ok_line_counts_in_words(run):
    write("one.csv", "1,stock,2024-03-31,S1,A,BAST_CONC,0,,,,,")
    result = run("one.csv")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "ok: 1 file, 1 event"


# A smelter whose ore comes from a mine (the lot is created in the mine's upload): the grade it
# was told is on its receive row. SPEC §5's band: produced within consumed x 0.85 .. x 1.005.
def _received_batch(grade: str, produced_kg: float, batch: str = "B7") -> tuple[str, ...]:
    return (
        f"30,receive,2024-05-02,S1,ORE7,BAST_CONC,1000,{grade},,M1,SH7,",
        f"31,consume,2024-05-03,S1,ORE7,BAST_CONC,1000,,,,,{batch}",
        f"32,produce,2024-05-04,S1,OX7,ND_OXIDE,{produced_kg},99,,,,{batch}",
        f"33,stock,2024-05-31,S1,OX7,ND_OXIDE,{produced_kg},,,,,",
    )


def test_check_values_received_lots_at_the_grade_on_the_receive_row(run):
    # 720 kg REO in (1000 kg at 72 %), 90 % recovered: 648 kg REO = 654.55 kg oxide at 99 %.
    # At BAST_CONC's typical 60 % the same batch would yield 108 %: the spurious gain.
    write("up/2024-05.csv", *_received_batch("72", 654.55))
    result = run("up")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["ok: 1 file, 4 events"]


def test_check_batch_just_outside_the_band_warns_and_just_inside_does_not(run):
    # 720 kg REO in; 100.6 % out (724.32 kg REO = 731.64 kg oxide) is a gain, 100.4 % is not
    write("up/2024-05.csv", *_received_batch("72", 731.64))
    out = run("up").output
    assert "TRANSFORM_GAIN batch B7" in out and "100.6%" in out
    assert "assumed" not in out  # the grade was on the receive row
    write("up/2024-05.csv", *_received_batch("72", 730.18))
    assert run("up").output.splitlines() == ["ok: 1 file, 4 events"]


def test_check_says_which_input_grade_it_had_to_assume(run):
    # no grade on the receive row: ORE7 is valued at BAST_CONC's typical 60 % (600 kg REO), and
    # 654.55 kg oxide (648 kg REO) is then a 108 % gain, on an assumed value, and it says so
    write("up/2024-05.csv", *_received_batch("", 654.55))
    out = run("up").output
    assert "TRANSFORM_GAIN batch B7" in out and "108.0%" in out
    assert "assumed: input ORE7 (BAST_CONC, typical 60%)" in out
    assert "reo_pct on your receive rows" in out
