"""Both stores keep every run and an append-only review log; record_run, review, statuses.

Every test runs on the embedded store and on a real Neo4j (``store``), except those about the
SQLite file itself (triggers, migration of a version-1 file).
"""

import sqlite3

import pandas as pd
import pytest
from invest_data import findings, gain, open_store

from flowgraph.config import Tolerances
from flowgraph.errors import UsageError
from flowgraph.investigations import (
    finding_history,
    list_findings,
    record_run,
    resolve_finding_id,
    review,
)
from flowgraph.store.local import LocalStore


@pytest.fixture(params=["local", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request, tmp_path):
    if request.param == "neo4j":
        yield request.getfixturevalue("neo4j_store")
        return
    s = open_store(tmp_path / "fg.db")
    yield s
    s.close()


@pytest.fixture
def local(tmp_path):
    s = open_store(tmp_path / "fg.db")
    yield s
    s.close()


def test_runs_are_kept_and_numbered(store):
    one = record_run(store, findings(gain("B1", 10), gain("B2", 20)), upload_ids=[1, 2])
    two = record_run(store, findings(gain("B2", 20), gain("B3", 5)), upload_ids=[1, 3])
    assert (one.run, two.run) == (1, 2) and one.recorded and two.recorded
    runs = store.runs()
    assert runs["run"].tolist() == [1, 2] and runs["upload_ids"].tolist() == [[1, 2], [1, 3]]
    assert runs["findings"].tolist() == [2, 2]
    assert store.run_findings(1)["batch_id"].tolist() == ["B1", "B2"]  # history not rewritten
    assert dict(zip(two.findings["batch_id"], two.findings["status"], strict=True)) == {
        "B2": "open",
        "B3": "new",
    }
    assert two.resolved["batch_id"].tolist() == ["B1"]


def test_identical_run_is_not_recorded_again(store):
    record_run(store, findings(gain("B1", 10)), upload_ids=[1])
    again = record_run(store, findings(gain("B1", 10)), upload_ids=[1])
    assert (again.run, again.recorded) == (1, False)
    other_tolerances = record_run(
        store, findings(gain("B1", 10)), upload_ids=[1], tolerances=Tolerances(gain_ratio=1.01)
    )
    assert (other_tolerances.run, other_tolerances.recorded) == (2, True)
    assert record_run(store, findings(gain("B1", 10)), upload_ids=[1], registry_version=7).run == 3


def test_review_is_all_or_none_and_needs_a_note_to_dismiss(store):
    record_run(store, findings(gain("B1", 10), gain("B2", 20)), upload_ids=[1])
    ids = store.run_findings(1)["finding_id"].tolist()
    with pytest.raises(UsageError, match="ffffffffffff is no finding"):
        review(store, [ids[0], "ffffffffffff"], "confirm")
    with pytest.raises(UsageError, match="needs a note"):
        review(store, [ids[0]], "dismiss")
    with pytest.raises(UsageError, match="not a finding id"):
        review(store, [ids[0][:5]], "confirm")
    assert store.reviews().empty
    review(store, [ids[0][:6], ids[1]], "dismiss", note="scale fault", by="li")
    log = store.reviews()
    assert log["finding_id"].tolist() == ids and set(log["reviewed_by"]) == {"li"}
    assert log["reo_kg"].tolist() == [10.0, 20.0] and set(log["run"]) == {1}


def test_ambiguous_prefix_lists_the_matches(store, monkeypatch):
    record_run(store, findings(gain("B1", 10), gain("B2", 20)), upload_ids=[1])
    ids = sorted(store.run_findings(1)["finding_id"])
    monkeypatch.setattr(store, "match_finding_ids", lambda prefix: ids)
    with pytest.raises(UsageError, match="ambiguous") as err:
        resolve_finding_id(store, "abcdef")
    assert all(i in str(err.value) for i in ids)


def test_review_log_is_append_only_in_sqlite(local):
    record_run(local, findings(gain("B1", 10)), upload_ids=[1])
    review(local, [local.run_findings(1)["finding_id"][0]], "confirm")
    for statement in ("UPDATE reviews SET note = 'x'", "DELETE FROM reviews"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            local.connection.execute(statement)
    assert len(local.reviews()) == 1


def test_dismissed_grows_9_percent_stays_11_reopens_with_a_logged_reopening(store):
    record_run(store, findings(gain("B1", 100), gain("B2", 100)), upload_ids=[1])
    fid = dict(
        zip(store.run_findings(1)["batch_id"], store.run_findings(1)["finding_id"], strict=True)
    )
    review(store, [fid["B1"], fid["B2"]], "dismiss", note="known", by="li")
    second = record_run(store, findings(gain("B1", 109), gain("B2", 111)), upload_ids=[2])
    status = dict(zip(second.findings["batch_id"], second.findings["status"], strict=True))
    assert status == {"B1": "dismissed", "B2": "open"}
    assert second.findings["previous_reo_kg"].tolist() == [100.0, 100.0]
    log = store.reviews()
    reopen = log[log["decision"] == "reopen"]
    assert reopen["finding_id"].tolist() == [fid["B2"]]
    assert reopen["reviewed_by"].tolist() == ["flowgraph"] and reopen["run"].tolist() == [2]
    assert "111.0" in reopen["note"].iloc[0] and "100.0" in reopen["note"].iloc[0]
    # the next identical-size run keeps it open without a second reopening
    third = record_run(store, findings(gain("B1", 109), gain("B2", 111)), upload_ids=[3])
    assert set(third.findings["status"]) == {"dismissed", "open"}
    assert (store.reviews()["decision"] == "reopen").sum() == 1
    history = finding_history(store, fid["B2"])
    assert history.runs["status"].tolist() == ["dismissed", "open", "open"]
    assert history.runs["reo_kg"].tolist() == [100.0, 111.0, 111.0]


def test_listing_of_an_older_run_uses_the_reviews_of_its_time(store):
    record_run(store, findings(gain("B1", 10)), upload_ids=[1])
    fid = store.run_findings(1)["finding_id"][0]
    review(store, [fid], "dismiss", note="first look")
    record_run(store, findings(gain("B1", 10)), upload_ids=[2])
    review(store, [fid], "confirm", note="second look")
    assert list_findings(store, run=1)["status"].tolist() == ["dismissed"]
    latest = list_findings(store)
    assert latest["status"].tolist() == ["confirmed"] and latest["review_note"].tolist() == [
        "second look"
    ]
    assert latest["first_run"].tolist() == [1] and latest["run"].tolist() == [2]
    with pytest.raises(UsageError, match="run 3 is not recorded"):
        list_findings(store, run=3)


def test_version_1_store_is_migrated_keeping_its_run(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO meta VALUES ('schema_version', '1');
        CREATE TABLE finding_runs (run_id INTEGER PRIMARY KEY, ran_at TEXT NOT NULL,
            findings INTEGER NOT NULL);
        CREATE TABLE findings (run_id INTEGER NOT NULL, type TEXT, family TEXT, period TEXT,
            enterprise_id TEXT, lot_id TEXT, shipment_id TEXT, batch_id TEXT, year INTEGER,
            reo_kg REAL, detail TEXT, activity TEXT);
        INSERT INTO finding_runs VALUES (4, '2026-11-01T00:00:00+00:00', 1);
        INSERT INTO findings VALUES (4, 'TRANSFORM_GAIN', 'unaccounted_mass', '2025-03', 'E017',
            NULL, NULL, 'B-17-0311', NULL, 412.5, 'gain', NULL);
        """
    )
    db.close()
    store = LocalStore.open(path)
    try:
        assert store.runs()["run"].tolist() == [1]
        assert store.run_findings(1)["finding_id"].tolist() == ["5ebcd00b8f24"]
        tables = {r[0] for r in store.connection.execute("SELECT name FROM sqlite_master")}
        assert "finding_runs" not in tables
        nxt = record_run(store, findings(gain("B-17-0311", 412.5)), upload_ids=[1])
        assert nxt.run == 2 and nxt.findings["status"].tolist() == ["open"]
    finally:
        store.close()
    reopened = LocalStore.open(path)  # opening again changes nothing
    assert reopened.runs()["run"].tolist() == [1, 2]
    reopened.close()


def test_resolved_names_the_uploads_of_its_enterprise_since_the_previous_run(store):
    from flowgraph.model import Upload, events_frame

    def upload(ent, period, sha, lot):
        ev = events_frame([{"event_id": lot, "event_type": "extract", "date": f"{period}-02",
                            "enterprise_id": ent, "lot_id": lot, "mass_kg": 1.0, "reo_pct": 50}])  # fmt: skip
        return store.save_upload(Upload(f"{ent}-{period}.csv", sha, ent, period, ev))

    upload("E017", "2025-03", "a" * 64, "L1")
    upload("E099", "2025-03", "b" * 64, "L2")
    record_run(store, findings(gain("B1", 10), gain("B9", 3, enterprise="E099")))
    upload("E017", "2025-03", "c" * 64, "L1")  # revision 2 of E017's March
    upload("E099", "2025-04", "d" * 64, "L3")
    result = record_run(store, pd.DataFrame(columns=gain("B1", 1).columns))
    by_batch = dict(zip(result.resolved["batch_id"], result.resolved["resolved_by"], strict=True))
    assert [(u["period"], u["revision"], u["file_name"]) for u in by_batch["B1"]] == [
        ("2025-03", 2, "E017-2025-03.csv")
    ]
    assert [u["period"] for u in by_batch["B9"]] == ["2025-04"]


def test_store_refuses_a_review_batch_naming_an_unknown_id(store):
    record_run(store, findings(gain("B1", 10)), upload_ids=[1])
    fid = store.run_findings(1)["finding_id"][0]
    rows = pd.DataFrame(
        [
            {"finding_id": fid, "decision": "confirm", "reviewed_by": "li",
             "reviewed_at": "2026-01-01T00:00:00+00:00", "run": 1, "reo_kg": 10.0},
            {"finding_id": "0123456789ab", "decision": "confirm", "reviewed_by": "li",
             "reviewed_at": "2026-01-01T00:00:00+00:00", "run": 1, "reo_kg": 1.0},
        ]
    )  # fmt: skip
    with pytest.raises(UsageError, match="0123456789ab: no finding"):
        store.save_reviews(rows)
    assert store.reviews().empty


@pytest.mark.neo4j
def test_concurrent_reviews_on_neo4j_lose_nothing(neo4j_store):
    from concurrent.futures import ThreadPoolExecutor

    from flowgraph.store.neo4j import Neo4jStore

    record_run(neo4j_store, findings(*(gain(f"B{n}", n + 1) for n in range(6))), upload_ids=[1])
    ids = neo4j_store.run_findings(1)["finding_id"].tolist()
    others = [Neo4jStore.connect(neo4j_store.uri) for _ in range(3)]
    try:
        jobs = [(others[n % 3], fid) for n, fid in enumerate(ids * 2)]
        with ThreadPoolExecutor(max_workers=6) as pool:
            list(pool.map(lambda job: review(job[0], [job[1]], "confirm", by="x"), jobs))
    finally:
        for other in others:
            other.close()
    log = neo4j_store.reviews()
    assert len(log) == 12 and sorted(log["review_id"]) == list(range(1, 13))


@pytest.mark.neo4j
def test_neo4j_run_from_before_runs_were_kept_becomes_run_1(neo4j_store):
    neo4j_store.driver.execute_query(
        "CREATE (r:DetectionRun {run_id: 'abc', ran_at: '2026-11-01T00:00:00+00:00', findings: 1}) "
        "CREATE (:Finding {type: 'TRANSFORM_GAIN', family: 'unaccounted_mass', period: '2025-03', "
        "enterprise_id: 'E017', batch_id: 'B-17-0311', reo_kg: 412.5, detail: 'gain'})"
        "-[:IN_RUN]->(r)"
    )
    result = record_run(neo4j_store, findings(gain("B-17-0311", 412.5)), upload_ids=[1])
    assert result.run == 2 and result.findings["status"].tolist() == ["open"]
    runs = neo4j_store.runs()
    assert runs["run"].tolist() == [1, 2] and runs["ran_at"][0] == "2026-11-01T00:00:00+00:00"
    assert neo4j_store.run_findings(1)["finding_id"].tolist() == ["5ebcd00b8f24"]
    left = neo4j_store.driver.execute_query(
        "MATCH (n) WHERE (n:DetectionRun AND n.run IS NULL) OR (n:Finding AND n.finding_id IS NULL) "
        "RETURN count(n) AS n"
    ).records[0]["n"]
    assert left == 0
