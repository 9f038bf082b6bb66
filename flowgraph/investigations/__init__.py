"""Investigations: findings that keep their identity across runs, statuses, reviews (SPEC §6).

The public API, used by the CLI and the web workbench alike (every function takes a store
first; statuses are computed here from the store's runs and review log, never stored):

- ``finding_id(type, values)`` / ``with_finding_ids(findings)``: SPEC §6 ids.
- ``detect_run(store, tolerances=..., registry=...) -> RunResult``: detect and record a run
  (``flowgraph detect``); ``record_run(store, findings, ...)`` records findings already made.
- ``compare_with_latest(store, findings)``: statuses of findings that are not recorded.
- ``list_findings(store, run=None, statuses=None, enterprise=None, types=None, families=None)``:
  a recorded run's findings with status (LISTING_COLUMNS), resolved ones included.
- ``review(store, ids, decision, note=None, by=None)``: append reviews, all or none.
- ``finding_history(store, id) -> FindingHistory``; ``case_sheet(store, id) -> CaseSheet``.
- ``resolve_finding_id(store, text)``: an id from a unique prefix of at least 6 characters.
"""

from __future__ import annotations

from flowgraph.investigations.casesheet import CaseSheet, case_sheet
from flowgraph.investigations.identity import finding_id, finding_ids, with_finding_ids
from flowgraph.investigations.records import RunConflict, RunRecord
from flowgraph.investigations.reviews import (
    FindingHistory,
    finding_history,
    resolve_finding_id,
    review,
)
from flowgraph.investigations.runs import (
    LISTING_COLUMNS,
    RunResult,
    compare_with_latest,
    detect_run,
    list_findings,
    record_run,
    run_statuses,
)
from flowgraph.investigations.status import (
    DECISIONS,
    REVIEW_COLUMNS,
    STATUSES,
    StatusResult,
    compute_statuses,
)

__all__ = [
    "CaseSheet",
    "case_sheet",
    "DECISIONS",
    "LISTING_COLUMNS",
    "REVIEW_COLUMNS",
    "STATUSES",
    "FindingHistory",
    "RunConflict",
    "RunRecord",
    "RunResult",
    "StatusResult",
    "compare_with_latest",
    "compute_statuses",
    "detect_run",
    "finding_history",
    "finding_id",
    "finding_ids",
    "list_findings",
    "record_run",
    "resolve_finding_id",
    "review",
    "run_statuses",
    "with_finding_ids",
]
