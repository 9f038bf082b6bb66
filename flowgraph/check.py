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
    own-file findings (SPEC §5 columns, plus ``file``, ``typical_grade``: a batch measured
    with an input at its product's typical REO grade, and ``assumed_inputs``: which, see
    ``_assumed_inputs``; grades the enterprise's own rows state are used, see ``own_grades``),
    and the quota
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
    events = own_grades(events)
    view = prepared(events, reg)
    types = OWN_TYPES + (REGISTRY_TYPES if registry is not None else ())
    found = run_detectors(view, reg, tolerances, types=types)
    band = found["type"].isin(["TRANSFORM_GAIN", "TRANSFORM_LOSS"]).to_numpy()
    assumed = _assumed_inputs(events)
    keys = list(zip(found["enterprise_id"], found["batch_id"], strict=True))
    found = found.assign(
        typical_grade=band & pd.Series([k in assumed for k in keys], index=found.index, dtype=bool),
        assumed_inputs=[assumed.get(k) if b else None for k, b in zip(keys, band, strict=True)],
    )
    report.findings = _with_file(found, uploads)
    if registry is not None:
        table = quota_burndown(view)
        report.quota = table[table["enterprise_id"].isin(events["enterprise_id"].unique())]
    return report


def own_grades(events: pd.DataFrame) -> pd.DataFrame:
    """The events with the REO grade of lots these files did not create filled in from the
    enterprise's own rows of the lot that state it (its receive rows first, then any other),
    on the rows that do not state one.

    ``detect`` values every row of a lot at the grade of the event that created it (SPEC §1),
    which is in the supplier's upload; an enterprise checking its files alone has only what it
    wrote itself. Without this a consume row of a received lot fell back to the product's
    typical grade, so ordinary batches showed gains of 106-108 % that detect would not find.

    >>> from flowgraph.model import events_frame
    >>> ev = events_frame([
    ...     {"event_type": "receive", "date": "2024-03-01", "enterprise_id": "S", "lot_id": "L",
    ...      "product": "BAST_CONC", "mass_kg": 100, "reo_pct": 62, "counterparty_id": "M",
    ...      "shipment_id": "S1"},
    ...     {"event_type": "consume", "date": "2024-03-02", "enterprise_id": "S", "lot_id": "L",
    ...      "product": "BAST_CONC", "mass_kg": 100, "batch_id": "B"}])
    >>> own_grades(ev)["reo_pct"].tolist()
    [62.0, 62.0]
    """
    created = events.loc[events["event_type"].isin(["extract", "import", "produce"]), "lot_id"]
    foreign = ~events["lot_id"].isin(created)
    stated = foreign & events["reo_pct"].notna()
    if not stated.any():
        return events
    rows = events[stated].assign(_first=(events.loc[stated, "event_type"] != "receive"))
    rows = rows.sort_values(["_first", "date"], kind="stable")
    grade = rows.drop_duplicates(["enterprise_id", "lot_id"]).set_index(
        ["enterprise_id", "lot_id"]
    )["reo_pct"]
    missing = foreign & events["reo_pct"].isna()
    keys = pd.MultiIndex.from_frame(events.loc[missing, ["enterprise_id", "lot_id"]])
    fill = grade.reindex(keys).to_numpy()
    out = events.copy()
    out.loc[missing, "reo_pct"] = fill
    return out


def _assumed_inputs(events: pd.DataFrame) -> dict[tuple[str, str], str]:
    """Per batch (enterprise_id, batch_id) consuming lots whose REO grade these files do not
    give (not created in them, no ``reo_pct`` on any of the enterprise's rows of the lot): the
    lots and the typical grade their product was valued at, e.g. "L7 (BAST_CONC, typical 50%)".
    The recovery band of such a batch rests on an assumed value: its finding says which."""
    from flowgraph.model import PRODUCTS

    created = events.loc[events["event_type"].isin(["extract", "import", "produce"]), "lot_id"]
    consume = events[events["event_type"] == "consume"]
    unknown = consume[~consume["lot_id"].isin(created) & consume["reo_pct"].isna()]
    out: dict[tuple[str, str], str] = {}
    for (ent, batch), rows in unknown.groupby(["enterprise_id", "batch_id"], sort=False):
        lots = rows.drop_duplicates("lot_id")
        parts = []
        for lot, product in zip(lots["lot_id"], lots["product"], strict=True):
            typical = PRODUCTS[product].typical_reo_pct if product in PRODUCTS else None
            grade = f"typical {typical:g}%" if typical is not None else "no typical grade"
            parts.append(f"{lot} ({product}, {grade})")
        out[(ent, batch)] = ", ".join(parts)
    return out


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
