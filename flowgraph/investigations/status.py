"""Statuses of findings in a run (SPEC §6): a pure function of this run's findings, the previous
run's and the review log. Nothing here reads or writes a store.

>>> import pandas as pd
>>> now = pd.DataFrame({"finding_id": ["a", "b"], "reo_kg": [10.0, 5.0]})
>>> before = pd.DataFrame({"finding_id": ["b", "c"], "reo_kg": [5.0, 1.0]})
>>> result = compute_statuses(now, before, empty_reviews())
>>> result.current["status"].tolist(), result.resolved["finding_id"].tolist()
(['new', 'open'], ['c'])
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

STATUSES = ("new", "open", "confirmed", "dismissed", "resolved")
DECISIONS = ("confirm", "dismiss", "reopen")
# The review log's columns, in both stores. ``run``: the latest recorded run when the review was
# made (a review counts for the status of that run and every later one); ``reo_kg``: the
# finding's size then (a dismissal is measured against it).
REVIEW_COLUMNS = (
    "review_id",
    "finding_id",
    "decision",
    "note",
    "reviewed_by",
    "reviewed_at",
    "run",
    "reo_kg",
)
REOPEN_GROWTH = 0.10  # a dismissed finding whose reo_kg grows by more than this reopens
SYSTEM_REVIEWER = "flowgraph"
_NOISE = 1e-9  # README "General": a value computed exactly at a threshold is never past it


@dataclass(frozen=True)
class StatusResult:
    """``current``: this run's findings with ``status`` and ``previous_reo_kg`` (its size in the
    previous run, None when new there); ``resolved``: the previous run's findings absent from
    this run, ``status`` = resolved; ``reopenings``: review rows (REVIEW_COLUMNS
    without ``review_id``) to append for dismissed findings that grew past the limit."""

    current: pd.DataFrame
    resolved: pd.DataFrame
    reopenings: pd.DataFrame


def empty_reviews() -> pd.DataFrame:
    """A review log with no rows."""
    return pd.DataFrame({c: pd.Series(dtype="object") for c in REVIEW_COLUMNS})


def latest_reviews(reviews: pd.DataFrame, up_to_run: int | None = None) -> pd.DataFrame:
    """Each finding's latest review (by ``review_id``), counting only reviews made while run
    ``up_to_run`` or an earlier one was the latest (all when None); indexed by finding_id.

    >>> log = pd.DataFrame({"review_id": [1, 2, 3], "finding_id": ["a", "a", "b"],
    ...     "decision": ["dismiss", "confirm", "confirm"], "run": [1, 2, 1]})
    >>> latest_reviews(log, up_to_run=1)["decision"].to_dict()
    {'a': 'dismiss', 'b': 'confirm'}
    """
    if reviews.empty:
        return reviews.set_index("finding_id") if "finding_id" in reviews else reviews
    log = reviews
    if up_to_run is not None:
        runs = pd.to_numeric(log["run"], errors="coerce").fillna(0)
        log = log[runs <= up_to_run]
    log = log.sort_values("review_id", kind="stable")
    return log.drop_duplicates("finding_id", keep="last").set_index("finding_id")


def grown_past(reviewed_kg: float | None, now_kg: float, growth: float = REOPEN_GROWTH) -> bool:
    """Has a finding of ``reviewed_kg`` at its dismissal grown by more than ``growth`` to ``now_kg``?

    >>> grown_past(100.0, 109.0), grown_past(100.0, 111.0), grown_past(100.0, 110.0)
    (False, True, False)
    """
    base = 0.0 if reviewed_kg is None or pd.isna(reviewed_kg) else float(reviewed_kg)
    return float(now_kg) > base * (1.0 + growth) * (1.0 + _NOISE) + _NOISE


def reopen_note(reviewed_kg: float, now_kg: float, reviewed_at: str | None) -> str:
    """The note flowgraph writes when it reopens a dismissed finding (both figures)."""
    base = float(reviewed_kg or 0.0)
    growth = f" (+{(now_kg / base - 1) * 100:.1f}%)" if base > 0 else ""
    since = f" dismissed {reviewed_at}" if reviewed_at else " dismissed"
    return (
        f"reopened: reo_kg {now_kg:,.1f} is more than {REOPEN_GROWTH:.0%} above the "
        f"{base:,.1f} when{since}{growth}"
    )


def compute_statuses(
    current: pd.DataFrame,
    previous: pd.DataFrame | None,
    reviews: pd.DataFrame,
    *,
    growth: float = REOPEN_GROWTH,
) -> StatusResult:
    """Statuses of ``current`` (this run's findings, with ``finding_id`` and ``reo_kg``) against
    ``previous`` (the previous run's findings, None or empty for a first run) and ``reviews``
    (the review log as it applies to this run; see ``latest_reviews``).

    new: not in the previous run and never reviewed; open: in the previous run and not reviewed,
    or reopened (by hand, or here: dismissed and grown by more than ``growth``); confirmed /
    dismissed: the latest review; resolved: in the previous run, absent from this one (whatever
    its reviews said).
    """
    previous = previous if previous is not None else pd.DataFrame(columns=["finding_id"])
    before = set(previous["finding_id"]) if not previous.empty else set()
    latest = latest_reviews(reviews) if not reviews.empty else None
    statuses: list[str] = []
    reopenings: list[dict] = []
    for fid, reo_kg in zip(current["finding_id"], current["reo_kg"], strict=True):
        review = None
        if latest is not None and fid in latest.index:
            review = latest.loc[fid]
        if review is None:
            statuses.append("open" if fid in before else "new")
        elif review["decision"] == "confirm":
            statuses.append("confirmed")
        elif review["decision"] == "dismiss":
            if grown_past(review.get("reo_kg"), reo_kg, growth):
                statuses.append("open")
                reopenings.append(
                    {
                        "finding_id": fid,
                        "decision": "reopen",
                        "note": reopen_note(
                            review.get("reo_kg"), reo_kg, review.get("reviewed_at")
                        ),
                        "reviewed_by": SYSTEM_REVIEWER,
                        "reo_kg": float(reo_kg),
                    }
                )
            else:
                statuses.append("dismissed")
        else:  # reopen
            statuses.append("open")
    out = current.copy()
    out["status"] = pd.Series(statuses, index=current.index, dtype="object")
    # what changed since the previous run: its size there (None when it was not in it)
    sizes = (
        previous.drop_duplicates("finding_id").set_index("finding_id")["reo_kg"]
        if not previous.empty
        else pd.Series(dtype="float64")
    )
    out["previous_reo_kg"] = pd.Series(
        [float(sizes[f]) if f in sizes.index else None for f in current["finding_id"]],
        index=current.index,
        dtype="object",
    )
    now = set(current["finding_id"])
    if previous.empty:
        resolved = previous.iloc[0:0].copy()
    else:
        resolved = previous[~previous["finding_id"].isin(now)].copy()
    resolved["status"] = "resolved"
    resolved["previous_reo_kg"] = resolved["reo_kg"] if "reo_kg" in resolved else None
    columns = [c for c in REVIEW_COLUMNS if c not in ("review_id", "reviewed_at", "run")]
    return StatusResult(
        current=out,
        resolved=resolved.reset_index(drop=True),
        reopenings=pd.DataFrame(reopenings, columns=columns),
    )
