"""The optional registers of SPEC §7 in the registry folder: typed output, every rule, history."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner
from test_loaders_registry import registry_problems, write_registry

from flowgraph.cli.main import cli
from flowgraph.model import registry_from_records
from flowgraph.store.local import LocalStore
from loaders import read_registry

CUSTOMS = """declaration_no,direction,enterprise_id,date,product,mass_kg,country
CE-1,export,E3,2025-05-10,DY_OXIDE,400,JP
CE-1,export,E3,2025-05-10,TB_OXIDE,100.5,JP
CI-1,import,E9,2025-05-03,MONAZITE_CONC,20000,AU
"""
LICENCES = """licence_no,enterprise_id,product,country,quantity_kg,valid_from,valid_to,end_user
LIC-1,E3,DY_OXIDE,JP,1000,2025-01-01,2025-12-31,Kobe Magnetics
LIC-1,E3,TB_OXIDE,JP,500,2025-01-01,,Kobe Magnetics
"""
CONTROLS = """product,valid_from,valid_to,basis
DY_OXIDE,2025-04-04,,test list
ND_OXIDE,2025-01-01,2025-06-30,test list
"""


def folder(tmp_path, **files):
    path = write_registry(tmp_path / "reg")
    for name, text in files.items():
        (path / f"{name}.csv").write_text(text, encoding="utf-8")
    return path


def test_registers_are_read_typed_like_the_model(tmp_path):
    reg = read_registry(
        folder(tmp_path, customs=CUSTOMS, export_licences=LICENCES, controls=CONTROLS)
    )
    expected = registry_from_records(
        customs=[
            dict(declaration_no="CE-1", direction="export", enterprise_id="E3", date="2025-05-10",
                 product="DY_OXIDE", mass_kg=400.0, country="JP"),
            dict(declaration_no="CE-1", direction="export", enterprise_id="E3", date="2025-05-10",
                 product="TB_OXIDE", mass_kg=100.5, country="JP"),
            dict(declaration_no="CI-1", direction="import", enterprise_id="E9", date="2025-05-03",
                 product="MONAZITE_CONC", mass_kg=20000.0, country="AU"),
        ],
        licences=[
            dict(licence_no="LIC-1", enterprise_id="E3", product="DY_OXIDE", country="JP",
                 quantity_kg=1000.0, valid_from="2025-01-01", valid_to="2025-12-31",
                 end_user="Kobe Magnetics"),
            dict(licence_no="LIC-1", enterprise_id="E3", product="TB_OXIDE", country="JP",
                 quantity_kg=500.0, valid_from="2025-01-01", valid_to=None,
                 end_user="Kobe Magnetics"),
        ],
        controls=[
            dict(product="DY_OXIDE", valid_from="2025-04-04", valid_to=None, basis="test list"),
            dict(product="ND_OXIDE", valid_from="2025-01-01", valid_to="2025-06-30",
                 basis="test list"),
        ],
    )  # fmt: skip
    for name in ("customs", "licences", "controls"):
        pd.testing.assert_frame_equal(getattr(reg, name), getattr(expected, name))


def test_absent_registers_are_none_and_the_built_in_controls_apply(tmp_path):
    reg = read_registry(folder(tmp_path))
    assert reg.customs is None and reg.licences is None and reg.controls is None
    assert set(reg.controls_list()["product"]) == {
        "SM_OXIDE", "GD_OXIDE", "TB_OXIDE", "DY_OXIDE", "Y_OXIDE", "TB_METAL", "DYFE_ALLOY"
    }  # fmt: skip
    assert (reg.controls_list()["valid_from"] == pd.Timestamp("2025-04-04")).all()


def test_header_only_licence_file_is_an_empty_register(tmp_path):
    reg = read_registry(folder(tmp_path, export_licences=LICENCES.splitlines()[0] + "\n"))
    assert reg.licences is not None and reg.licences.empty


def test_every_problem_is_named_by_file_row_and_column(tmp_path):
    customs = CUSTOMS + (
        "CE-2,exports,E3,2025-05-11,DY_OXIDE,10,JP\n"  # row 5: bad direction
        "CE-3,export,E3,2025-05-11,NDFEB,10,JP\n"  # row 6: unknown product
        "CE-4,export,E3,2025-05-11,DY_OXIDE,-5,JP\n"  # row 7: negative mass
        "CE-1,import,E4,2025-05-12,DY_OXIDE,5,Japan\n"  # row 8: disagrees with CE-1's row 2
    )
    licences = LICENCES + (
        "LIC-1,E3,DY_OXIDE,JP,20,2025-01-01,2025-12-31,x\n"  # row 4: duplicate of row 2
        "LIC-2,E3,GD_OXIDE,KR,0,2025-06-01,2025-05-31,x\n"  # row 5: quantity 0, dates reversed
        "LIC-1,E4,GD_OXIDE,KR,10,2025-01-01,,x\n"  # row 6: LIC-1 is E3's
    )
    controls = CONTROLS + "XX_OXIDE,2025-13-01,,x\n"  # row 4: unknown product, no such date
    found = registry_problems(
        folder(tmp_path, customs=customs, export_licences=licences, controls=controls)
    )
    assert found == [
        "customs.csv:5:direction: direction 'exports' must be import or export",
        "customs.csv:6:product: unknown product code 'NDFEB'",
        "customs.csv:7:mass_kg: mass_kg must be > 0, got '-5'",
        "customs.csv:8:direction: declaration CE-1: direction 'import' differs from its first "
        "row (row 2: 'export')",
        "customs.csv:8:enterprise_id: declaration CE-1: enterprise_id 'E4' differs from its "
        "first row (row 2: 'E3')",
        "customs.csv:8:date: declaration CE-1: date '2025-05-12' differs from its first row "
        "(row 2: '2025-05-10')",
        "customs.csv:8:country: country 'Japan' is not a two-letter ISO 3166-1 code (e.g. CN)",
        "export_licences.csv:4:licence_no: duplicate licence row LIC-1 DY_OXIDE JP (first on "
        "row 2)",
        "export_licences.csv:5:quantity_kg: quantity_kg must be > 0, got '0'",
        "export_licences.csv:5:valid_to: valid_to 2025-05-31 is before valid_from 2025-06-01",
        "export_licences.csv:6:enterprise_id: licence LIC-1: enterprise_id 'E4' differs from "
        "its first row (row 2: 'E3')",
        "controls.csv:4:product: unknown product code 'XX_OXIDE'",
        "controls.csv:4:valid_from: valid_from '2025-13-01' is not a real date",
    ]


def test_missing_column_and_required_values(tmp_path):
    customs = "declaration_no,direction,enterprise_id,date,product,mass_kg\nCE-1,,E3,,DY_OXIDE,1\n"
    found = registry_problems(folder(tmp_path, customs=customs))
    assert found == [
        "customs.csv:1:country: missing required column country",
        "customs.csv:2:direction: direction is required",
        "customs.csv:2:date: date is required",
        "customs.csv:2:country: country is required",
    ]


def test_registers_are_part_of_the_registry_version(tmp_path):
    store = LocalStore.open(tmp_path / "fg.db")
    base = folder(tmp_path)
    first = store.save_registry(read_registry(base), "a")
    (base / "customs.csv").write_text(CUSTOMS, encoding="utf-8")
    second = store.save_registry(read_registry(base), "b")
    again = store.save_registry(read_registry(base), "b")
    assert (first.version, second.version, second.status) == (1, 2, "loaded")
    assert (again.version, again.status) == (2, "unchanged")
    assert second.registers == {"customs": 3}
    assert store.registry().customs["declaration_no"].tolist() == ["CE-1", "CE-1", "CI-1"]
    assert store.registry(version=1).customs is None  # the older version kept as it was
    (base / "export_licences.csv").write_text(LICENCES, encoding="utf-8")
    third = store.save_registry(read_registry(base), "c")
    assert third.version == 3
    pd.testing.assert_frame_equal(store.registry().licences, read_registry(base).licences)
    store.close()


def test_registry_load_and_show_on_the_command_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    reg = folder(tmp_path, customs=CUSTOMS, export_licences=LICENCES)
    runner = CliRunner()
    loaded = runner.invoke(cli, ["registry", "load", str(reg)])
    assert loaded.exit_code == 0, loaded.output
    assert "3 customs lines, 2 licence rows" in loaded.output
    shown = runner.invoke(cli, ["registry", "show", "licences", "--format", "csv"])
    assert shown.stdout.splitlines()[1] == (
        "LIC-1,E3,DY_OXIDE,JP,1000.0,2025-01-01,2025-12-31,Kobe Magnetics"
    )
    assert shown.stdout.splitlines()[2].endswith(",2025-01-01,,Kobe Magnetics")
    customs = runner.invoke(cli, ["registry", "show", "customs"])
    assert "CE-1" in customs.stdout and "MONAZITE_CONC" in customs.stdout
    controls = runner.invoke(cli, ["registry", "show", "controls", "--format", "csv"])
    assert "built-in controls list" in controls.stderr
    assert "DY_OXIDE,2025-04-04,," in controls.stdout
    bad = folder(tmp_path, customs=CUSTOMS + "CE-9,export,E3,2025-05-10,DY_OXIDE,-1,JP\n")
    failed = runner.invoke(cli, ["registry", "load", str(bad)])
    assert failed.exit_code == 2
    assert "customs.csv:5:mass_kg: mass_kg must be > 0, got '-1'" in failed.output
    assert "Traceback" not in failed.output
    # nothing stored: the current registry is still the first one
    again = runner.invoke(cli, ["registry", "show", "customs", "--format", "csv"])
    assert "CE-9" not in again.stdout


@pytest.mark.parametrize("name", ["customs", "licences"])
def test_show_an_absent_register(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["registry", "load", str(folder(tmp_path))]).exit_code == 0
    shown = runner.invoke(cli, ["registry", "show", name])
    assert shown.exit_code == 0 and f"no {name} register" in shown.stdout


def test_uploads_accept_licence_no_on_exports_only(tmp_path):
    from loader_cases import csv_text, good_rows, problems

    from flowgraph.model import UPLOAD_COLUMNS
    from loaders import read_upload

    rows = good_rows()
    rows[6]["licence_no"] = "LIC-1"  # the export row
    path = tmp_path / "up.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    events = read_upload(path).events
    assert events["licence_no"].tolist() == [None] * 6 + ["LIC-1", None, None]
    store = LocalStore.open(tmp_path / "fg.db")
    store.save_upload(read_upload(path))
    assert store.events()["licence_no"].tolist() == events["licence_no"].tolist()
    store.close()
    rows[1]["licence_no"] = "LIC-1"  # an import row
    path.write_text(csv_text(rows), encoding="utf-8")
    assert problems(path) == ["up.csv:3:licence_no: licence_no is for export rows only, not import"]
    # the column is optional: a file without it loads as before
    columns = [c for c in UPLOAD_COLUMNS if c != "licence_no"]
    path.write_text(csv_text(good_rows(), columns), encoding="utf-8")
    assert read_upload(path).events["licence_no"].isna().all()
