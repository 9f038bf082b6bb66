"""Concurrent writer lanes (``load_files`` with ``store.writers`` > 1) on a real Neo4j.

One command loads revisions of one identity, the same bytes twice, a file whose event id clashes
with another period of its enterprise, and files of other enterprises in between: the result
must be what a one-by-one load into the embedded store gives, reported in file order.
"""

from __future__ import annotations

import neo4j_scenario as scenario
import pandas as pd
import pytest

from flowgraph.errors import UsageError
from flowgraph.ingest import ID_BLOCK, load_files
from flowgraph.model import UPLOAD_COLUMNS
from flowgraph.store.local import LocalStore

pytestmark = pytest.mark.neo4j


def _row(eid, etype, date, ent, lot, mass, product="ND_OXIDE", **extra) -> dict:
    return {"event_id": eid, "event_type": etype, "date": date, "enterprise_id": ent,
            "lot_id": lot, "mass_kg": mass, "product": product, **extra}  # fmt: skip


def _files(folder) -> list[str]:
    """Files in load order (names sort in this order)."""
    s1_v1 = [_row("1", "stock", "2024-03-31", "S1", "A1", 10)]
    s1_v2 = [_row("1", "stock", "2024-03-31", "S1", "A1", 12)]
    plan = [
        ("01-s1-mar-v1", s1_v1),
        ("02-t1-mar", [_row("1", "stock", "2024-03-31", "T1", "B1", 5)]),
        ("03-s1-mar-v2", s1_v2),
        ("04-m1-mar", [_row("1", "stock", "2024-03-31", "M1", "C1", 7, "BAST_CONC")]),
        # S1 April reuses March's event id "1": rejected (SPEC §1), nothing stored.
        ("05-s1-apr-clash", [_row("1", "stock", "2024-04-30", "S1", "A1", 12)]),
        ("06-t1-apr", [_row("1", "stock", "2024-04-30", "T1", "B1", 5)]),
        ("07-s1-mar-v1-again", s1_v1),  # the first bytes again: news, supersedes v2
        ("08-t1-apr-same", [_row("1", "stock", "2024-04-30", "T1", "B1", 5)]),  # unchanged
        ("09-s1-apr", [_row("2", "stock", "2024-04-30", "S1", "A1", 11)]),
    ]
    paths = []
    for name, records in plan:
        path = folder / f"{name}.csv"
        pd.DataFrame(records, columns=list(UPLOAD_COLUMNS)).to_csv(path, index=False)
        paths.append(str(path))
    return paths


def _outcome(summary) -> list[tuple[str, str]]:
    stored = [(r.file_name.rsplit("/", 1)[-1], r.status) for r in summary.results]
    rejected = [(name.rsplit("/", 1)[-1], "rejected") for name in summary.rejected]
    return stored + rejected


def _state(store) -> tuple[pd.DataFrame, pd.DataFrame]:
    uploads = store.uploads(include_history=True).drop(
        columns=["upload_id", "superseded_by", "loaded_at"]
    )
    events = scenario.sort_events(store.events().drop(columns="upload_id"))
    return uploads.reset_index(drop=True), events.reset_index(drop=True)


def test_lanes_give_a_one_by_one_load_in_file_order(store, tmp_path, monkeypatch):
    monkeypatch.setenv("FLOWGRAPH_WRITERS", "3")
    files = _files(tmp_path)
    local = LocalStore.open(str(tmp_path / "embedded.db"))
    expected = load_files(local, files, workers=1)

    got = load_files(store, files, workers=1)

    assert [r.file_name for r in got.results] == [r.file_name for r in expected.results]
    assert _outcome(got) == _outcome(expected)
    assert ("07-s1-mar-v1-again.csv", "superseded") in _outcome(got)
    assert ("05-s1-apr-clash.csv", "rejected") in _outcome(got)
    for ours, theirs in zip(_state(store), _state(local), strict=True):
        pd.testing.assert_frame_equal(ours, theirs)
    # Ids follow the files: each identity's revisions in order, ids unique.
    history = store.uploads(include_history=True)
    assert history["upload_id"].is_unique
    s1_march = history.query("enterprise_id == 'S1' and period == '2024-03'")
    assert s1_march.sort_values("revision")["upload_id"].is_monotonic_increasing
    local.close()


def test_writers_setting_must_be_a_number(store, tmp_path, monkeypatch):
    monkeypatch.setenv("FLOWGRAPH_WRITERS", "two")
    with pytest.raises(UsageError, match="FLOWGRAPH_WRITERS"):
        load_files(store, _files(tmp_path), workers=1)


@pytest.mark.parametrize("writers", ["1", "2"])
def test_ids_follow_the_files_and_are_reserved_in_blocks(store, tmp_path, monkeypatch, writers):
    monkeypatch.setenv("FLOWGRAPH_WRITERS", writers)
    paths = []
    for n in range(ID_BLOCK + 8):  # four enterprises, ten months each, interleaved
        ent, month_end = f"E{n % 4}", pd.Timestamp(2024, n // 4 + 1, 1) + pd.offsets.MonthEnd(0)
        record = _row(str(n), "stock", f"{month_end:%Y-%m-%d}", ent, f"L{n}", 10 + n)
        path = tmp_path / f"{n:03d}.csv"
        pd.DataFrame([record], columns=list(UPLOAD_COLUMNS)).to_csv(path, index=False)
        paths.append(str(path))
    blocks = []
    reserve = store.reserve_upload_ids
    monkeypatch.setattr(store, "reserve_upload_ids", lambda n=1: blocks.append(n) or reserve(n))

    first = load_files(store, paths, workers=1)

    ids = [r.upload_id for r in first.results]
    assert [r.status for r in first.results] == ["loaded"] * len(paths)
    assert ids == sorted(set(ids))  # unique, increasing in file order across the lanes
    assert blocks == [ID_BLOCK, 8]
    blocks.clear()
    again = load_files(store, paths, workers=1)
    assert [r.status for r in again.results] == ["unchanged"] * len(paths)
    assert blocks == []  # files the store holds take no id


def test_stored_bytes_an_earlier_file_revises_take_their_id_in_file_order(
    store, tmp_path, monkeypatch
):
    monkeypatch.setenv("FLOWGRAPH_WRITERS", "2")
    plan = {
        "1-s1-v1": _row("1", "stock", "2024-03-31", "S1", "A1", 10),
        "2-s1-v2": _row("1", "stock", "2024-03-31", "S1", "A1", 12),
        "3-s1-v1-again": _row("1", "stock", "2024-03-31", "S1", "A1", 10),
        "4-t1": _row("1", "stock", "2024-03-31", "T1", "B1", 5),
    }
    paths = []
    for name, record in plan.items():
        path = tmp_path / f"{name}.csv"
        pd.DataFrame([record], columns=list(UPLOAD_COLUMNS)).to_csv(path, index=False)
        paths.append(str(path))
    load_files(store, paths[:1], workers=1)

    summary = load_files(store, paths[1:], workers=1)

    assert [r.status for r in summary.results] == ["superseded", "superseded", "loaded"]
    ids = [r.upload_id for r in summary.results]
    assert ids == sorted(set(ids))
    assert store.events()["mass_kg"].sort_values().tolist() == [5.0, 10.0]
