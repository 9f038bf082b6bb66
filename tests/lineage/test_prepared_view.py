"""A caller that runs several analyses on one event table builds one prepared view
(analysis/prepared.py) and hands it to each: same answers as on the bare table, and the batch
graph and the shares are computed once for all of them."""

from __future__ import annotations

import pandas as pd
import pytest
from lineage_chains import consume, extract, frame, produce

import flowgraph.analysis.batchgraph as batchgraph
import flowgraph.analysis.haircut as haircut
from flowgraph.analysis.burndown import quota_burndown, smelting_batch_ids
from flowgraph.analysis.detectors import run_detectors
from flowgraph.analysis.lineage import batch_table, lineage_cycles, lot_shares, lot_table
from flowgraph.analysis.prepared import PreparedEvents, prepared
from flowgraph.analysis.provenance import trace_downstream, trace_upstream
from flowgraph.errors import UsageError
from flowgraph.model import registry_from_records


def looped():
    """A smelting batch with a loop (C -> B2 -> C) beside it, and a lot that leaves the loop."""
    return frame(
        extract("2024-02-01", "M1", "A", 1000, pct=50),
        consume("2024-02-10", "S1", "A", 1000, "B1"),
        consume("2024-02-10", "S1", "C", 100, "B1"),
        produce("2024-02-11", "S1", "D", 200, "B1", pct=100),
        produce("2024-02-11", "S1", "F", 300, "B1", pct=100),
        consume("2024-02-12", "S1", "D", 200, "B2"),
        produce("2024-02-13", "S1", "C", 100, "B2", pct=99),
    )


def _analyses(ev, registry) -> dict:
    return {
        "shares": lot_shares(ev, registry),
        "lots": lot_table(ev, registry),
        "batches": batch_table(ev, registry),
        "cycles": lineage_cycles(ev),
        "smelting": smelting_batch_ids(ev),
        "burndown": quota_burndown(ev, registry, 2024),
        "up": trace_upstream(ev, registry, "F"),
        "down": trace_downstream(ev, "A"),
        "findings": run_detectors(ev, registry),
    }


def test_every_analysis_reads_one_view_and_derives_once(registry, count_calls):
    ev = looped()
    built = _analyses(ev, registry)
    structures = count_calls(batchgraph, "_structure")
    propagations = count_calls(haircut, "propagate")
    view = PreparedEvents(ev, registry)
    given = _analyses(view, registry)
    assert structures == [len(ev)] and len(propagations) == 1  # nine analyses, one of each
    assert given["cycles"] == built["cycles"] == [["C", "D"]]
    assert given["up"] == built["up"] and given["down"] == built["down"]
    assert list(given["smelting"]) == list(built["smelting"]) == [("S1", "B1")]
    pd.testing.assert_series_equal(given["shares"], built["shares"])
    for name in ("lots", "batches", "burndown", "findings"):
        pd.testing.assert_frame_equal(given[name], built[name])


def test_without_a_view_each_analysis_builds_its_own(registry, count_calls):
    ev = looped()
    calls = count_calls(batchgraph, "_structure")
    lot_shares(ev, registry)
    lineage_cycles(ev)
    assert calls == [len(ev), len(ev)]  # nothing cached behind the caller's back


def test_a_view_given_with_another_registry_is_refused(registry):
    view = PreparedEvents(looped(), registry)
    assert prepared(view) is view and prepared(view, registry) is view
    with pytest.raises(UsageError, match="another registry"):
        lot_shares(view, registry_from_records())
