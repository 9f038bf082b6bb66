"""SPEC §4: CSV exports neutralise text a spreadsheet would read as a formula (JSONL does not)."""

import json

from click.testing import CliRunner

from flowgraph.cli.main import cli

HEADER = "event_id,event_type,date,enterprise_id,lot_id,product,mass_kg,reo_pct,counterparty_id,shipment_id,country,document_ref\n"
LOT = '=HYPERLINK("http://evil.example","open")'


def _world(tmp_path):
    reg = tmp_path / "registry"
    reg.mkdir()
    (reg / "enterprises.csv").write_text(
        "enterprise_id,name,province,group,roles\nM1,=1+2,Inner Mongolia,G,mine;exporter\n"
    )
    (reg / "designations.csv").write_text(
        "enterprise_id,activity,licence_no,valid_from,valid_to\nM1,mining,L-1,2024-01-01,\n"
    )
    (reg / "quotas.csv").write_text("enterprise_id,year,activity,quota_t_reo\nM1,2024,mining,100\n")
    upload = tmp_path / "M1-2024-01.csv"
    upload.write_text(
        HEADER
        + "e1,extract,2024-01-05,M1,L1,BAST_CONC,1000,60,,,,LIC\n"
        + f'e2,export,2024-01-06,M1,"{LOT.replace(chr(34), chr(34) * 2)}",BAST_CONC,10,,,@SUM(1+1),JP,D-1\n'
    )
    return reg, upload


def test_csv_exports_neutralise_formulas_and_jsonl_keeps_text(tmp_path):
    reg, upload = _world(tmp_path)
    runner = CliRunner()
    store = ["--store", str(tmp_path / "fg.db")]
    assert runner.invoke(cli, [*store, "registry", "load", str(reg)]).exit_code == 0
    assert runner.invoke(cli, [*store, "load", str(upload)]).exit_code == 0

    detect_csv = runner.invoke(cli, [*store, "detect", "--format", "csv"]).stdout
    assert "'=HYPERLINK(" in detect_csv and ",=HYPERLINK(" not in detect_csv
    assert "'@SUM(1+1)" in detect_csv and ",@SUM" not in detect_csv

    quota_csv = runner.invoke(cli, [*store, "quota", "--year", "2024", "--format", "csv"]).output
    assert "'=1+2" in quota_csv and ",=1+2" not in quota_csv

    registry_csv = runner.invoke(
        cli, [*store, "registry", "show", "enterprises", "--format", "csv"]
    ).output
    assert ",'=1+2," in registry_csv

    jsonl = runner.invoke(cli, [*store, "detect", "--format", "jsonl"]).stdout
    lots = {json.loads(line)["lot_id"] for line in jsonl.splitlines()}
    assert LOT in lots
