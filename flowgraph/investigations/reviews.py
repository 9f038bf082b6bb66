"""Reviews (SPEC §6): an append-only log of decisions on findings, and a finding's history.

>>> import os, tempfile
>>> from flowgraph.store.local import LocalStore
>>> from flowgraph.analysis.findings import make_findings
>>> from flowgraph.investigations.runs import record_run
>>> store = LocalStore.open(os.path.join(tempfile.mkdtemp(), "fg.db"))
>>> found = make_findings("TRANSFORM_GAIN", pd.DataFrame({"enterprise_id": ["E017"],
...     "batch_id": ["B-17-0311"], "period": ["2025-03"], "reo_kg": [412.5]}))
>>> _ = record_run(store, found)
>>> review(store, ["5ebcd0"], "dismiss", note="weighing error", by="li")[
...     ["finding_id", "decision", "reviewed_by"]].values.tolist()
[['5ebcd00b8f24', 'dismiss', 'li']]
>>> finding_history(store, "5ebcd00b8f24").runs[["run", "reo_kg", "status"]].values.tolist()
[[1, 412.5, 'dismissed']]
>>> store.close()
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd

from flowgraph.errors import UsageError
from flowgraph.investigations.identity import ID_LENGTH, MIN_PREFIX
from flowgraph.investigations.status import (
    DECISIONS,
    REVIEW_COLUMNS,
    SYSTEM_REVIEWER,
    compute_statuses,
)


def resolve_finding_id(store, text: str) -> str:
    """The recorded finding id ``text`` names: the id itself, or a unique prefix of at least
    6 characters. Raises UsageError for an unknown, too short or ambiguous one (naming the
    matches)."""
    wanted = text.strip().lower()
    if len(wanted) < MIN_PREFIX or len(wanted) > ID_LENGTH:
        raise UsageError(
            f"{text!r} is not a finding id (12 hex digits, or a unique prefix of at least "
            f"{MIN_PREFIX})"
        )
    matches = store.match_finding_ids(wanted)
    if not matches:
        raise UsageError(f"{text} is no finding of any recorded run")
    if len(matches) > 1:
        raise UsageError(f"{text} is ambiguous: it starts {', '.join(matches)}")
    return matches[0]


def default_reviewer() -> str:
    """The login name (``--by`` default)."""
    try:
        return getpass.getuser()  # LOGNAME / USER / LNAME / USERNAME, else the passwd entry
    except (KeyError, OSError):  # none of them in some containers
        return "unknown"


def review(
    store,
    ids: list[str],
    decision: str,
    *,
    note: str | None = None,
    by: str | None = None,
) -> pd.DataFrame:
    """Record ``decision`` (confirm, dismiss, reopen) on every finding ``ids`` names, all or
    none: an unknown or ambiguous id raises UsageError before anything is written. ``note`` is
    required to dismiss; ``by`` defaults to the login name; the time is UTC now. Each review
    keeps the finding's ``reo_kg`` in its latest run (a dismissal is measured against it) and
    the latest run's number. Returns the recorded rows (REVIEW_COLUMNS without review_id).
    """
    if decision not in DECISIONS:
        raise UsageError(f"unknown decision {decision!r}; known: {', '.join(DECISIONS)}")
    note = note.strip() if note else None
    if decision == "dismiss" and not note:
        raise UsageError("a dismissal needs a note saying why (--note TEXT)")
    if not ids:
        raise UsageError("name at least one finding id")
    problems, resolved = [], []
    for text in ids:
        try:
            resolved.append(resolve_finding_id(store, text))
        except UsageError as e:
            problems.append(str(e))
    if problems:
        raise UsageError("; ".join(problems) + " (nothing recorded)")
    resolved = list(dict.fromkeys(resolved))  # an id named twice is reviewed once
    runs = store.runs()
    latest = int(runs["run"].iloc[-1])
    at = datetime.now(UTC).isoformat(timespec="microseconds")
    who = (by or "").strip() or default_reviewer()
    if who.lower() == SYSTEM_REVIEWER:
        # the log tells flowgraph's automatic reopenings from people's reviews by this name
        raise UsageError(
            f"--by {who}: the name {SYSTEM_REVIEWER!r} is kept for flowgraph's reopenings"
        )
    rows = []
    for fid in resolved:
        seen = store.finding_appearances(fid)
        rows.append(
            {
                "finding_id": fid,
                "decision": decision,
                "note": note,
                "reviewed_by": who,
                "reviewed_at": at,
                "run": latest,
                "reo_kg": float(seen["reo_kg"].iloc[-1]),
            }
        )
    frame = pd.DataFrame(rows, columns=[c for c in REVIEW_COLUMNS if c != "review_id"])
    store.save_reviews(frame)
    return frame


@dataclass(frozen=True)
class FindingHistory:
    """One finding across runs: ``runs`` (run, ran_at, period, reo_kg, detail, status; a run
    that no longer reports it after one that did appears once as ``resolved``), ``reviews``
    (REVIEW_COLUMNS, oldest first) and ``latest`` (its most recent record, a dict)."""

    finding_id: str
    runs: pd.DataFrame
    reviews: pd.DataFrame
    latest: dict


def finding_history(store, finding_id: str) -> FindingHistory:
    """``flowgraph findings --history``: the finding's reo_kg and status in each run, every
    review. ``finding_id`` may be a unique prefix (see ``resolve_finding_id``)."""
    fid = resolve_finding_id(store, finding_id)
    seen = store.finding_appearances(fid)
    reviews = store.reviews([fid])
    runs = store.runs()
    present = dict(zip(seen["run"].astype(int), range(len(seen)), strict=True))
    latest_run = int(runs["run"].iloc[-1])
    rows = []
    for run, ran_at in zip(runs["run"].astype(int), runs["ran_at"], strict=True):
        here, before = run in present, (run - 1) in present
        if not here and not before:
            continue
        current = seen.iloc[[present[run]]] if here else seen.iloc[0:0]
        previous = seen.iloc[[present[run - 1]]] if before else None
        log = reviews
        if run < latest_run and not log.empty:
            log = log[pd.to_numeric(log["run"]).fillna(0) <= run]
        result = compute_statuses(current, previous, log)
        source = result.current if here else result.resolved
        row = source.iloc[0]
        rows.append(
            {
                "run": run,
                "ran_at": ran_at,
                "period": row["period"],
                "reo_kg": float(row["reo_kg"]) if here else None,
                "detail": row["detail"],
                "status": row["status"],
            }
        )
    table = pd.DataFrame(rows, columns=["run", "ran_at", "period", "reo_kg", "detail", "status"])
    latest = seen.iloc[-1].to_dict()
    return FindingHistory(fid, table, reviews, latest)
