"""Detection runs over time (SPEC §6): record a run, statuses of a recorded run, the findings
listing of ``flowgraph findings``. The statuses come from ``status.compute_statuses``; the
store only keeps runs and reviews.

>>> import os, tempfile
>>> from flowgraph.store.local import LocalStore
>>> from flowgraph.analysis.findings import make_findings
>>> store = LocalStore.open(os.path.join(tempfile.mkdtemp(), "fg.db"))
>>> found = make_findings("TRANSFORM_GAIN", pd.DataFrame({"enterprise_id": ["E017"],
...     "batch_id": ["B-17-0311"], "period": ["2025-03"], "reo_kg": [412.5]}))
>>> first = record_run(store, found)
>>> first.run, first.recorded, first.findings[["finding_id", "status"]].values.tolist()
(1, True, [['5ebcd00b8f24', 'new']])
>>> again = record_run(store, found)     # nothing changed: not recorded again
>>> again.run, again.recorded
(1, False)
>>> store.close()
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import pandas as pd

from flowgraph.config import Tolerances
from flowgraph.errors import UsageError
from flowgraph.investigations.identity import with_finding_ids
from flowgraph.investigations.records import RunConflict, RunRecord
from flowgraph.investigations.resolved import with_resolving_uploads
from flowgraph.investigations.status import (
    STATUSES,
    StatusResult,
    compute_statuses,
    latest_reviews,
)
from flowgraph.model import FAMILIES, FINDING_COLUMNS, FINDING_TYPES

# flowgraph findings: the SPEC §5 keys, then SPEC §6's, then what an investigator reads beside.
LISTING_COLUMNS = (
    *FINDING_COLUMNS,
    "finding_id",
    "status",
    "first_run",
    "run",
    "previous_reo_kg",
    "reviewed_by",
    "reviewed_at",
    "review_note",
    "resolved_by",
    "enterprise_name",
)


@dataclass(frozen=True)
class RunResult:
    """What ``record_run`` did. ``findings``: the run's findings with ``finding_id`` and
    ``status`` (what ``detect`` prints); ``resolved``: the previous run's findings absent from
    it; ``reopened``: the reviews flowgraph appended for dismissed findings that grew."""

    run: int
    recorded: bool
    findings: pd.DataFrame
    resolved: pd.DataFrame
    reopened: pd.DataFrame


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _latest_run(runs: pd.DataFrame) -> int | None:
    return None if runs.empty else int(runs["run"].iloc[-1])


def record_run(
    store,
    findings: pd.DataFrame,
    *,
    tolerances: Tolerances | None = None,
    registry_version: int | None = None,
    upload_ids: list[int] | None = None,
) -> RunResult:
    """Record an unfiltered detection run's ``findings`` (SPEC §6) and return their statuses.

    ``upload_ids`` / ``registry_version``: the current uploads and registry version the findings
    were computed on (read from the store when None). A run with the same uploads, registry
    version and tolerances as the latest run is not recorded: that run is returned,
    ``recorded=False``. Dismissed findings grown by more than 10% get a reopening review.
    """
    found = with_finding_ids(findings)
    if upload_ids is None:
        upload_ids = [int(u) for u in store.uploads()["upload_id"]]
    if registry_version is None:
        registry_version = store.registry_version()
    record = RunRecord(
        ran_at=_now(),
        registry_version=None if registry_version is None else int(registry_version),
        tolerances=asdict(tolerances or Tolerances()),
        upload_ids=upload_ids,
    )
    for _attempt in range(5):
        runs = store.runs()
        latest = _latest_run(runs)
        if latest is not None and runs["fingerprint"].iloc[-1] == record.fingerprint:
            return _result(store, latest, recorded=False)
        previous = store.run_findings(latest) if latest is not None else None
        result = compute_statuses(found, previous, store.reviews())
        try:
            run, recorded = store.save_run(record, found, result.reopenings, previous=latest)
        except RunConflict:
            continue  # another detect recorded a run meanwhile: compare with that one
        if not recorded:
            return _result(store, run, recorded=False)
        return RunResult(
            run,
            True,
            result.current,
            with_resolving_uploads(store, result.resolved, run),
            result.reopenings,
        )
    raise UsageError("could not record the run: other runs kept being recorded at the same time")


def detect_run(
    store, *, tolerances: Tolerances | None = None, registry=None, in_database: bool = False
) -> RunResult:
    """Run every detector on the store's current uploads and record the run (``flowgraph
    detect`` without filters). When the current uploads, registry version and tolerances are
    those of the latest run, nothing is detected nor recorded: that run comes back,
    ``recorded=False``. ``in_database``: the findings come from the Cypher detectors on the
    store's server (``analysis.detect(in_database=True)``), recorded the same way.

    The current uploads and registry version are read before the events, so a load finishing
    meanwhile makes the next run differ rather than be taken for this one.
    """
    from flowgraph.analysis import detect

    upload_ids = [int(u) for u in store.uploads()["upload_id"]]
    version = store.registry_version()
    record = RunRecord(
        ran_at="",
        registry_version=version,
        tolerances=asdict(tolerances or Tolerances()),
        upload_ids=upload_ids,
    )
    runs = store.runs()
    if not runs.empty and runs["fingerprint"].iloc[-1] == record.fingerprint:
        return _result(store, int(runs["run"].iloc[-1]), recorded=False)
    findings = detect(store, tolerances=tolerances, registry=registry, in_database=in_database)
    return record_run(
        store, findings, tolerances=tolerances, registry_version=version, upload_ids=upload_ids
    )


def _result(store, run: int, *, recorded: bool) -> RunResult:
    status = run_statuses(store, run)
    return RunResult(run, recorded, status.current, status.resolved, status.reopenings.iloc[0:0])


def run_statuses(store, run: int | None = None) -> StatusResult:
    """Statuses in recorded run ``run`` (the latest when None), counting the reviews made up to
    the time that run was the latest. Raises UsageError when no such run is recorded."""
    runs = store.runs()
    latest = _latest_run(runs)
    if latest is None:
        raise UsageError("no detection run is recorded yet (run `flowgraph detect`)")
    if run is None:
        run = latest
    if run < 1 or run > latest:
        raise UsageError(f"run {run} is not recorded: runs are 1 to {latest}")
    current = store.run_findings(run)
    previous = store.run_findings(run - 1) if run > 1 else None
    reviews = store.reviews()
    if run < latest and not reviews.empty:
        reviews = reviews[pd.to_numeric(reviews["run"]).fillna(0) <= run]
    result = compute_statuses(current, previous, reviews)
    return StatusResult(
        result.current, with_resolving_uploads(store, result.resolved, run, runs), result.reopenings
    )


def compare_with_latest(
    store, findings: pd.DataFrame, *, tolerances: Tolerances | None = None
) -> pd.DataFrame:
    """Statuses of findings that are not recorded (a filtered ``detect``, the findings page);
    nothing is written. When the store's current uploads, registry version and ``tolerances``
    are the latest run's, each finding has its status in that run (a filter shows what the run
    says); otherwise the findings are taken as a run to come, with the latest run as previous.
    """
    found = with_finding_ids(findings)
    runs = store.runs()
    latest = _latest_run(runs)
    reviews = store.reviews()
    previous = store.run_findings(latest) if latest is not None else None
    if latest is not None and runs["fingerprint"].iloc[-1] == _fingerprint(store, tolerances):
        before = store.run_findings(latest - 1) if latest > 1 else None
        in_run = compute_statuses(previous, before, reviews).current
        status = in_run.drop_duplicates("finding_id").set_index("finding_id")["status"]
        out = compute_statuses(found, previous, reviews).current
        out["status"] = out["finding_id"].map(status).fillna(out["status"]).astype(object)
        return out
    return compute_statuses(found, previous, reviews).current


def _fingerprint(store, tolerances: Tolerances | None) -> str:
    return RunRecord(
        ran_at="",
        registry_version=store.registry_version(),
        tolerances=asdict(tolerances or Tolerances()),
        upload_ids=[int(u) for u in store.uploads()["upload_id"]],
    ).fingerprint


def list_findings(
    store,
    *,
    run: int | None = None,
    statuses: list[str] | None = None,
    enterprise: str | None = None,
    types: list[str] | None = None,
    families: list[str] | None = None,
    registry=None,
) -> pd.DataFrame:
    """A recorded run's findings with their status (``flowgraph findings``), LISTING_COLUMNS.

    Rows: the run's findings and the previous run's that it no longer reports (``resolved``,
    with ``resolved_by``), ordered by status (new, open, confirmed, dismissed, resolved), then
    family and type (SPEC §5 order), then largest ``reo_kg`` first. ``first_run``: the run that
    first reported the finding; ``previous_reo_kg``: its size in the run before (None when it
    was not in it: what changed since last month); ``reviewed_by`` / ``reviewed_at`` / ``review_note``: its latest
    review (None when never reviewed); ``enterprise_name`` from ``registry`` (the store's).
    Filters: any of ``statuses``, one ``enterprise``, any of ``types`` / ``families``.
    """
    for s in statuses or []:
        if s not in STATUSES:
            raise UsageError(f"unknown status {s!r}; known: {', '.join(STATUSES)}")
    result = run_statuses(store, run)  # raises UsageError for a run not recorded
    latest = _latest_run(store.runs())
    run = latest if run is None else int(run)
    rows = pd.concat([result.current.assign(resolved_by=None), result.resolved], ignore_index=True)
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in LISTING_COLUMNS})
    rows["run"] = run
    first = store.first_runs().set_index("finding_id")["first_run"]
    rows["first_run"] = rows["finding_id"].map(first).astype("Int64")
    reviews = store.reviews(list(rows["finding_id"].unique()))
    latest_review = latest_reviews(reviews, up_to_run=None if run == latest else run)
    for column, source in (
        ("reviewed_by", "reviewed_by"),
        ("reviewed_at", "reviewed_at"),
        ("review_note", "note"),
    ):
        if latest_review.empty:
            rows[column] = None
        else:
            values = rows["finding_id"].map(latest_review[source]).astype(object)
            rows[column] = values.where(values.notna(), None)
    registry = store.registry() if registry is None else registry
    names = enterprise_names(registry)
    rows["enterprise_name"] = pd.Series(
        [names.get(e) if isinstance(e, str) else None for e in rows["enterprise_id"]],
        index=rows.index,
        dtype="object",
    )
    keep = pd.Series(True, index=rows.index)
    if statuses:
        keep &= rows["status"].isin(statuses)
    if enterprise:
        keep &= rows["enterprise_id"] == enterprise
    if types or families:
        keep &= rows["type"].isin(types or []) | rows["family"].isin(families or [])
    rows = rows[keep]
    return _order(rows).reindex(columns=list(LISTING_COLUMNS))


def enterprise_names(registry) -> dict[str, str]:
    """enterprise_id -> name in ``registry`` (empty without one)."""
    frame = registry.enterprises
    if frame.empty:
        return {}
    return {
        e: n
        for e, n in zip(frame["enterprise_id"], frame["name"], strict=True)
        if isinstance(n, str) and n
    }


def _order(rows: pd.DataFrame) -> pd.DataFrame:
    rank_s = {s: i for i, s in enumerate(STATUSES)}
    rank_f = {f: i for i, f in enumerate(FAMILIES)}
    rank_t = {t: i for i, t in enumerate(FINDING_TYPES)}
    order = pd.DataFrame(
        {
            "s": rows["status"].map(rank_s),
            "f": rows["family"].map(rank_f).fillna(len(rank_f)),
            "t": rows["type"].map(rank_t).fillna(len(rank_t)),
            "r": -rows["reo_kg"].astype(float),
            "i": rows["finding_id"],
        },
        index=rows.index,
    )
    idx = order.sort_values(["s", "f", "t", "r", "i"], kind="stable").index
    return rows.loc[idx].reset_index(drop=True)
