"""The investigator's cycle over a year, on both stores, held equal id for id (SPEC §6):
load months 1-6, detect, review; load months 7-12 and a revision that fixes one planted
problem, reload the registry, detect again. Every status occurs; the review log survives the
registry reload and the revision; the case sheet and the history read the same on both."""

from __future__ import annotations

import json

import pytest
import story
from click.testing import CliRunner

from flowgraph.analysis import detect
from flowgraph.cli.main import cli
from flowgraph.config import Tolerances
from flowgraph.investigations import (
    case_sheet,
    compare_with_latest,
    detect_run,
    finding_history,
    list_findings,
    review,
)
from flowgraph.store.local import LocalStore

PLANTED = {
    ("TRANSFORM_GAIN", "B-2"): "confirmed",
    ("TRANSIT_MISMATCH", "SH-3"): "dismissed",
    ("TRANSFORM_LOSS", "B-4"): "open",
    ("TRANSIT_MISMATCH", "SH-5"): "resolved",
    ("TRANSFORM_GAIN", "B-9"): "new",
}


def _key(row) -> tuple:
    return row["type"], row["batch_id"] or row["shipment_id"]


def play(store) -> dict:
    """The story on one store; returns what the test compares."""
    store.save_registry(story.registry(), "registry-v1")
    for upload in story.months(1, 6):
        store.save_upload(upload)
    first = detect_run(store, tolerances=Tolerances())
    ids = {_key(r): r["finding_id"] for r in first.findings.to_dict("records")}
    assert set(first.findings["status"]) == {"new"}
    again = detect_run(store, tolerances=Tolerances())
    assert (again.run, again.recorded) == (1, False)
    review(store, [ids[("TRANSFORM_GAIN", "B-2")]], "confirm", note="batch records", by="wang")
    review(store, [ids[("TRANSIT_MISMATCH", "SH-3")][:7]], "dismiss", note="scale", by="li")
    log_before = store.reviews()

    for upload in story.months(7, 12):
        store.save_upload(upload)
    assert store.save_upload(story.month(5, fixed=True)[1]).status == "superseded"
    store.save_registry(story.registry(" Ltd"), "registry-v2")
    # a filtered look before the run: the findings as a run to come, nothing recorded
    preview = compare_with_latest(store, detect(store, tolerances=Tolerances()))
    assert len(store.runs()) == 1
    second = detect_run(store, tolerances=Tolerances())
    # the same look after the run: each finding as run 2 has it
    after = compare_with_latest(store, detect(store, tolerances=Tolerances()))
    listing = list_findings(store)
    return {
        "first": first,
        "second": second,
        "listing": listing,
        "ids": ids,
        "log_before": log_before,
        "log_after": store.reviews(),
        "history": finding_history(store, ids[("TRANSIT_MISMATCH", "SH-3")]),
        "sheet": case_sheet(store, ids[("TRANSIT_MISMATCH", "SH-5")]),
        "older": list_findings(store, run=1),
        "preview": dict(zip(map(_key, preview.to_dict("records")), preview["status"], strict=True)),
        "after": dict(zip(map(_key, after.to_dict("records")), after["status"], strict=True)),
    }


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """The story played once on the embedded store (the Neo4j test plays it again there)."""
    path = tmp_path_factory.mktemp("story") / "fg.db"
    local = LocalStore.open(path)
    try:
        yield {"local": play(local), "path": path}
    finally:
        local.close()


def test_every_status_occurs_where_planted(both):
    played = both["local"]
    assert played["first"].run == 1 and played["second"].run == 2
    got = {_key(r): r["status"] for r in played["listing"].to_dict("records")}
    assert got == PLANTED
    assert list(played["listing"]["status"]) == [
        "new",
        "open",
        "confirmed",
        "dismissed",
        "resolved",
    ]


def test_filtered_detect_before_and_after_the_run(both):
    planted = {k: v for k, v in PLANTED.items() if v != "resolved"}
    assert both["local"]["after"] == planted  # the run's own statuses
    assert both["local"]["preview"] == planted  # here the same: a run to come vs run 1


def test_resolved_names_the_revision_that_fixed_it(both):
    listing = both["local"]["listing"]
    (row,) = listing[listing["status"] == "resolved"].to_dict("records")
    assert row["enterprise_id"] == "M1"  # the shipment's sender answers for it
    # the receiver's revision of May fixed it; M1's new months (July on) do not cover May
    assert [(u["enterprise_id"], u["period"], u["revision"], u["file_name"])
            for u in row["resolved_by"]] == [("S1", "2024-05", 2, "S1/2024-05-corrected.csv")]  # fmt: skip


def test_review_log_survives_registry_reload_and_revision(both):
    played = both["local"]
    before, after = played["log_before"], played["log_after"]
    assert len(before) == 2 and after.head(2).to_dict("records") == before.to_dict("records")
    assert played["listing"].set_index("status").loc["dismissed", "review_note"] == "scale"
    assert played["listing"].set_index("status").loc["confirmed", "reviewed_by"] == "wang"


def test_older_run_reads_as_it_was(both):
    older = both["local"]["older"]
    assert {_key(r): r["status"] for r in older.to_dict("records")} == {
        ("TRANSFORM_GAIN", "B-2"): "confirmed",  # reviewed while run 1 was the latest
        ("TRANSIT_MISMATCH", "SH-3"): "dismissed",
        ("TRANSFORM_LOSS", "B-4"): "new",
        ("TRANSIT_MISMATCH", "SH-5"): "new",
    }


def test_history_and_case_sheet(both):
    played = both["local"]
    history = played["history"]
    assert history.runs["status"].tolist() == ["dismissed", "dismissed"]
    assert history.runs["reo_kg"].tolist() == [25.0, 25.0]  # 50 kg at 50% REO
    sheet = played["sheet"]
    assert sheet.status == "resolved" and sheet.run == 2
    assert sheet.finding["enterprise_name"] == "Mine One"
    # current rows of SH-5: the ship row and the corrected receipt, each with its file and hash
    assert [(r["file_name"], r["source_row"], r["event_type"]) for r in
            sheet.evidence.to_dict("records")] == [
        ("M1/2024-05.csv", 3, "ship"), ("S1/2024-05-corrected.csv", 2, "receive")
    ]  # fmt: skip
    assert all(len(h) == 64 for h in sheet.evidence["sha256"])
    assert sheet.lots == ("ORE-5",) and sheet.traces[0]["traceable_share"] == pytest.approx(1.0)
    json.dumps(sheet.to_dict())  # one JSON document


def _comparable(played: dict) -> dict:
    listing = played["listing"].drop(columns=["reviewed_at"])
    listing["resolved_by"] = listing["resolved_by"].map(
        lambda ups: (
            None if ups is None else [(u["file_name"], u["period"], u["revision"]) for u in ups]
        )
    )
    log = played["log_after"].drop(columns=["reviewed_at", "review_id"])
    sheet = played["sheet"].to_dict()
    for row in sheet["evidence"]:
        row.pop("upload_id")
    for row in sheet["history"]:
        row.pop("ran_at")
    for row in sheet["reviews"]:
        row.pop("reviewed_at")
        row.pop("review_id")
    return {
        "first": played["first"].findings[["finding_id", "status", "reo_kg"]].values.tolist(),
        "second": played["second"].findings[["finding_id", "status", "reo_kg"]].values.tolist(),
        "listing": listing.to_dict("records"),
        "log": log.to_dict("records"),
        "history": played["history"].runs.drop(columns=["ran_at"]).to_dict("records"),
        "sheet": sheet,
        "older": played["older"][["finding_id", "status"]].values.tolist(),
        "preview": played["preview"],
    }


@pytest.mark.neo4j
def test_neo4j_tells_the_same_story_id_for_id(both, neo4j_store):
    on_neo4j = _comparable(play(neo4j_store))
    on_local = _comparable(both["local"])
    assert on_neo4j == on_local
    about = neo4j_store.driver.execute_query(
        "MATCH (f:Finding)-[:ABOUT]->() RETURN count(DISTINCT f) AS n"
    ).records[0]["n"]
    assert about == len(both["local"]["second"].findings)  # the latest run's findings
    new = neo4j_store.driver.execute_query(
        "MATCH (f:Finding)-[:IN_RUN]->(:DetectionRun {run: 2}) "
        "WHERE NOT (f)-[:IN_RUN]->(:DetectionRun {run: 1}) RETURN f.finding_id AS id"
    ).records
    second = both["local"]["second"].findings
    assert [r["id"] for r in new] == second.loc[second["status"] == "new", "finding_id"].tolist()


def test_cli_show_and_findings_on_the_story(both, tmp_path, monkeypatch):
    monkeypatch.delenv("FLOWGRAPH_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    path = both["path"]  # the story's embedded store, read through the command line
    runner = CliRunner()
    fid = both["local"]["ids"][("TRANSIT_MISMATCH", "SH-5")]
    out = runner.invoke(cli, ["--store", str(path), "show", fid[:6]])
    assert out.exit_code == 0, out.output
    assert "status      resolved in run 2" in out.stdout
    assert "S1/2024-05-corrected.csv:2  receive 2024-05-04 lot ORE-5 shipment SH-5" in out.stdout
    assert "Provenance of 1 lot(s): ORE-5" in out.stdout
    doc = json.loads(
        runner.invoke(cli, ["--store", str(path), "show", fid, "--format", "json"]).stdout
    )
    assert doc["finding"]["finding_id"] == fid and doc["status"] == "resolved"
    table = runner.invoke(cli, ["--store", str(path), "findings"]).stdout
    assert "M1 Mine One shipment SH-5" in table and "S1 Smelter One Ltd batch B-9" in table
    rerun = runner.invoke(cli, ["--store", str(path), "detect"])
    assert "Run 2 already covers these uploads" in rerun.stderr
    page = tmp_path / "findings.html"
    made = runner.invoke(cli, ["--store", str(path), "report", "findings", "-o", str(page)])
    assert made.exit_code == 0, made.output
    html = page.read_text(encoding="utf-8")
    second = both["local"]["second"].findings
    for fid, status in zip(second["finding_id"], second["status"], strict=True):
        assert f"<code>{fid}</code></td><td>{status}</td>" in html


def test_cli_show_and_findings_in_chinese(both, monkeypatch):
    """`--lang zh-CN` (or a Chinese locale) words the case sheet, the findings table and a
    finding's history in Chinese, each detail included; codes and ids stay; English is the
    stored text."""
    from flowgraph.reports.detailwords import localise_detail

    for name in ("FLOWGRAPH_CONFIG", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    path = str(both["path"])
    runner = CliRunner()
    second = both["local"]["second"].findings
    fid = both["local"]["ids"][("TRANSIT_MISMATCH", "SH-5")]
    dismissed = both["local"]["ids"][("TRANSIT_MISMATCH", "SH-3")]
    sheet = runner.invoke(cli, ["--store", path, "show", fid, "--lang", "zh-CN"]).stdout
    assert "状态" in sheet and "第 2 轮：已消除" in sheet and "1 个批号的来源：ORE-5" in sheet
    assert "TRANSIT_MISMATCH" in sheet and fid in sheet  # codes and ids as they are
    for english in ("Evidence:", "Provenance of", "Reviews", "in run", "  status  "):
        assert english not in sheet, english
    table = runner.invoke(cli, ["--store", path, "findings", "--lang", "zh-CN"]).stdout
    for row in second.to_dict("records"):
        chinese = localise_detail(row["type"], row["detail"], "zh-CN")
        assert chinese != row["detail"] and chinese in table
        assert row["detail"] not in table
    assert "已确认（" in table and "CONFIRMED (" not in table and "复核" in table
    history = runner.invoke(cli, ["--store", path, "findings", "--history", dismissed,
                                  "--lang", "zh-CN"]).stdout  # fmt: skip
    assert "复核记录：" in history and "li 排除（第 1 轮" in history and "Reviews" not in history
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")  # the locale is the default
    assert runner.invoke(cli, ["--store", path, "findings"]).stdout == table
    monkeypatch.setenv("LANG", "C.UTF-8")
    english = runner.invoke(cli, ["--store", path, "findings"]).stdout
    assert all(d in english for d in second["detail"]) and "CONFIRMED (" in english
