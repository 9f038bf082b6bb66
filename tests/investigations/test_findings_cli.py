"""`flowgraph findings` and `flowgraph review` on the embedded store: formats, exit statuses,
nothing recorded on bad input, concurrent reviews."""

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from invest_data import findings, gain, open_store
from openpyxl import load_workbook

from flowgraph.cli.main import cli
from flowgraph.investigations import record_run
from flowgraph.model import FINDING_COLUMNS


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.delenv("FLOWGRAPH_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "fg.db"
    store = open_store(path)
    record_run(store, findings(gain("B1", 100), gain("=HYPERLINK(1)", 50), gain("B3", 7)),
               upload_ids=[1])  # fmt: skip
    record_run(store, findings(gain("B1", 100), gain("=HYPERLINK(1)", 50), gain("B4", 1)),
               upload_ids=[2])  # fmt: skip
    ids = dict(
        zip(store.run_findings(2)["batch_id"], store.run_findings(2)["finding_id"], strict=True)
    )
    ids["B3"] = store.run_findings(1)["finding_id"].iloc[2]
    store.close()
    return str(path), ids


def cmd(db, *args):
    return CliRunner().invoke(cli, ["--store", db[0], *args])


def count_reviews(db):
    store = open_store(db[0])
    try:
        return len(store.reviews())
    finally:
        store.close()


def test_review_then_findings_shows_every_status(db):
    ids = db[1]
    assert cmd(db, "review", ids["B1"], "--confirm", "--by", "wang").exit_code == 0
    result = cmd(db, "review", ids["=HYPERLINK(1)"][:6], "--dismiss", "--note", "test row")
    assert result.exit_code == 0, result.output
    assert f"Recorded dismiss of {ids['=HYPERLINK(1)']}" in result.stdout
    out = cmd(db, "findings", "--format", "jsonl")
    assert out.exit_code == 0, out.output
    lines = [json.loads(x) for x in out.stdout.splitlines()]
    assert [(r["batch_id"], r["status"]) for r in lines] == [
        ("B4", "new"), ("B1", "confirmed"), ("=HYPERLINK(1)", "dismissed"), ("B3", "resolved")
    ]  # fmt: skip
    keys = [*FINDING_COLUMNS, "finding_id", "status", "first_run", "run", "previous_reo_kg",
            "reviewed_by", "reviewed_at", "review_note", "resolved_by"]  # fmt: skip
    assert all(list(r) == keys for r in lines)
    assert lines[1]["reviewed_by"] == "wang" and lines[2]["review_note"] == "test row"
    assert lines[0]["reviewed_by"] is None and lines[3]["first_run"] == 1 and lines[3]["run"] == 2
    assert lines[2]["batch_id"] == "=HYPERLINK(1)"  # JSONL carries text unchanged (SPEC §4)


def test_findings_filters_and_table(db):
    ids = db[1]
    cmd(db, "review", ids["B1"], "--confirm")
    out = cmd(db, "findings", "--status", "new", "--status", "resolved", "--format", "jsonl")
    assert {json.loads(x)["status"] for x in out.stdout.splitlines()} == {"new", "resolved"}
    out = cmd(db, "findings", "--enterprise", "nobody", "--format", "jsonl")
    assert out.exit_code == 0 and out.stdout == ""
    table = cmd(db, "findings").stdout
    assert table.index("NEW (1") < table.index("CONFIRMED (1") < table.index("RESOLVED (1")
    assert "Run 2 of 2" in table and "resolved by no upload of its enterprise" in table


def test_csv_and_xlsx_neutralise_formula_text(db, tmp_path):
    out = cmd(db, "findings", "--format", "csv")
    assert "'=HYPERLINK(1)" in out.stdout and ",=HYPERLINK" not in out.stdout
    path = tmp_path / "f.xlsx"
    assert cmd(db, "findings", "--format", "xlsx", "-o", str(path)).exit_code == 0
    sheet = load_workbook(path).active
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert "'=HYPERLINK(1)" in values and "=HYPERLINK(1)" not in values
    assert cmd(db, "findings", "--format", "xlsx").exit_code == 2  # needs -o


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("review", "ffffffffffff", "--confirm"), "ffffffffffff is no finding of any recorded run"),
        (("review", "{B1}", "ffffff", "--confirm"), "ffffff is no finding"),
        (("review", "{B1}", "--dismiss"), "needs a note"),
        (("review", "{B1}"), "--confirm, --dismiss or --reopen"),
        (("review", "{B1}", "--confirm", "--dismiss"), None),
        (("review", "abc", "--confirm"), "not a finding id"),
        (("review", "{B1}", "--confirm", "--by", "flowgraph"), "kept for flowgraph's reopenings"),
        (("findings", "--run", "3"), "run 3 is not recorded: runs are 1 to 2"),
        (("findings", "--history", "ffffffffffff"), "is no finding"),
    ],
)
def test_bad_input_exits_2_and_records_nothing(db, args, message):
    args = [a.replace("{B1}", db[1]["B1"]) for a in args]
    result = cmd(db, *args)
    assert result.exit_code == 2, result.output
    if message:
        assert message in result.stderr
        assert result.stderr.count("\n") == 1  # one line
    assert count_reviews(db) == 0


def test_history_shows_each_run_and_every_review(db):
    ids = db[1]
    cmd(db, "review", ids["B1"], "--dismiss", "--note", "ok", "--by", "li")
    text = cmd(db, "findings", "--history", ids["B1"][:8]).stdout
    assert f"Finding {ids['B1']}: TRANSFORM_GAIN at E017" in text
    assert text.count("100.0") >= 2 and "dismiss  by li (run 2 at 100.0 kg): ok" in text
    doc = json.loads(cmd(db, "findings", "--history", ids["B1"], "--format", "jsonl").stdout)
    assert [r["run"] for r in doc["runs"]] == [1, 2] and doc["reviews"][0]["note"] == "ok"
    gone = json.loads(cmd(db, "findings", "--history", ids["B3"], "--format", "jsonl").stdout)
    assert [r["status"] for r in gone["runs"]] == ["new", "resolved"]


def test_no_run_recorded_yet(tmp_path):
    path = tmp_path / "empty.db"
    open_store(path).close()
    result = CliRunner().invoke(cli, ["--store", str(path), "findings"])
    assert result.exit_code == 2 and "no detection run is recorded yet" in result.stderr


def test_concurrent_reviews_lose_nothing(db):
    ids = list(db[1].values())
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "flowgraph",
                "--store",
                db[0],
                "review",
                fid,
                "--confirm",
                "--by",
                f"user{n}",
            ],  # fmt: skip
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for n, fid in enumerate([*ids, ids[0]])  # one finding reviewed twice at once
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert count_reviews(db) == len(ids) + 1


def test_table_says_what_changed_since_the_previous_run(db):
    store = open_store(db[0])
    record_run(store, findings(gain("B1", 120), gain("B4", 1)), upload_ids=[3])
    store.close()
    table = cmd(db, "findings").stdout
    assert "reo_kg 100.0 -> 120.0 kg since run 2 (+20.0%)" in table
    assert table.count(" since run 2") == 1  # B4 did not change
    lines = [json.loads(x) for x in cmd(db, "findings", "--format", "jsonl").stdout.splitlines()]
    assert {r["batch_id"]: r["previous_reo_kg"] for r in lines}["B1"] == 100.0
