"""The Store contract, held by both stores: every test runs on the embedded SQLite store and on
a real Neo4j (``any_store``; the Neo4j half skips locally without a server, fails in CI).

SPEC §1 (supersession with history, idempotence, cross-upload ids, nothing stored on a
rejection), SPEC §2 (registry versions) and the exact round trip of every event value.
What only one store has (SQLite's connections and files, Neo4j's graph) is tested in
tests/store/test_local.py and tests/neo4j/test_neo4j_store.py.
"""

from __future__ import annotations

import neo4j_scenario as scenario
import pandas as pd
import pytest

from flowgraph.errors import InputError
from flowgraph.model import (
    EVENT_COLUMNS,
    FINDING_COLUMNS,
    TEXT_COLUMNS,
    Upload,
    events_frame,
    registry_from_records,
)
from flowgraph.store.base import ConcurrentWrites, Store
from flowgraph.store.local import LocalStore

ENT = "91150200MA0000001X"


@pytest.fixture(params=["local", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def any_store(request, tmp_path):
    """An empty store of each kind (the Neo4j one: tests/conftest.py's ``neo4j_store``)."""
    if request.param == "neo4j":
        yield request.getfixturevalue("neo4j_store")
        return
    store = LocalStore.open(tmp_path / "fg.db")
    yield store
    store.close()


def make_upload(
    period: str = "2024-03",
    enterprise: str = ENT,
    sha: str = "a" * 64,
    ids: tuple[str, ...] = ("e1", "e2"),
    batch: str | None = None,
    name: str = "upload.csv",
) -> Upload:
    day = f"{period}-05"
    records = [
        {
            "event_id": event_id,
            "event_type": "extract",
            "date": day,
            "enterprise_id": enterprise,
            "lot_id": f"L-{event_id}",
            "product": "MIXED_CONC",
            "mass_kg": 1000.0 + i,
            "reo_pct": 50.0,
            "document_ref": "C-1",
            "note": "矿山 <b>",
        }
        for i, event_id in enumerate(ids)
    ]
    if batch:
        records += [
            {"event_id": f"{batch}-in", "event_type": "consume", "date": day,
             "enterprise_id": enterprise, "lot_id": "L-e1", "mass_kg": 10.0, "batch_id": batch},
            {"event_id": f"{batch}-out", "event_type": "produce", "date": day,
             "enterprise_id": enterprise, "lot_id": f"L-{batch}", "product": "MIXED_CARBONATE",
             "mass_kg": 9.0, "reo_pct": 45.0, "batch_id": batch},
        ]  # fmt: skip
    return Upload(name, sha, enterprise, period, events_frame(records))


def test_both_stores_implement_the_protocol(any_store):
    for name in [n for n in dir(Store) if not n.startswith("_")] + ["uri"]:
        assert callable(getattr(any_store, name)) or name == "uri", name
    # Only Neo4j takes concurrent writes; the embedded store gets its files one by one.
    assert isinstance(any_store, ConcurrentWrites) == any_store.uri.startswith("bolt")


def test_events_round_trip_exactly(any_store):
    upload = make_upload(batch="B1")
    result = any_store.save_upload(upload)
    back = any_store.events()
    expected = upload.events.assign(upload_id=result.upload_id)
    pd.testing.assert_frame_equal(back, expected)
    assert back["upload_id"].nunique() == 1 and back.loc[0, "note"] == "矿山 <b>"


def test_every_event_type_round_trips_in_upload_then_row_order(any_store):
    results = scenario.load(any_store)
    pairs = zip(scenario.uploads(), results, strict=True)
    expected = pd.concat(
        [u.events.assign(upload_id=r.upload_id) for u, r in pairs], ignore_index=True
    )
    got = any_store.events()
    assert len(got) == sum(len(u.events) for u in scenario.uploads())
    pd.testing.assert_frame_equal(got, expected)
    april = expected[expected["period"] == "2024-04"].reset_index(drop=True)
    pd.testing.assert_frame_equal(any_store.events(period="2024-04"), april)
    pd.testing.assert_frame_equal(any_store.events(year=2024), expected)
    assert any_store.events(year=2023).empty


def test_encoded_events_hold_the_same_values_as_categoricals(any_store):
    # Issue #15: events(encoded=True) hands back the text columns dictionary-encoded (codes in
    # order of first appearance, as pd.factorize of the column gives them), every value the
    # plain read's; each filter too, and an empty read keeps the columns.
    scenario.load(any_store)
    for filters in ({}, {"period": "2024-04"}, {"year": 2024}):
        plain, encoded = any_store.events(**filters), any_store.events(encoded=True, **filters)
        for column in TEXT_COLUMNS + ("period",):
            assert isinstance(encoded[column].dtype, pd.CategoricalDtype), column
            codes, uniques = pd.factorize(plain[column].to_numpy(dtype=object))
            assert encoded[column].cat.codes.tolist() == codes.tolist(), column
            assert list(encoded[column].cat.categories) == list(uniques), column
        widened = encoded.astype({c: object for c in TEXT_COLUMNS + ("period",)})
        pd.testing.assert_frame_equal(widened.where(widened.notna(), None), plain)
    empty = any_store.events(year=2023, encoded=True)
    assert empty.empty and list(empty.columns) == list(EVENT_COLUMNS)


def test_event_values_survive_exactly(any_store):
    upload = scenario.uploads()[2]  # S1: receive, consume, produce, ship, loss with Chinese note
    any_store.save_upload(upload)
    got = any_store.events().drop(columns="upload_id")
    pd.testing.assert_frame_equal(got, upload.events.drop(columns="upload_id"))


def test_new_upload_supersedes_and_history_keeps_the_old_one(any_store):
    first = any_store.save_upload(make_upload(sha="a" * 64, ids=("e1", "e2")))
    second = any_store.save_upload(make_upload(sha="b" * 64, ids=("e1",), name="fixed.csv"))
    assert (first.status, first.revision, first.events) == ("loaded", 1, 2)
    assert (second.status, second.revision, second.events) == ("superseded", 2, 1)
    assert second.upload_id > first.upload_id
    assert any_store.events()["event_id"].tolist() == ["e1"]
    history = any_store.uploads(include_history=True)
    assert history["file_name"].tolist() == ["upload.csv", "fixed.csv"]
    assert history["current"].tolist() == [False, True]
    assert history["superseded_by"].tolist() == [history["upload_id"][1], pd.NA]
    assert history["revision"].tolist() == [1, 2]
    assert any_store.uploads()["file_name"].tolist() == ["fixed.csv"]
    assert any_store.find_current_by_sha("b" * 64) == (ENT, "2024-03")
    assert any_store.find_current_by_sha("a" * 64) is None  # superseded: no longer current
    assert any_store.current_shas() == {"b" * 64: (ENT, "2024-03")}


def test_identical_upload_changes_nothing(any_store):
    any_store.save_upload(make_upload())
    before = any_store.uploads(include_history=True)
    result = any_store.save_upload(make_upload())
    assert (result.status, result.revision, result.upload_id) == ("unchanged", 1, None)
    pd.testing.assert_frame_equal(any_store.uploads(include_history=True), before)
    assert any_store.find_current_by_sha("a" * 64) == (ENT, "2024-03")
    assert any_store.find_current_by_sha("c" * 64) is None


def test_revision_after_revision_counts_on_and_identical_to_current_is_unchanged(any_store):
    for sha in ("a", "b", "c"):
        any_store.save_upload(make_upload(sha=sha * 64, name=f"{sha}.csv"))
    assert any_store.save_upload(make_upload(sha="c" * 64)).status == "unchanged"
    # The first revision's bytes again are news: a fourth revision, not "unchanged".
    again = any_store.save_upload(make_upload(sha="a" * 64, name="a-again.csv"))
    assert (again.status, again.revision) == ("superseded", 4)
    assert any_store.uploads(include_history=True)["current"].tolist() == [False] * 3 + [True]
    # ... and it says so: it undoes the corrections of revisions 2 and 3 (issue 14)
    assert again.reverts_to == 1
    fresh = any_store.save_upload(make_upload(sha="d" * 64, name="d.csv"))
    assert (fresh.revision, fresh.reverts_to) == (5, None)


def test_event_id_reused_in_another_period_is_rejected_with_location(any_store):
    any_store.save_upload(make_upload(period="2024-03", sha="a" * 64, ids=("e1", "e2")))
    with pytest.raises(InputError) as excinfo:
        any_store.save_upload(
            make_upload(period="2024-04", sha="b" * 64, ids=("e9", "e2"), name="apr.csv")
        )
    assert [str(p) for p in excinfo.value.problems] == [
        f"apr.csv:3:event_id: event_id 'e2' is already used by {ENT} in its 2024-03 upload"
    ]
    assert len(any_store.uploads(include_history=True)) == 1  # nothing stored
    assert any_store.events(period="2024-04").empty


def test_event_and_batch_clash_both_named_at_their_rows(any_store):
    any_store.save_upload(make_upload(period="2024-03", sha="a" * 64, ids=("e1",), batch="B7"))
    clash = make_upload(period="2024-04", sha="b" * 64, ids=("e1",), batch="B7", name="apr.csv")
    with pytest.raises(InputError) as excinfo:
        any_store.save_upload(clash)
    assert [str(p) for p in excinfo.value.problems] == [
        f"apr.csv:2:event_id: event_id 'e1' is already used by {ENT} in its 2024-03 upload",
        f"apr.csv:3:batch_id: batch 'B7' is already used by {ENT} in its 2024-03 upload",
        f"apr.csv:3:event_id: event_id 'B7-in' is already used by {ENT} in its 2024-03 upload",
        f"apr.csv:4:batch_id: batch 'B7' is already used by {ENT} in its 2024-03 upload",
        f"apr.csv:4:event_id: event_id 'B7-out' is already used by {ENT} in its 2024-03 upload",
    ]
    assert len(any_store.uploads(include_history=True)) == 1


def test_revision_of_the_same_period_may_reuse_its_ids(any_store):
    any_store.save_upload(make_upload(sha="a" * 64, ids=("e1", "e2"), batch="B1"))
    result = any_store.save_upload(make_upload(sha="b" * 64, ids=("e2", "e1"), batch="B1"))
    assert result.status == "superseded"


def test_other_enterprise_may_use_the_same_ids(any_store):
    any_store.save_upload(make_upload(enterprise="E-A", sha="a" * 64))
    assert any_store.save_upload(make_upload(enterprise="E-B", sha="b" * 64)).status == "loaded"


def test_batch_split_across_uploads_is_rejected(any_store):
    any_store.save_upload(make_upload(period="2024-03", sha="a" * 64, ids=("e1",), batch="B7"))
    with pytest.raises(InputError, match="batch 'B7' is already used"):
        any_store.save_upload(make_upload(period="2024-04", sha="b" * 64, ids=("e5",), batch="B7"))


def test_superseded_ids_are_free_again(any_store):
    any_store.save_upload(make_upload(period="2024-03", sha="a" * 64, ids=("e1", "e2")))
    any_store.save_upload(make_upload(period="2024-03", sha="b" * 64, ids=("e1",)))
    result = any_store.save_upload(make_upload(period="2024-04", sha="c" * 64, ids=("e2",)))
    assert result.status == "loaded"


def test_period_and_year_filters(any_store):
    any_store.save_upload(make_upload(period="2024-03", sha="a" * 64, ids=("a",)))
    any_store.save_upload(make_upload(period="2025-01", sha="b" * 64, ids=("b",)))
    assert any_store.events(period="2025-01")["event_id"].tolist() == ["b"]
    assert any_store.events(year=2024)["event_id"].tolist() == ["a"]
    assert any_store.events(year=2023).empty


def _registry():
    return registry_from_records(
        enterprises=[{"enterprise_id": "M1", "name": "Mine <1>", "province": "Inner Mongolia",
                      "group": "CNRE", "roles": "mine"},
                     {"enterprise_id": "T1", "name": "Trader", "province": None, "group": None,
                      "roles": "trader;exporter"}],
        designations=[{"enterprise_id": "M1", "activity": "mining", "licence_no": "L1",
                       "valid_from": "2024-01-01", "valid_to": None},
                      {"enterprise_id": "M1", "activity": "smelting", "licence_no": "S1",
                       "valid_from": "2024-01-01", "valid_to": "2024-12-31"}],
        quotas=[{"enterprise_id": "M1", "year": 2024, "activity": "mining", "quota_t_reo": 100.5},
                {"enterprise_id": "M1", "year": 2024, "activity": "smelting", "quota_t_reo": 3}],
    )  # fmt: skip


def test_registry_replaced_with_history_and_identical_reload_unchanged(any_store):
    reg1 = _registry()
    first = any_store.save_registry(reg1, "dir1")
    assert (first.version, first.status, first.enterprises, first.quotas) == (1, "loaded", 2, 2)
    again = any_store.save_registry(reg1, "dir1")
    assert (again.version, again.status) == (1, "unchanged")
    back = any_store.registry()
    assert back.enterprises.to_dict("records") == [
        {"enterprise_id": "M1", "name": "Mine <1>", "province": "Inner Mongolia",
         "group": "CNRE", "roles": "mine"},
        {"enterprise_id": "T1", "name": "Trader", "province": None, "group": None,
         "roles": "trader;exporter"},
    ]  # fmt: skip
    assert all(dtype == "object" for dtype in back.enterprises.dtypes)
    pd.testing.assert_frame_equal(back.designations, reg1.designations)
    pd.testing.assert_frame_equal(back.quotas, reg1.quotas)
    reg2 = registry_from_records(enterprises=[{"enterprise_id": "M2", "roles": "trader"}])
    assert any_store.save_registry(reg2, "dir2").version == 2
    assert any_store.registry().enterprises["enterprise_id"].tolist() == ["M2"]
    assert any_store.registry().quotas.empty
    old = any_store.registry(version=1)  # the old version stays in history
    assert old.enterprises["name"].tolist() == ["Mine <1>", "Trader"]
    assert len(old.quotas) == 2
    # Loading the first content again is a new version, not "unchanged".
    assert any_store.save_registry(reg1, "dir1").version == 3


def test_empty_store_reads_empty_frames(any_store):
    events = any_store.events()
    assert events.empty and list(events.columns) == list(EVENT_COLUMNS)
    assert any_store.registry().quotas.empty and any_store.registry().enterprises.empty
    assert any_store.uploads().empty and any_store.current_shas() == {}
    assert any_store.findings().empty


def test_findings_of_every_run_kept(any_store):
    from flowgraph.investigations import record_run

    findings = pd.DataFrame(
        [{"type": "UNKNOWN_LOT", "family": "untraceable_input", "period": "2024-03",
          "lot_id": "L9", "reo_kg": 12.5, "detail": "x"}],
        columns=list(FINDING_COLUMNS),
    )  # fmt: skip
    record_run(any_store, findings, upload_ids=[1])
    record_run(any_store, findings.assign(lot_id="L10"), upload_ids=[2])
    back = any_store.findings()
    assert back["lot_id"].tolist() == ["L10"] and back["reo_kg"].tolist() == [12.5]
    assert any_store.run_findings(1)["lot_id"].tolist() == ["L9"]  # history not rewritten


def test_carry_overs_are_kept_per_year_under_their_fingerprint(any_store):
    """The cache of detection by year (analysis/years.py): rows of several uploads round-trip
    in upload then row order, another fingerprint reads nothing, a save replaces the year's,
    an empty carry-over is kept as empty (not as "none kept")."""
    for upload in (make_upload("2024-11"), make_upload("2024-12", sha="b" * 64, ids=("e3",))):
        any_store.save_upload(upload)
    events = any_store.events()
    assert any_store.carryover(2025, "fp1") is None
    any_store.save_carryover(2025, "fp1", events.iloc[::-1])
    back = any_store.carryover(2025, "fp1")
    pd.testing.assert_frame_equal(back[list(EVENT_COLUMNS)], events[list(EVENT_COLUMNS)])
    assert any_store.carryover(2025, "fp2") is None and any_store.carryover(2024, "fp1") is None
    any_store.save_carryover(2025, "fp2", events.iloc[:1])
    assert any_store.carryover(2025, "fp1") is None
    assert any_store.carryover(2025, "fp2")["event_id"].tolist() == [events["event_id"].iloc[0]]
    any_store.save_carryover(2026, "fp2", events.iloc[0:0])
    kept = any_store.carryover(2026, "fp2")
    assert kept is not None and kept.empty and list(kept.columns) == list(events.columns)
