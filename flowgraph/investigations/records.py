"""What the stores keep of investigations, in the shapes both stores share: a detection run's
record, its findings as rows, the review log. Pure helpers; the stores only write and read them.

>>> rec = RunRecord(ran_at="2026-12-01T10:00:00+00:00", registry_version=2,
...     tolerances={"gain_ratio": 1.005}, upload_ids=[3, 1, 2])
>>> rec.fingerprint == RunRecord("later", 2, {"gain_ratio": 1.005}, [1, 2, 3]).fingerprint
True
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from flowgraph.errors import FlowgraphError
from flowgraph.model import FINDING_COLUMNS

# runs(): one row per recorded run, oldest first. upload_ids: the current uploads it saw
# (a list; None for a run kept from before runs were fingerprinted).
RUN_COLUMNS = (
    "run",
    "ran_at",
    "registry_version",
    "fingerprint",
    "tolerances",
    "upload_ids",
    "findings",
)


class RunConflict(FlowgraphError):
    """Another run was recorded between reading the latest run and recording this one; the
    statuses were computed against the wrong previous run (the caller recomputes)."""


@dataclass(frozen=True)
class RunRecord:
    """One detection run as the stores keep it (its findings travel beside it)."""

    ran_at: str
    registry_version: int | None
    tolerances: dict
    upload_ids: list[int] = field(default_factory=list)

    @property
    def fingerprint(self) -> str:
        """Same current uploads, registry version and tolerances -> same fingerprint (SPEC §6:
        such a run is not recorded again)."""
        text = json.dumps(
            {
                "uploads": sorted(int(u) for u in self.upload_ids),
                "registry_version": self.registry_version,
                "tolerances": {k: float(v) for k, v in sorted(self.tolerances.items())},
            },
            sort_keys=True,
        )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    @property
    def tolerances_json(self) -> str:
        return json.dumps(self.tolerances, sort_keys=True)


def _plain(value: object) -> object:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if math.isnan(value) else float(value)
    return value


def finding_records(findings: pd.DataFrame) -> list[dict]:
    """A run's findings as plain dicts (every findings column plus ``finding_id``), the form
    both stores keep: one JSON document per finding, so columns added to the findings later do
    not need a schema change."""
    columns = [c for c in (*FINDING_COLUMNS, "finding_id") if c in findings.columns]
    extra = [c for c in findings.columns if c not in columns and c not in ("status", "run")]
    frame = findings[columns + extra]
    return [
        {k: _plain(v) for k, v in zip(frame.columns, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


def record_json(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, sort_keys=True, allow_nan=False)


def findings_from_records(records: list[dict], runs: list[int] | None = None) -> pd.DataFrame:
    """The findings table back from stored records (FINDING_COLUMNS + finding_id [+ run])."""
    from flowgraph.analysis.findings import normalise

    columns = [*FINDING_COLUMNS, "finding_id"]
    if not records:
        out = pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
        out["reo_kg"] = out["reo_kg"].astype("float64")
    else:
        frame = pd.DataFrame.from_records(records)
        out = normalise(frame)
        out["finding_id"] = frame["finding_id"].astype("object").to_numpy()
    if runs is not None:
        out["run"] = pd.Series(runs, index=out.index, dtype="int64")
    return out
