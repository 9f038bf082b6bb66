"""``flowgraph trace`` on a REAL Neo4j reads only the uploads the trace reaches (the Lot,
Shipment and Batch nodes say which: Neo4jStore.uploads_holding, events_of_uploads): every trace
equals the one on every event, and the uploads found are the embedded store's."""

from __future__ import annotations

import random

import pytest

from flowgraph.analysis.prepared import PreparedEvents
from flowgraph.analysis.provenance import trace_downstream, trace_upstream
from flowgraph.analysis.tracescope import trace_events
from flowgraph.analysis.tracetargets import trace_target
from flowgraph.store.local import LocalStore
from loaders import find_upload_files, read_registry, read_upload

pytestmark = pytest.mark.neo4j


def test_scoped_traces_on_neo4j_equal_the_traces_on_every_event(neo4j_store, tmp_path, synth_year):
    store = neo4j_store
    registry = read_registry(synth_year.outdir / "registry")
    files = [p for p in find_upload_files([synth_year.outdir / "uploads"]) if p.stem <= "2024-03"]
    local = LocalStore.open(tmp_path / "fg.db")
    for target in (store, local):
        target.save_registry(registry, "registry")
        for path in files:
            target.save_upload(read_upload(path))
    everything = store.events(encoded=True)
    reg = store.registry()
    full = PreparedEvents(everything, reg)
    identity = {"neo4j": _identities(store), "local": _identities(local)}
    rng = random.Random(3)
    picked = rng.sample(sorted(set(everything["lot_id"].astype(object))), 8)
    picked += rng.sample(sorted(set(everything["shipment_id"].dropna().astype(object))), 2)
    picked += rng.sample(sorted(set(everything["batch_id"].dropna().astype(object))), 2)
    for ident in picked:
        found = store.uploads_holding([ident])
        assert found and {identity["neo4j"][u] for u in found} == {
            identity["local"][u] for u in local.uploads_holding([ident])
        }, ident
        for downstream in (False, True):
            scope = trace_events(store, ident, downstream=downstream)
            assert 0 < len(scope) < len(everything)
            view = PreparedEvents(scope, reg)
            for lot in trace_target(everything, ident).lots:
                if downstream:
                    assert trace_downstream(view, lot) == trace_downstream(full, lot), ident
                else:
                    assert trace_upstream(view, reg, lot) == trace_upstream(full, reg, lot), ident
    # the events of an upload read from its enterprise are the rows of that upload
    some = sorted(identity["neo4j"])[:3]
    got = store.events_of_uploads(some)
    want = everything[everything["upload_id"].isin(some)]
    assert len(got) == len(want) and set(got["upload_id"]) == set(some)
    assert got["event_id"].astype(object).tolist() == want["event_id"].astype(object).tolist()
    local.close()


def _identities(store) -> dict[int, tuple[str, str]]:
    """upload_id -> (enterprise_id, period) of the current uploads (ids differ by store)."""
    uploads = store.uploads()
    return {
        int(u): (e, p)
        for u, e, p in zip(
            uploads["upload_id"], uploads["enterprise_id"], uploads["period"], strict=True
        )
    }
