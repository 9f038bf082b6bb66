"""Two loads at once (two processes, here two store objects with their own drivers) writing the
same enterprise: each file's transaction must see the other's committed revision, as two
`flowgraph load` commands on the embedded store do (SQLite serialises its writers)."""

from __future__ import annotations

import threading

import pytest
from neo4j_scenario import URI, ev, make_upload

from flowgraph.store.neo4j import Neo4jStore

pytestmark = pytest.mark.neo4j


def _month(mass: float, salt: str):
    rows = [ev("1", "stock", "2024-03-31", "S1", "A1", mass)]
    return make_upload(rows, file_name=f"s1-{salt}.csv", salt=salt)


def _save_together(stores, uploads) -> list[Exception]:
    """Each store saves its upload, both starting at the same moment; the errors raised."""
    start, errors = threading.Barrier(len(stores)), []

    def save(store, upload):
        start.wait()
        try:
            store.save_upload(upload)
        except Exception as e:  # reported by the caller
            errors.append(e)

    threads = [
        threading.Thread(target=save, args=pair) for pair in zip(stores, uploads, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_concurrent_revisions_of_one_month_leave_one_current_upload(store):
    other = Neo4jStore.connect(URI)
    try:
        for round_ in range(4):
            uploads = [_month(10 + round_, f"a{round_}"), _month(20 + round_, f"b{round_}")]
            errors = _save_together([store, other], uploads)
            assert errors == [], [str(e) for e in errors]
            history = store.uploads(include_history=True)
            assert history["current"].sum() == 1, history
            assert sorted(history["revision"]) == list(range(1, 2 * round_ + 3))
            assert len(store.events()) == 1
    finally:
        other.close()
