"""flowgraph.ingest: file order, worker processes, and what happens to identical files."""

from __future__ import annotations

import pytest

from flowgraph.ingest import load_files
from flowgraph.store.local import LocalStore

HEADER = "event_id,event_type,date,enterprise_id,lot_id,product,mass_kg,reo_pct,document_ref\n"


def upload_text(enterprise: str, month: int, mass: float) -> str:
    return (
        HEADER
        + f"{month},extract,2024-{month:02d}-02,{enterprise},L{month},MIXED_CONC,{mass},50,LIC\n"
    )


@pytest.fixture
def store(tmp_path):
    s = LocalStore.open(tmp_path / "fg.db")
    yield s
    s.close()


def test_an_old_version_loaded_after_a_newer_one_in_the_same_command_supersedes_it(store, tmp_path):
    a, b, a_again = tmp_path / "1-a.csv", tmp_path / "2-b.csv", tmp_path / "3-a-again.csv"
    a.write_text(upload_text("M1", 3, 100))
    b.write_text(upload_text("M1", 3, 200))
    a_again.write_text(upload_text("M1", 3, 100))
    load_files(store, [a], workers=1)
    summary = load_files(store, [tmp_path], workers=2)
    assert [(r.file_name.split("/")[-1], r.status) for r in summary.results] == [
        ("1-a.csv", "unchanged"),
        ("2-b.csv", "superseded"),
        ("3-a-again.csv", "superseded"),
    ]
    assert store.events()["mass_kg"].tolist() == [100.0]


@pytest.mark.parametrize("workers", [1, 2])
def test_files_are_stored_in_the_order_given_so_the_last_revision_given_wins(
    store, tmp_path, workers
):
    # "b-fixed" sorts before "z-original": given last, the original must win all the same
    (tmp_path / "b-fixed").mkdir()
    (tmp_path / "z-original").mkdir()
    fixed, original = tmp_path / "b-fixed/2024-03.csv", tmp_path / "z-original/2024-03.csv"
    fixed.write_text(upload_text("M1", 3, 200))
    original.write_text(upload_text("M1", 3, 100))
    summary = load_files(store, [tmp_path / "z-original", fixed], workers=workers)
    assert [r.file_name.split("/")[-2] for r in summary.results] == ["z-original", "b-fixed"]
    assert store.events()["mass_kg"].tolist() == [200.0]


@pytest.mark.parametrize("workers", [1, 2])
def test_workers_give_the_same_result_and_keep_problems_intact(tmp_path, workers):
    folder = tmp_path / "up"
    folder.mkdir()
    for month in range(1, 11):
        (folder / f"m-{month:02d}.csv").write_text(upload_text("M1", month, 10 * month))
    (folder / "m-11.csv").write_text(
        HEADER + "11,extract,2024-11-02,M1,L11,MIXED_CONC,NaN,50,LIC\n"
    )
    store = LocalStore.open(tmp_path / f"w{workers}.db")
    seen = []
    summary = load_files(store, [folder], workers=workers, on_file=seen.append)
    assert summary.line() == "11 files: 10 loaded, 0 superseded, 0 unchanged, 1 rejected; 10 events"
    assert [str(p) for p in summary.problems] == [
        f"{folder}/m-11.csv:2:mass_kg: mass_kg 'NaN' is not a finite number"
    ]
    assert [p.name for p in seen] == [f"m-{m:02d}.csv" for m in range(1, 12)]
    assert sorted(store.events()["mass_kg"]) == [10.0 * m for m in range(1, 11)]
    store.close()


def test_bad_worker_setting_is_a_usage_error(store, tmp_path, monkeypatch):
    from flowgraph.errors import UsageError

    monkeypatch.setenv("FLOWGRAPH_WORKERS", "lots")
    with pytest.raises(UsageError, match="FLOWGRAPH_WORKERS"):
        load_files(store, [tmp_path])
