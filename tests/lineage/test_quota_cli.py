"""`flowgraph quota`: table, csv, json, bad options."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from click.testing import CliRunner
from lineage_chains import frame
from test_burndown import monthly_mining, quotas
from test_trace_cli import FakeStore

from flowgraph.cli.main import cli


@pytest.fixture
def store(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FLOWGRAPH_CONFIG", raising=False)
    ev = frame(*monthly_mining(range(1, 8)), *monthly_mining([1], ent="M9"))
    fake = FakeStore(ev, quotas(("M1", 2024, "mining", 10.0), ("M2", 2024, "smelting", 50.0)))
    monkeypatch.setattr("flowgraph.cli.context.open_store", lambda uri, **_: fake)
    return fake


def run(*args):
    return CliRunner().invoke(cli, ["quota", *args])


def test_table_marks_the_breach(store):
    result = run("--year", "2024")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Quota burn-down 2024"
    m1 = next(line for line in lines if line.startswith("M1 "))
    assert "210%" in m1 and "2024-04" in m1 and m1.endswith("Baotou Mine  OVER")
    m9 = next(line for line in lines if line.startswith("M9 "))
    assert "no quota" in m9 and "OVER" not in m9


def test_csv_and_json(store):
    result = run("--format", "csv")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(io.StringIO(result.output))
    assert table["enterprise_id"].tolist() == ["M1", "M2", "M9"]
    result = run("--format", "json", "--as-of", "2024-03")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert rows[0]["used_t_reo"] == pytest.approx(9.0)
    assert rows[0]["over"] is False
    assert rows[2]["quota_t_reo"] is None


def test_bad_as_of_is_exit_2(store):
    result = run("--as-of", "June")
    assert result.exit_code == 2
    assert "is not a month like 2024-06" in result.output
