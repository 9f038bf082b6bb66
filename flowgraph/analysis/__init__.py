"""Analyses: pure functions over the current events and the registry (DataFrames in, DataFrames out)."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from flowgraph.config import Tolerances


def __getattr__(name: str):
    # run_detectors / DETECTORS load the detector modules on first use, so importing one
    # analysis (lineage for `flowgraph trace`) does not import them all.
    if name in ("run_detectors", "DETECTORS", "Detector"):
        from flowgraph.analysis import detectors

        return getattr(detectors, name)
    raise AttributeError(f"module 'flowgraph.analysis' has no attribute {name!r}")


def detect(
    store,
    *,
    period: str | None = None,
    year: int | None = None,
    types: Iterable[str] | None = None,
    families: Iterable[str] | None = None,
    tolerances: Tolerances | None = None,
    registry=None,
    in_database: bool = False,
) -> pd.DataFrame:
    """Findings (SPEC §5) on the store's current uploads, optionally only one month or year.

    Detectors see what the whole current history gives (book stock and cross-month shipments
    need it); the ``period`` / ``year`` filter is applied to the findings (QUOTA_EXCEEDED by
    its ``year``, every other type by its ``period``). A store holding several years is
    detected year by year, each year on its events plus its carry-over (years.py), with the
    same findings. ``registry``: the store's, when the caller
    has already read it. ``in_database``: run the Cypher detectors on the store's server and
    read back only the findings (a store with ``detect_in_database``, i.e. Neo4j; the same
    findings, held equal in tests/neo4j); UsageError on a store without it.

    >>> import os, tempfile
    >>> from flowgraph.store.local import LocalStore
    >>> store = LocalStore.open(os.path.join(tempfile.mkdtemp(), "fg.db"))
    >>> detect(store, year=2024).empty   # nothing loaded, nothing found
    True
    >>> store.close()
    """
    from flowgraph.analysis.detectors import run_detectors as _run
    from flowgraph.analysis.findings import filter_findings

    if in_database:
        from flowgraph.store.base import DetectsInDatabase

        if not isinstance(store, DetectsInDatabase):
            from flowgraph.errors import UsageError

            raise UsageError(
                "--in-database needs a Neo4j store (--store bolt://...); the embedded store "
                "runs the detectors in this process anyway"
            )
        return store.detect_in_database(
            period=period, year=year, types=types, families=families, tolerances=tolerances
        )
    if registry is None:
        registry = store.registry()
    from flowgraph.analysis.years import detect_years, stored_years

    if len(stored_years(store.uploads())) > 1:
        # several years: each year on its own events plus its carry-over (years.py), so
        # memory is bounded by the largest year; the same findings as the whole history
        return detect_years(
            store,
            years=None if year is None else [int(year)],
            period=period,
            registry=registry,
            tolerances=tolerances,
            types=types,
            families=families,
        )
    # dictionary-encoded text columns: a fraction of the memory, the same findings
    events = store.events(encoded=True)
    findings = _run(events, registry, tolerances, types=types, families=families)
    return filter_findings(findings, period=period, year=year)
