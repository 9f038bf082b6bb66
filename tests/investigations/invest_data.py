"""Hand-made findings for the investigation tests (no detector runs: statuses only need ids
and sizes)."""

from __future__ import annotations

import pandas as pd

from flowgraph.analysis.findings import make_findings
from flowgraph.store.local import LocalStore


def gain(batch: str, reo_kg: float, enterprise: str = "E017", period: str = "2025-03"):
    return make_findings(
        "TRANSFORM_GAIN",
        pd.DataFrame(
            {
                "enterprise_id": [enterprise],
                "batch_id": [batch],
                "period": [period],
                "reo_kg": [reo_kg],
                "detail": [f"batch {batch} gains"],
            }
        ),
    )


def findings(*parts: pd.DataFrame) -> pd.DataFrame:
    return pd.concat(parts, ignore_index=True)


def open_store(path) -> LocalStore:
    return LocalStore.open(path)
