"""Terminal tables with Chinese text line up by display width (issue 14 item 15): a Chinese
character takes two terminal columns, so padding by len() shifted every later column."""

from __future__ import annotations

from click.testing import CliRunner
from wcwidth import wcswidth

from flowgraph.cli.main import cli
from flowgraph.model import registry_from_records
from flowgraph.store.local import LocalStore


def _column_starts(line: str, values: list[str]) -> list[int]:
    """Display column at which each value starts in ``line``."""
    starts, at = [], 0
    for value in values:
        index = line.index(value, at)
        starts.append(wcswidth(line[:index]))
        at = index + len(value)
    return starts


def test_registry_show_aligns_chinese_names(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = LocalStore.open("fg.db")
    store.save_registry(
        registry_from_records(
            enterprises=[
                {"enterprise_id": "E1", "name": "包头稀土矿业有限公司", "province": "内蒙古",
                 "group": "北方稀土", "roles": "mine"},
                {"enterprise_id": "E22", "name": "Mine", "province": "Jiangxi", "group": "G",
                 "roles": "smelter"},
            ]
        ),
        "tests",
    )  # fmt: skip
    store.close()
    result = CliRunner().invoke(cli, ["--store", "fg.db", "registry", "show", "enterprises"])
    assert result.exit_code == 0, result.output
    header, first, second = result.output.splitlines()
    starts = _column_starts(header, ["enterprise_id", "name", "province", "group", "roles"])
    assert (
        _column_starts(first, ["E1", "包头稀土矿业有限公司", "内蒙古", "北方稀土", "mine"])
        == starts
    )
    assert _column_starts(second, ["E22", "Mine", "Jiangxi", "G", "smelter"]) == starts


def test_uploads_table_shows_nothing_where_nothing_is(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "矿山三月.csv").write_text(
        "event_id,event_type,date,enterprise_id,lot_id,product,mass_kg\n"
        "1,loss,2025-03-05,E1,L1,BAST_CONC,5\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    assert runner.invoke(cli, ["--store", "fg.db", "load", "矿山三月.csv"]).exit_code == 0
    result = runner.invoke(cli, ["--store", "fg.db", "uploads"])
    assert result.exit_code == 0, result.output
    assert (
        "<NA>" not in result.output and "None" not in result.output and "nan" not in result.output
    )
    header, row = result.output.splitlines()
    assert _column_starts(row, ["矿山三月.csv"])[0] == _column_starts(header, ["file_name"])[0]
    # columns after the Chinese file name still line up with their header
    assert _column_starts(row, ["True"]) == _column_starts(header, ["current"])
