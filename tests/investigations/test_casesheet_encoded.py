"""The case sheet reads the store's events dictionary-encoded (as ``flowgraph show`` and the
workbench do: a fraction of the memory of Python strings); every finding type's sheet must read
the same as from the events as Python strings. STOCK_MISMATCH's evidence compares periods, which
an unordered categorical refused."""

from __future__ import annotations

import pandas as pd

from flowgraph.analysis.prepared import PreparedEvents
from flowgraph.config import Tolerances
from flowgraph.ingest import load_files, load_registry
from flowgraph.investigations import case_sheet, detect_run, list_findings
from flowgraph.store.local import LocalStore


def test_every_findings_case_sheet_reads_the_same_encoded_and_as_strings(planted, tmp_path):
    store = LocalStore.open(tmp_path / "s.db")
    load_registry(store, planted.outdir / "registry")
    load_files(store, [planted.outdir / "uploads"])
    detect_run(store, tolerances=Tolerances())
    findings = list_findings(store)
    assert {"STOCK_MISMATCH", "LOT_OVERDRAWN", "TIME_INVERSION"} <= set(findings["type"])
    registry = store.registry()
    as_strings = PreparedEvents(store.events(), registry)
    for _, first in findings.groupby("type").head(1).iterrows():
        encoded = case_sheet(store, first["finding_id"])  # reads events(encoded=True)
        plain = case_sheet(store, first["finding_id"], registry=registry, view=as_strings)
        pd.testing.assert_frame_equal(_plain(encoded.evidence), _plain(plain.evidence))
        if first["type"] == "STOCK_MISMATCH":  # the rows it compares by period are there
            assert len(plain.evidence)
        assert (encoded.lots, encoded.traces) == (plain.lots, plain.traces), first["type"]
    store.close()


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Values as objects, every missing one None (a categorical's missing value is NaN)."""
    values = frame.astype(object)
    return values.where(frame.notna(), None)
