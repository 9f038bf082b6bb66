"""`flowgraph load` / `registry load` / `uploads` through CliRunner: exit statuses and exact messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from flowgraph.cli.main import cli
from flowgraph.store.local import LocalStore

HEADER = "event_id,event_type,date,enterprise_id,lot_id,product,mass_kg,reo_pct,document_ref,note\n"
GOOD = HEADER + "1,extract,2024-03-02,M1,L1,MIXED_CONC,1000,50,LIC-1,矿\n"
FIXED = HEADER + "1,extract,2024-03-02,M1,L1,MIXED_CONC,1200,50,LIC-1,重新上报\n"
BAD = HEADER + "1,extract,2025-13-01,M1,L1,MIXED_CONC,1e400,50,LIC-1,\n"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding=encoding)
    return path


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FLOWGRAPH_STORE", raising=False)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, list(args))

    return invoke


def stored_uploads(path: str = "flowgraph.db"):
    store = LocalStore.open(path)
    try:
        return store.uploads(include_history=True)
    finally:
        store.close()


def test_load_reports_each_file_and_a_summary(run, tmp_path):
    write(tmp_path / "up" / "a.csv", GOOD)
    result = run("load", "up")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "loaded     up/a.csv  (M1 2024-03, 1 event, revision 1)",
        "1 file: 1 loaded, 0 superseded, 0 unchanged, 0 rejected; 1 event",
    ]
    assert stored_uploads()["file_name"].tolist() == ["up/a.csv"]


def test_reloading_the_same_file_is_a_no_op(run, tmp_path):
    write(tmp_path / "up" / "a.csv", GOOD)
    run("load", "up")
    before = stored_uploads()
    result = run("load", "up")
    assert result.exit_code == 0
    assert "unchanged  up/a.csv  (M1 2024-03, identical to the current upload)" in result.output
    assert stored_uploads().equals(before)


def test_a_revision_supersedes_and_keeps_history(run, tmp_path):
    write(tmp_path / "a.csv", GOOD)
    write(tmp_path / "a-fixed.csv", FIXED)
    run("load", "a.csv")
    result = run("load", "a-fixed.csv")
    assert result.exit_code == 0
    assert "superseded a-fixed.csv  (M1 2024-03, 1 event, revision 2)" in result.output
    history = stored_uploads()
    assert history["file_name"].tolist() == ["a.csv", "a-fixed.csv"]
    assert history["current"].tolist() == [False, True]


def test_bad_file_is_rejected_with_every_problem_and_the_rest_loads(run, tmp_path):
    write(tmp_path / "up" / "a.csv", GOOD)
    write(tmp_path / "up" / "b.csv", BAD)
    result = run("load", "up")
    assert result.exit_code == 2
    assert "Error: up/b.csv:2:date: date '2025-13-01' is not a real date" in result.output
    assert "Error: up/b.csv:2:mass_kg: mass_kg '1e400' is not a finite number" in result.output
    assert "2 files: 1 loaded, 0 superseded, 0 unchanged, 1 rejected; 1 event" in result.output
    assert "Traceback" not in result.output
    assert stored_uploads()["file_name"].tolist() == ["up/a.csv"]


def test_event_id_reused_across_months_is_rejected(run, tmp_path):
    write(tmp_path / "mar.csv", GOOD)
    write(tmp_path / "apr.csv", GOOD.replace("2024-03-02", "2024-04-02").replace(",L1,", ",L2,"))
    run("load", "mar.csv")
    result = run("load", "apr.csv")
    assert result.exit_code == 2
    assert (
        "Error: apr.csv:2:event_id: event_id '1' is already used by M1 in its 2024-03 upload"
        in result.output
    )
    assert len(stored_uploads()) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02\xff\xfe" * 50, "binary"),
        (HEADER.encode(), "no events"),
    ],
)
def test_unusable_files_exit_2_with_the_file_named(run, tmp_path, content, message):
    (tmp_path / "x.csv").write_bytes(content)
    result = run("load", "x.csv")
    assert result.exit_code == 2
    assert result.output.startswith("Error: x.csv") or "\nError: x.csv" in result.output
    assert message in result.output.lower()
    assert "Traceback" not in result.output


def test_missing_path_is_bad_usage(run):
    result = run("load", "nowhere")
    assert result.exit_code == 2
    assert result.output == "Error: nowhere: no such file or folder\n"


def test_store_option_and_environment(run, tmp_path, monkeypatch):
    write(tmp_path / "a.csv", GOOD)
    assert run("--store", "other.db", "load", "a.csv").exit_code == 0
    assert stored_uploads("other.db")["file_name"].tolist() == ["a.csv"]
    monkeypatch.setenv("FLOWGRAPH_STORE", "env.db")
    assert run("load", "a.csv").exit_code == 0
    assert len(stored_uploads("env.db")) == 1


def test_unreachable_store_exits_3(run, tmp_path):
    write(tmp_path / "a.csv", GOOD)
    result = run("--store", "no/such/folder/fg.db", "load", "a.csv")
    assert result.exit_code == 3
    assert result.output == (
        "Error: cannot open store no/such/folder/fg.db: folder no/such/folder does not exist\n"
    )


def test_registry_load_then_unchanged(run, tmp_path):
    write(
        tmp_path / "reg" / "enterprises.csv",
        "enterprise_id,name,province,group,roles\nM1,Mine,Inner Mongolia,CNRE,mine\n",
    )
    write(
        tmp_path / "reg" / "designations.csv",
        "enterprise_id,activity,licence_no,valid_from,valid_to\nM1,mining,LIC-1,2024-01-01,\n",
    )
    write(tmp_path / "reg" / "quotas.csv", "enterprise_id,year,activity,quota_t_reo\nM1,2024,mining,1000\n")  # fmt: skip
    first = run("registry", "load", "reg")
    assert first.exit_code == 0, first.output
    assert first.output == "registry version 1 loaded: 1 enterprise, 1 designation, 1 quota\n"
    assert run("registry", "load", "reg").output == "registry unchanged (version 1)\n"
    shown = run("registry", "show", "quotas", "--format", "csv")
    assert shown.output.splitlines()[1] == "M1,2024,mining,1000.0"


def test_registry_with_a_bad_row_exits_2_and_stores_nothing(run, tmp_path):
    write(
        tmp_path / "reg" / "enterprises.csv",
        "enterprise_id,name,province,group,roles\nM1,Mine,IM,CNRE,wizard\n",
    )
    write(
        tmp_path / "reg" / "designations.csv",
        "enterprise_id,activity,licence_no,valid_from,valid_to\n",
    )
    write(tmp_path / "reg" / "quotas.csv", "enterprise_id,year,activity,quota_t_reo\n")  # fmt: skip
    result = run("registry", "load", "reg")
    assert result.exit_code == 2
    assert result.output.startswith("Error: reg/enterprises.csv:2:roles:")
    store = LocalStore.open("flowgraph.db")
    assert store.registry().enterprises.empty
    store.close()


def test_uploads_lists_history(run, tmp_path):
    write(tmp_path / "a.csv", GOOD)
    write(tmp_path / "b.csv", FIXED)
    run("load", "a.csv", "b.csv")
    current = run("uploads", "--format", "csv").output.splitlines()
    history = run("uploads", "--history", "--format", "csv").output.splitlines()
    assert len(current) == 2 and len(history) == 3


def test_uploads_summary(run, tmp_path):
    write(tmp_path / "a.csv", GOOD)
    write(tmp_path / "b.csv", FIXED)
    run("load", "a.csv", "b.csv")
    lines = run("uploads", "--summary").output.splitlines()
    assert lines[1:] == [
        "1 current upload (1 superseded kept in history) from 1 enterprise, 2024-03 to 2024-03",
        "1 event: 1 extract",
        "registry: 0 enterprises, 0 designations, 0 quotas",
    ]
