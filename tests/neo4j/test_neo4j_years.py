"""Detection by year on a REAL Neo4j (analysis/years.py): each year read from the server with
its carry-over (kept on the server as (:CarryOver) nodes) gives exactly the whole history's
findings, as on the embedded store (tests/analysis/test_years.py)."""

from __future__ import annotations

import pytest
from yearworld import MOVED_YEARS as YEARS
from yearworld import moved_world

from flowgraph.analysis import detect
from flowgraph.analysis.detectors import run_detectors
from flowgraph.analysis.findings import filter_findings
from flowgraph.analysis.years import fingerprint
from flowgraph.model import FINDING_COLUMNS
from flowgraph.store.local import LocalStore

pytestmark = pytest.mark.neo4j


def rows(findings):
    frame = findings[list(FINDING_COLUMNS)].astype(object)
    return [tuple(r) for r in frame.where(frame.notna(), None).itertuples(index=False)]


def test_years_as_partitions_equal_the_whole_history_on_neo4j(store, tmp_path, synth_year):
    uploads, registry = moved_world(synth_year.outdir)
    store.save_registry(registry, "registry")
    local = LocalStore.open(tmp_path / "fg.db")
    local.save_registry(registry, "registry")
    for upload in uploads:
        store.save_upload(upload)
        local.save_upload(upload)
    whole = run_detectors(store.events(), store.registry())
    assert {int(p[:4]) for p in store.uploads()["period"]} == set(YEARS)
    assert rows(detect(store)) == rows(whole)
    # the carry-overs are kept on the server, and read back (each year below reads its
    # kept one) give the same findings
    print_ = fingerprint(store.uploads(), store.registry_version())
    kept = store.carryover(2025, print_)
    assert kept is not None and len(kept) > 0
    for year in YEARS:
        assert rows(detect(store, year=year)) == rows(filter_findings(whole, year=year))
    # the embedded store's partitioned findings are the same as Neo4j's
    assert rows(detect(local)) == rows(whole)
    local.close()
