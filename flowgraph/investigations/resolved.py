"""What resolved a finding (SPEC §6: resolved findings are listed "with the uploads loaded since
the previous run that concern its enterprise"): the uploads a run saw that the previous run did
not, narrowed to the finding's enterprises and months (README "Investigations")."""

from __future__ import annotations

import pandas as pd

from flowgraph.model import FINDING_KEYS


def with_resolving_uploads(
    store, resolved: pd.DataFrame, run: int, runs: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Add ``resolved_by`` to resolved findings: the uploads loaded since the previous run that
    concern the finding (file_name, period, revision, upload_id, loaded_at), see
    ``resolving_uploads``."""
    out = resolved.copy()
    if out.empty:
        out["resolved_by"] = pd.Series(dtype="object")
        return out
    runs = store.runs() if runs is None else runs
    by_run = runs.set_index("run")
    now, before = by_run.loc[run], by_run.loc[run - 1]
    uploads = store.uploads(include_history=True)
    if now["upload_ids"] is not None and before["upload_ids"] is not None:
        fresh = uploads[
            uploads["upload_id"].isin(set(now["upload_ids"]) - set(before["upload_ids"]))
        ]
    else:  # a run kept from before runs remembered their uploads: go by the load times
        at = uploads["loaded_at"].astype(str)
        fresh = uploads[(at > str(before["ran_at"])) & (at <= str(now["ran_at"]))]
    fresh = fresh.sort_values(["period", "enterprise_id", "revision"])
    out["resolved_by"] = [
        resolving_uploads(store, finding, fresh) for finding in out.to_dict("records")
    ]
    return out


def _months(period: str | None, finding_type: str) -> set[str] | None:
    if not isinstance(period, str):
        return None
    if finding_type == "QUOTA_EXCEEDED":
        return {f"{period[:4]}-{m:02d}" for m in range(1, 13)}
    year, month = int(period[:4]), int(period[5:7])
    nxt = f"{year + month // 12:04d}-{month % 12 + 1:02d}"
    return {period, nxt} if finding_type in _SHIPMENT_TYPES else {period}


_SHIPMENT_TYPES = {t for t, keys in FINDING_KEYS.items() if "shipment_id" in keys}


def resolving_uploads(store, finding: dict, fresh: pd.DataFrame) -> list[dict]:
    """The uploads of ``fresh`` (loaded since the previous run) that concern a resolved finding:
    those of its enterprise and, for a shipment, of the other side of that shipment (its
    current rows, read for the months concerned), covering the finding's month (a shipment:
    that month and the next; QUOTA_EXCEEDED: its year). When none covers those months, every
    fresh upload of those enterprises."""
    ent = finding.get("enterprise_id")
    months = _months(finding.get("period"), finding["type"])
    concerned = {ent} if isinstance(ent, str) else set()
    ship = finding.get("shipment_id")
    if isinstance(ship, str) and months:
        for month in sorted(months):
            ev = store.events(period=month)
            rows = ev[(ev["shipment_id"] == ship)]
            if isinstance(ent, str):
                rows = rows[(rows["enterprise_id"] == ent) | (rows["counterparty_id"] == ent)]
            concerned |= set(rows["enterprise_id"].dropna()) | set(rows["counterparty_id"].dropna())
    mine = fresh[fresh["enterprise_id"].isin(concerned)]
    covering = mine[mine["period"].isin(months)] if months else mine
    chosen = covering if len(covering) else mine
    return [
        {
            "enterprise_id": r.enterprise_id,
            "file_name": r.file_name,
            "period": r.period,
            "revision": int(r.revision),
            "upload_id": int(r.upload_id),
            "loaded_at": str(r.loaded_at),
        }
        for r in chosen.itertuples()
    ]
