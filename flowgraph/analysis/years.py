"""Detection year by year: each year's events plus its carry-over (carryover.py), read from a
store one year at a time, so memory is bounded by the largest year and not the history.

``detect_years(store, ...)`` gives exactly what the detectors give on the whole history,
filtered to the years asked (``tests/analysis/test_years.py`` holds them equal finding for
finding on a three-year world, and ``tests/neo4j`` on a real Neo4j). Carry-overs are kept in
the store per year (``Store.carryover`` / ``save_carryover``) under a fingerprint of the
current uploads and the registry version, so the next run of the same store state reads one
year and its carry-over only; any load or registry load changes the fingerprint.

>>> import os, tempfile
>>> from flowgraph.store.local import LocalStore
>>> store = LocalStore.open(os.path.join(tempfile.mkdtemp(), "fg.db"))
>>> detect_years(store, years=[2024]).empty
True
>>> store.close()
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import pandas as pd

from flowgraph.analysis.carryover import carry_overs, global_order
from flowgraph.analysis.derived import month_number
from flowgraph.analysis.prepared import PreparedEvents
from flowgraph.config import Tolerances
from flowgraph.encoding import encode_text
from flowgraph.errors import FlowgraphError
from flowgraph.model import Registry, empty_findings


def stored_years(uploads: pd.DataFrame) -> list[int]:
    """The calendar years the current uploads cover, ascending.

    >>> stored_years(pd.DataFrame({"period": ["2025-01", "2024-12"]}))
    [2024, 2025]
    """
    return sorted({int(str(p)[:4]) for p in uploads["period"]})


def upload_months(uploads: pd.DataFrame) -> pd.DataFrame:
    """The (enterprise_id, month number) pairs of the current uploads (events lie in their
    upload's month, SPEC §1, so these are the pairs a whole-history view derives)."""
    return pd.DataFrame(
        {
            "enterprise_id": uploads["enterprise_id"].astype(object).to_numpy(),
            "month": month_number(uploads["period"]).to_numpy() if len(uploads) else [],
        }
    ).drop_duplicates(ignore_index=True)


def fingerprint(uploads: pd.DataFrame, registry_version: int | None) -> str:
    """What a carry-over depends on: the current upload ids and the registry version."""
    ids = ",".join(str(int(u)) for u in sorted(uploads["upload_id"]))
    return hashlib.sha256(f"{ids}|{registry_version}".encode()).hexdigest()


def declaration_years(registry: Registry) -> set[int]:
    """The years the customs register dates declarations in (none without a register)."""
    customs = getattr(registry, "customs", None)
    if customs is None or customs.empty:
        return set()
    return {int(y) for y in pd.to_datetime(customs["date"]).dt.year.dropna().unique()}


def _declarations(registry: Registry, year: int) -> list[str]:
    customs = getattr(registry, "customs", None)
    if customs is None or customs.empty:
        return []
    dates = pd.to_datetime(customs["date"])
    return customs.loc[(dates.dt.year == year).to_numpy(), "declaration_no"].astype(str).tolist()


def year_carry_overs(store, targets: list[int], registry: Registry, uploads=None) -> dict:
    """Per target year its carry-over (carryover.carry_overs over the store's years), from
    the store's cache where it holds one for the current fingerprint, else computed (and
    kept when the store can be written)."""
    uploads = store.uploads() if uploads is None else uploads
    years = sorted(set(stored_years(uploads)) | set(targets))
    print_ = fingerprint(uploads, store.registry_version())
    out, missing = {}, []
    for t in targets:
        cached = store.carryover(t, print_)
        if cached is None:
            missing.append(t)
        else:
            out[t] = cached
    if missing:
        cache: dict[int, pd.DataFrame] = {}

        def read(year: int) -> pd.DataFrame:
            # the targets' own years are read for their seeds and again for the partition:
            # keep only the one being read, so at most one year is held at a time
            if year not in cache:
                cache.clear()
                cache[year] = store.events(year=year, encoded=True)
            return cache[year]

        computed = carry_overs(read, years, missing, lambda y: _declarations(registry, y))
        cache.clear()
        for t, frame in computed.items():
            out[t] = frame
            if not store.read_only:
                try:
                    store.save_carryover(t, print_, frame)
                except FlowgraphError:
                    # a cache: a user the server lets only read, or a store busy with a
                    # load, still gets the findings (computed again next time)
                    pass
    return out


def year_view(
    store, year: int, registry: Registry, carry: pd.DataFrame, months: pd.DataFrame
) -> PreparedEvents:
    """The prepared view of ``year``'s events with its carry-over, in the stores' order."""
    events = global_order([encode_text(carry), store.events(year=year, encoded=True)])
    return PreparedEvents(events, registry, upload_months=months)


def detect_years(
    store,
    *,
    years: Iterable[int] | None = None,
    period: str | None = None,
    registry: Registry | None = None,
    tolerances: Tolerances | None = None,
    types: Iterable[str] | None = None,
    families: Iterable[str] | None = None,
) -> pd.DataFrame:
    """The findings of ``years`` (every stored year when None; ``period``'s year with
    ``period``), each year detected on its own partition: equal to the whole history's
    findings filtered to those years (analysis.detect)."""
    from flowgraph.analysis.detectors import run_detectors
    from flowgraph.analysis.findings import filter_findings, normalise, sort_findings

    registry = store.registry() if registry is None else registry
    uploads = store.uploads()
    # A year without uploads has findings only through a customs declaration dated in it
    # (CUSTOMS_MASS_MISMATCH of a product only the declaration names): its partition is its
    # carry-over alone.
    known = sorted(set(stored_years(uploads)) | declaration_years(registry))
    if period is not None:
        years = [int(period[:4])]
    targets = [y for y in (known if years is None else years) if y in known]
    if not targets:
        return empty_findings()
    carries = year_carry_overs(store, targets, registry, uploads)
    months = upload_months(uploads)
    parts = []
    for year in targets:
        view = year_view(store, year, registry, carries.pop(year), months)
        found = run_detectors(view, registry, tolerances, types=types, families=families)
        del view
        found = filter_findings(found, year=year, period=period)
        if not found.empty:
            parts.append(found)
    if not parts:
        return empty_findings()
    return sort_findings(normalise(pd.concat(parts, ignore_index=True)))
