"""``flowgraph trace`` on the embedded store reads only the uploads a trace reaches
(analysis/tracescope.py); every trace must equal the one computed on every current event, on
a three-year world (lineage crosses years) with a superseded upload in the store."""

from __future__ import annotations

import random

import pytest

from flowgraph.analysis.prepared import PreparedEvents
from flowgraph.analysis.provenance import trace_downstream, trace_upstream
from flowgraph.analysis.tracescope import trace_events, trace_scope
from flowgraph.analysis.tracetargets import trace_target
from flowgraph.errors import UsageError
from flowgraph.model import Upload
from flowgraph.store.local import LocalStore


@pytest.fixture(scope="module")
def store(three_years, three_years_uploads, tmp_path_factory):
    db = LocalStore.open(tmp_path_factory.mktemp("scope") / "s.db")
    from flowgraph.ingest import load_registry

    load_registry(db, three_years.outdir / "registry")
    for upload in three_years_uploads:
        db.save_upload(upload)
    # a revision of one month that drops its last row: the superseded upload must not count
    first = three_years_uploads[40]
    events = first.events.iloc[:-1].copy()
    db.save_upload(Upload(first.file_name, "0" * 64, first.enterprise_id, first.period, events))
    yield db
    db.close()


def _ids(events, count: int) -> list[str]:
    """Lots (of each event type's rows, so every kind of lot occurs), shipments and batches."""
    rng = random.Random(4)
    picked = []
    for _, rows in events.groupby("event_type", observed=True):
        lots = sorted(set(rows["lot_id"].astype(object)))
        picked += rng.sample(lots, min(count, len(lots)))
    for column in ("shipment_id", "batch_id"):
        values = sorted(set(events[column].dropna().astype(object)))
        picked += rng.sample(values, min(count, len(values)))
    return picked


def test_every_trace_on_the_scope_equals_the_trace_on_every_event(store):
    everything = store.events(encoded=True)
    registry = store.registry()
    full = PreparedEvents(everything, registry)
    years = set()
    for ident in _ids(everything, 1):
        for downstream in (False, True):
            scope = trace_events(store, ident, downstream=downstream)
            assert len(scope) < len(everything)  # it did read less
            years |= set(scope["period"].astype(str).str[:4])
            target = trace_target(everything, ident)
            assert trace_target(scope, ident) == target
            view = PreparedEvents(scope, registry)
            for lot in target.lots:
                if downstream:
                    assert trace_downstream(view, lot) == trace_downstream(full, lot), ident
                else:
                    got = trace_upstream(view, registry, lot)
                    assert got == trace_upstream(full, registry, lot), ident
    assert len(years) == 3


def test_superseded_rows_are_not_read(store):
    current = set(store.uploads()["upload_id"])
    keys = store.upload_keys()
    assert set(keys.uploads.tolist()) <= current
    history = store.uploads(include_history=True)
    superseded = set(history.loc[history["superseded_by"].notna(), "upload_id"])
    assert superseded and not superseded & set(keys.uploads.tolist())


def test_an_unknown_id_is_one_clear_error(store):
    with pytest.raises(UsageError, match="no lot, shipment or batch NOPE"):
        trace_events(store, "NOPE", downstream=False)


def test_the_scope_grows_until_no_upload_is_added():
    # A <- batch B1 (upload 2) <- lot P, whose creation is in upload 1: reaching upload 1 needs
    # a second round (P is only known once upload 2 is read)
    from flowgraph.model import events_frame

    uploads = {
        1: events_frame([{"event_type": "extract", "date": "2024-01-02", "enterprise_id": "M1",
                          "lot_id": "P", "mass_kg": 10, "reo_pct": 50}]),
        2: events_frame([
            {"event_type": "consume", "date": "2024-02-02", "enterprise_id": "S1", "lot_id": "P",
             "mass_kg": 10, "batch_id": "B1"},
            {"event_type": "produce", "date": "2024-02-03", "enterprise_id": "S1", "lot_id": "A",
             "mass_kg": 5, "reo_pct": 100, "batch_id": "B1"}]),
        3: events_frame([{"event_type": "ship", "date": "2024-03-02", "enterprise_id": "S1",
                          "lot_id": "A", "mass_kg": 5, "counterparty_id": "T1",
                          "shipment_id": "SH"}]),
    }  # fmt: skip
    import pandas as pd

    def holding(ids):
        ids = set(ids)
        return {
            u
            for u, e in uploads.items()
            if ids & set(e["lot_id"]) | ids & set(e["shipment_id"].dropna())
        }

    def read(chosen):
        return pd.concat(
            [uploads[u].assign(upload_id=u) for u in sorted(chosen)], ignore_index=True
        )

    upstream = trace_scope("SH", holding, read, downstream=False)
    assert sorted(set(upstream["upload_id"])) == [1, 2, 3]
    downstream = trace_scope("P", holding, read, downstream=True)
    assert sorted(set(downstream["upload_id"])) == [1, 2, 3]
