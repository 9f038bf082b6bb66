"""The embedded store: supersession with history, idempotence, atomicity, cross-upload rules."""

from __future__ import annotations

import pandas as pd
import pytest

from flowgraph.errors import InputError, StoreUnavailable
from flowgraph.model import Upload, events_frame, registry_from_records
from flowgraph.store import eventcodec
from flowgraph.store.local import LocalStore


def make_upload(
    period: str = "2024-03",
    enterprise: str = "91150200MA0000001X",
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


@pytest.fixture
def store(tmp_path):
    s = LocalStore.open(tmp_path / "fg.db")
    yield s
    s.close()


def test_events_round_trip_exactly(store):
    upload = make_upload(batch="B1")
    store.save_upload(upload)
    back = store.events()
    expected = upload.events.assign(upload_id=back["upload_id"])
    pd.testing.assert_frame_equal(back, expected)
    assert back["upload_id"].nunique() == 1 and back.loc[0, "note"] == "矿山 <b>"


def test_new_upload_supersedes_and_history_keeps_the_old_one(store):
    first = store.save_upload(make_upload(sha="a" * 64, ids=("e1", "e2")))
    second = store.save_upload(make_upload(sha="b" * 64, ids=("e1",), name="fixed.csv"))
    assert (first.status, first.revision) == ("loaded", 1)
    assert (second.status, second.revision) == ("superseded", 2)
    assert store.events()["event_id"].tolist() == ["e1"]
    history = store.uploads(include_history=True)
    assert history["file_name"].tolist() == ["upload.csv", "fixed.csv"]
    assert history["current"].tolist() == [False, True]
    assert history.loc[0, "superseded_by"] == history.loc[1, "upload_id"]
    assert len(store.uploads()) == 1


def test_identical_upload_changes_nothing(store):
    store.save_upload(make_upload())
    before = store.uploads(include_history=True)
    result = store.save_upload(make_upload())
    assert result.status == "unchanged"
    pd.testing.assert_frame_equal(store.uploads(include_history=True), before)
    assert store.find_current_by_sha("a" * 64) == ("91150200MA0000001X", "2024-03")
    assert store.find_current_by_sha("c" * 64) is None


def test_event_id_reused_in_another_period_is_rejected_with_location(store):
    store.save_upload(make_upload(period="2024-03", sha="a" * 64, ids=("e1", "e2")))
    with pytest.raises(InputError) as excinfo:
        store.save_upload(
            make_upload(period="2024-04", sha="b" * 64, ids=("e9", "e2"), name="apr.csv")
        )
    assert [str(p) for p in excinfo.value.problems] == [
        "apr.csv:3:event_id: event_id 'e2' is already used by 91150200MA0000001X in its 2024-03 upload"
    ]
    assert len(store.uploads(include_history=True)) == 1  # nothing stored


def test_revision_of_the_same_period_may_reuse_its_ids(store):
    store.save_upload(make_upload(sha="a" * 64, ids=("e1", "e2")))
    assert store.save_upload(make_upload(sha="b" * 64, ids=("e2", "e1"))).status == "superseded"


def test_other_enterprise_may_use_the_same_ids(store):
    store.save_upload(make_upload(enterprise="E-A", sha="a" * 64))
    assert store.save_upload(make_upload(enterprise="E-B", sha="b" * 64)).status == "loaded"


def test_batch_split_across_uploads_is_rejected(store):
    store.save_upload(make_upload(period="2024-03", sha="a" * 64, ids=("e1",), batch="B7"))
    with pytest.raises(InputError, match="batch 'B7' is already used"):
        store.save_upload(make_upload(period="2024-04", sha="b" * 64, ids=("e5",), batch="B7"))


def test_failure_half_way_stores_nothing(store, monkeypatch):
    store.save_upload(make_upload(sha="a" * 64))

    def explode(events):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(eventcodec, "encode_events", explode)
    with pytest.raises(RuntimeError):
        store.save_upload(make_upload(sha="b" * 64, ids=("e7",)))
    monkeypatch.undo()
    history = store.uploads(include_history=True)
    assert len(history) == 1 and history["current"].all()  # the old one is still current
    assert store.events()["event_id"].tolist() == ["e1", "e2"]


def test_period_and_year_filters(store):
    store.save_upload(make_upload(period="2024-03", sha="a" * 64, ids=("a",)))
    store.save_upload(make_upload(period="2025-01", sha="b" * 64, ids=("b",)))
    assert store.events(period="2025-01")["event_id"].tolist() == ["b"]
    assert store.events(year=2024)["event_id"].tolist() == ["a"]
    assert store.events(year=2023).empty


def test_registry_replaced_with_history_and_identical_reload_unchanged(store):
    reg1 = registry_from_records(
        enterprises=[{"enterprise_id": "M1", "name": "Mine <1>", "province": "Inner Mongolia",
                      "group": "CNRE", "roles": "mine"}],
        designations=[{"enterprise_id": "M1", "activity": "mining", "licence_no": "L1",
                       "valid_from": "2024-01-01", "valid_to": None}],
        quotas=[{"enterprise_id": "M1", "year": 2024, "activity": "mining", "quota_t_reo": 100.5}],
    )  # fmt: skip
    assert store.save_registry(reg1, "dir1").status == "loaded"
    assert store.save_registry(reg1, "dir1").status == "unchanged"
    back = store.registry()
    pd.testing.assert_frame_equal(back.designations, reg1.designations)
    pd.testing.assert_frame_equal(back.quotas, reg1.quotas)
    reg2 = registry_from_records(enterprises=[{"enterprise_id": "M2", "roles": "trader"}])
    assert store.save_registry(reg2, "dir2").version == 2
    assert store.registry().enterprises["enterprise_id"].tolist() == ["M2"]
    assert store.registry(version=1).enterprises["name"].tolist() == ["Mine <1>"]
    assert store.registry_history()["source"].tolist() == ["dir1", "dir2"]


def test_empty_store_reads_empty_frames(store):
    assert store.events().empty and list(store.events().columns)[0] == "event_id"
    assert store.registry().quotas.empty


def test_unopenable_store_is_store_unavailable(tmp_path):
    with pytest.raises(StoreUnavailable, match="does not exist"):
        LocalStore.open(tmp_path / "missing" / "fg.db")
    not_sqlite = tmp_path / "junk.db"
    not_sqlite.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreUnavailable, match="cannot open store"):
        LocalStore.open(not_sqlite)


def test_findings_run_replaced(store):
    findings = pd.DataFrame(
        [{"type": "UNKNOWN_LOT", "family": "untraceable_input", "period": "2024-03",
          "lot_id": "L9", "reo_kg": 12.5, "detail": "x"}]
    )  # fmt: skip
    store.save_findings(findings)
    store.save_findings(findings.assign(lot_id="L10"))
    assert store.findings()["lot_id"].tolist() == ["L10"]


def test_id_check_sees_uploads_made_through_another_connection(tmp_path):
    path = tmp_path / "shared.db"
    first, second = LocalStore.open(path), LocalStore.open(path)
    try:
        first.save_upload(make_upload(period="2024-03", sha="a" * 64, ids=("e1",)))
        second.save_upload(make_upload(period="2024-04", sha="b" * 64, ids=("e2",)))
        with pytest.raises(InputError, match="'e2' is already used .* 2024-04 upload"):
            first.save_upload(make_upload(period="2024-05", sha="c" * 64, ids=("e2",)))
    finally:
        first.close()
        second.close()


def test_superseded_ids_are_free_again(store):
    store.save_upload(make_upload(period="2024-03", sha="a" * 64, ids=("e1", "e2")))
    store.save_upload(make_upload(period="2024-03", sha="b" * 64, ids=("e1",)))
    result = store.save_upload(make_upload(period="2024-04", sha="c" * 64, ids=("e2",)))
    assert result.status == "loaded"
