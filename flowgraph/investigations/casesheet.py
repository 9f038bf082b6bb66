"""One finding as an investigator's case sheet (``flowgraph show``): what it is, the upload rows
behind it (FILE:ROW with the file's SHA-256), the provenance of the lots it concerns, its status
in each run and every review.

>>> import os, tempfile
>>> from flowgraph.store.local import LocalStore
>>> from flowgraph.analysis.findings import make_findings
>>> from flowgraph.investigations.runs import record_run
>>> store = LocalStore.open(os.path.join(tempfile.mkdtemp(), "fg.db"))
>>> found = make_findings("TRANSFORM_GAIN", pd.DataFrame({"enterprise_id": ["E017"],
...     "batch_id": ["B-17-0311"], "period": ["2025-03"], "reo_kg": [412.5]}))
>>> _ = record_run(store, found)
>>> sheet = case_sheet(store, "5ebcd0")
>>> sheet.finding["finding_id"], sheet.status, sheet.evidence.empty
('5ebcd00b8f24', 'new', True)
>>> store.close()
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd

from flowgraph.investigations.reviews import finding_history
from flowgraph.investigations.runs import enterprise_names

# The evidence rows of a case sheet: the event, where it was uploaded, and the file's hash.
EVIDENCE_COLUMNS = (
    "file_name",
    "source_row",
    "sha256",
    "period",
    "revision",
    "upload_id",
    "event_id",
    "event_type",
    "date",
    "enterprise_id",
    "lot_id",
    "product",
    "mass_kg",
    "reo_kg",
    "counterparty_id",
    "shipment_id",
    "batch_id",
    "country",
    "document_ref",
    "note",
)


@dataclass(frozen=True)
class CaseSheet:
    """``finding``: its latest record (a dict, with ``enterprise_name``); ``status`` and
    ``run``: its status in the latest run that reported it or resolved it; ``evidence``: the
    current upload rows behind it (EVIDENCE_COLUMNS); ``lots``: the lots traced; ``traces``:
    ``trace_upstream`` of each (a lot no current row names is left out); ``history`` and
    ``reviews``: as ``finding_history`` gives them."""

    finding: dict
    status: str
    run: int
    evidence: pd.DataFrame
    lots: tuple[str, ...]
    traces: list[dict]
    history: pd.DataFrame
    reviews: pd.DataFrame

    def to_dict(self) -> dict:
        """The case sheet as one JSON-ready document (``flowgraph show --format json``)."""

        def rows(frame: pd.DataFrame) -> list[dict]:
            return json.loads(frame.to_json(orient="records", date_format="iso", force_ascii=False))

        return {
            "finding": self.finding,
            "status": self.status,
            "run": self.run,
            "evidence": rows(self.evidence),
            "lots": list(self.lots),
            "provenance": self.traces,
            "history": rows(self.history),
            "reviews": rows(self.reviews),
        }


def case_lots(finding: dict, events: pd.DataFrame) -> tuple[str, ...]:
    """The lots a finding concerns: the lot it names, else the lots its shipment carries or
    its batch produced (consumed, when it produced nothing) at its enterprise. None for a
    QUOTA_EXCEEDED (a year's output of every lot)."""
    from flowgraph.analysis.tracetargets import trace_target
    from flowgraph.errors import UsageError

    if finding.get("lot_id"):
        return (finding["lot_id"],)
    for key in ("shipment_id", "batch_id"):
        ident = finding.get(key)
        if ident:
            try:
                return trace_target(events, ident, enterprise=finding.get("enterprise_id")).lots
            except UsageError:  # no longer in the current uploads (e.g. resolved by a revision)
                return ()
    return ()


def case_sheet(
    store, finding_id: str, *, registry=None, max_evidence: int = 500, view=None
) -> CaseSheet:
    """The case sheet of one recorded finding (``finding_id`` may be a unique prefix).

    Evidence and provenance are read from the store's *current* uploads, as
    ``reports.evidence`` joins them for the findings page (at most ``max_evidence`` rows,
    earliest first); for a resolved finding they show what the uploads say now. ``view``: a
    PreparedEvents of the store's current events (with ``registry``) that the caller already
    holds (the workbench), so they are not read and prepared again.
    """
    from flowgraph.analysis.findings import normalise
    from flowgraph.analysis.prepared import PreparedEvents
    from flowgraph.analysis.provenance import trace_upstream
    from flowgraph.reports.evidence import evidence

    history = finding_history(store, finding_id)
    registry = store.registry() if registry is None else registry
    finding = {k: _plain(v) for k, v in history.latest.items() if k != "run"}
    finding["enterprise_name"] = enterprise_names(registry).get(finding.get("enterprise_id"))
    last = history.runs.iloc[-1]
    events = store.events(encoded=True) if view is None else view.events
    frame = normalise(pd.DataFrame([history.latest]))
    if view is None:
        view = PreparedEvents(events, registry)  # one view for the evidence and every lot
    rows = evidence(frame, view, max_rows=max_evidence) if len(events) else pd.DataFrame()
    uploads = store.uploads(include_history=True)[["upload_id", "file_name", "sha256", "revision"]]
    if rows.empty:
        sheet_rows = pd.DataFrame({c: pd.Series(dtype="object") for c in EVIDENCE_COLUMNS})
    else:
        sheet_rows = rows.merge(uploads, on="upload_id", how="left")[list(EVIDENCE_COLUMNS)]
    lots = case_lots(finding, events) if len(events) else ()
    # only the case's lots looked up (a set of every lot id cost ~0.7 s at scale 100)
    known = set(events.loc[events["lot_id"].isin(lots), "lot_id"]) if lots else set()
    traces = [trace_upstream(view, registry, lot) for lot in lots if lot in known]
    return CaseSheet(
        finding=finding,
        status=str(last["status"]),
        run=int(last["run"]),
        evidence=sheet_rows.reset_index(drop=True),
        lots=tuple(lots),
        traces=traces,
        history=history.runs,
        reviews=history.reviews,
    )


def _plain(value: object) -> object:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value
