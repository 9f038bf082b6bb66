"""``flowgraph check``: an enterprise checks its own monthly files before sending them (SPEC §4).

The files are validated exactly as ``load`` validates them (the same parser, and the
cross-file ``event_id`` / batch checks run against an in-memory store of just these files), and
nothing is stored anywhere: the store is an SQLite database in memory, gone when the check ends.
Then the files are read on their own, for what an enterprise can see and fix without anyone
else's uploads: batches outside the recovery band, lots it sends more of than it has, stock rows
that differ from its own book stock, outflows dated before the lot arrived, lots it created
twice; with its registry folder, extraction or smelting outside its designations and its quota
use so far. Findings that need other enterprises' uploads (unconfirmed shipments, undesignated
supply, untraceable inputs, …) are not reported: they would only mislead one enterprise.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from flowgraph.config import Tolerances
from flowgraph.ingest import LoadSummary, load_files
from flowgraph.model import Registry

# What an enterprise's own files show on their own (SPEC §5 types), in the order reported.
OWN_TYPES = (
    "TRANSFORM_GAIN",
    "TRANSFORM_LOSS",
    "LOT_OVERDRAWN",
    "STOCK_MISMATCH",
    "TIME_INVERSION",
    "DUPLICATE_LOT",
)
# ... and with the registry: its own designations (quota use is shown as a table).
REGISTRY_TYPES = ("UNDESIGNATED_EXTRACTION", "UNDESIGNATED_SMELTING", "QUOTA_EXCEEDED")


@dataclass
class CheckReport:
    """What ``check_files`` found: the load-style summary (problems = rejected files), the
    own-file findings (SPEC §5 columns, plus ``file`` and ``typical_grade``: a batch measured
    with its inputs' typical REO grade, see ``_batches_of_unknown_grade``), and the quota
    burn-down of the enterprises checked (empty without a registry)."""

    summary: LoadSummary
    findings: pd.DataFrame = field(default_factory=pd.DataFrame)
    quota: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def ok(self) -> bool:
        return not self.summary.rejected

    @property
    def files(self) -> int:
        return len(self.summary.results) + len(self.summary.rejected)

    @property
    def events(self) -> int:
        return sum(r.events for r in self.summary.results)


def check_files(
    paths: Iterable[str | Path],
    registry: Registry | None = None,
    tolerances: Tolerances | None = None,
    *,
    workers: int | None = None,
) -> CheckReport:
    """Validate upload files as ``load`` does, storing nothing, then report what they show on
    their own (module docstring). ``registry``: the enterprise's registry files, read with
    ``loaders.read_registry``, for designations and quota use.

    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> path = os.path.join(d, "2024-03.csv")
    >>> _ = open(path, "w").write(
    ...     "event_id,event_type,date,enterprise_id,lot_id,product,mass_kg,reo_pct,batch_id\\n"
    ...     "1,consume,2024-03-02,S1,L1,BAST_CONC,1000,60,B1\\n"
    ...     "2,produce,2024-03-03,S1,L2,ND_OXIDE,300,99,B1\\n")
    >>> report = check_files([path])
    >>> report.ok, report.files, report.events, report.findings["type"].tolist()
    (True, 1, 2, ['TRANSFORM_LOSS', 'LOT_OVERDRAWN'])
    """
    from flowgraph.analysis import run_detectors
    from flowgraph.analysis.burndown import quota_burndown
    from flowgraph.analysis.prepared import prepared
    from flowgraph.store.local import LocalStore

    store = LocalStore.open(":memory:")  # SQLite in memory: nothing touches the disk
    try:
        if registry is not None:
            store.save_registry(registry, source="check")
        summary = load_files(store, paths, workers=workers)
        events = store.events()
        uploads = store.uploads()
    finally:
        store.close()
    report = CheckReport(summary)
    if events.empty:
        report.findings = _with_file(run_detectors(events, Registry.empty()), uploads)
        return report
    reg = registry if registry is not None else Registry.empty()
    view = prepared(events, reg)
    types = OWN_TYPES + (REGISTRY_TYPES if registry is not None else ())
    found = run_detectors(view, reg, tolerances, types=types)
    band = found["type"].isin(["TRANSFORM_GAIN", "TRANSFORM_LOSS"]).to_numpy()
    keys = pd.MultiIndex.from_arrays([found["enterprise_id"], found["batch_id"]])
    found = found.assign(typical_grade=band & keys.isin(_batches_of_unknown_grade(events)))
    report.findings = _with_file(found, uploads)
    if registry is not None:
        table = quota_burndown(view)
        report.quota = table[table["enterprise_id"].isin(events["enterprise_id"].unique())]
    return report


def _batches_of_unknown_grade(events: pd.DataFrame) -> pd.MultiIndex:
    """Batches (enterprise_id, batch_id) consuming a lot whose REO grade these files do not
    give: not created in them and no ``reo_pct`` on the consume row. The recovery band of such
    a batch rests on the product's typical grade, not the lot's (its creator's upload has it):
    its finding says so (``typical_grade``)."""
    created = events.loc[events["event_type"].isin(["extract", "import", "produce"]), "lot_id"]
    consume = events[events["event_type"] == "consume"]
    unknown = consume[~consume["lot_id"].isin(created) & consume["reo_pct"].isna()]
    pairs = unknown[["enterprise_id", "batch_id"]].drop_duplicates()
    return pd.MultiIndex.from_frame(pairs)


def _with_file(findings: pd.DataFrame, uploads: pd.DataFrame) -> pd.DataFrame:
    """Add the file each finding's month and enterprise come from (None when it spans files)."""
    where = {
        (e, p): f
        for e, p, f in zip(
            uploads["enterprise_id"], uploads["period"], uploads["file_name"], strict=True
        )
    }
    files = [
        where.get((e, p))
        for e, p in zip(findings["enterprise_id"], findings["period"], strict=True)
    ]
    return findings.assign(file=pd.Series(files, index=findings.index, dtype=object))
