"""Analyses: pure functions over the current events and the registry (DataFrames in, DataFrames out)."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from flowgraph.config import Tolerances


def run_detectors(*args, **kwargs) -> pd.DataFrame:
    """See :func:`flowgraph.analysis.detectors.run_detectors` (imported lazily)."""
    from flowgraph.analysis.detectors import run_detectors as _run

    return _run(*args, **kwargs)


def detect(
    store,
    *,
    period: str | None = None,
    year: int | None = None,
    types: Iterable[str] | None = None,
    families: Iterable[str] | None = None,
    tolerances: Tolerances | None = None,
) -> pd.DataFrame:
    """Findings (SPEC §5) on the store's current uploads, optionally only one month or year.

    Detectors always see the whole current history (book stock and cross-month shipments need
    it); the ``period`` / ``year`` filter is applied to the findings (QUOTA_EXCEEDED by its
    ``year``, every other type by its ``period``).

    >>> import flowgraph.analysis as fa  # doctest: +SKIP
    >>> fa.detect(store, year=2024).groupby("type").size()  # doctest: +SKIP
    """
    from flowgraph.analysis.detectors import run_detectors as _run
    from flowgraph.analysis.findings import filter_findings

    findings = _run(store.events(), store.registry(), tolerances, types=types, families=families)
    return filter_findings(findings, period=period, year=year)
