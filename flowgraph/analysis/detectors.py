"""The detector registry: one line per SPEC §5 finding type, and ``run_detectors`` over them.

Adding a detector is one function ``(events, registry, tolerances) -> findings`` plus one line
in ``DETECTORS``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd

from flowgraph.analysis import (
    balance,
    customs,
    designation,
    licences,
    quota,
    traceability,
    transit,
)
from flowgraph.analysis.findings import normalise, sort_findings
from flowgraph.analysis.prepared import PreparedEvents, prepared
from flowgraph.config import Tolerances
from flowgraph.errors import UsageError
from flowgraph.model import (
    CUSTOMS_TYPES,
    FAMILIES,
    FINDING_TYPES,
    LICENCE_TYPES,
    Registry,
    empty_findings,
)


@dataclass(frozen=True)
class Detector:
    type: str
    family: str
    # (events or prepared view, registry, tolerances) -> findings; run_detectors hands every
    # detector the same prepared view, so what one derives the next reads
    func: Callable[..., pd.DataFrame]


def _d(type_: str, func: Callable[..., pd.DataFrame]) -> Detector:
    return Detector(type_, FINDING_TYPES[type_], func)


DETECTORS: list[Detector] = [
    _d("TRANSFORM_GAIN", balance.detect_transform_gain),
    _d("TRANSFORM_LOSS", balance.detect_transform_loss),
    _d("LOT_OVERDRAWN", balance.detect_lot_overdrawn),
    _d("TRANSIT_MISMATCH", transit.detect_transit_mismatch),
    _d("UNCONFIRMED_SHIPMENT", transit.detect_unconfirmed_shipment),
    _d("STOCK_MISMATCH", balance.detect_stock_mismatch),
    _d("UNKNOWN_LOT", traceability.detect_unknown_lot),
    _d("DUPLICATE_LOT", traceability.detect_duplicate_lot),
    _d("RECEIPT_WITHOUT_SHIPMENT", transit.detect_receipt_without_shipment),
    _d("TIME_INVERSION", traceability.detect_time_inversion),
    _d("LINEAGE_CYCLE", traceability.detect_lineage_cycle),
    _d("UNTRACEABLE_EXPORT", traceability.detect_untraceable_export),
    _d("UNDESIGNATED_EXTRACTION", designation.detect_undesignated_extraction),
    _d("UNDESIGNATED_SMELTING", designation.detect_undesignated_smelting),
    _d("UNDESIGNATED_SUPPLY", designation.detect_undesignated_supply),
    _d("QUOTA_EXCEEDED", quota.detect_quota_exceeded),
    _d("CUSTOMS_UNDECLARED", customs.detect_customs_undeclared),
    _d("CUSTOMS_MASS_MISMATCH", customs.detect_customs_mass_mismatch),
    _d("UNREPORTED_CUSTOMS", customs.detect_unreported_customs),
    _d("UNLICENSED_EXPORT", licences.detect_unlicensed_export),
    _d("LICENCE_EXCEEDED", licences.detect_licence_exceeded),
]


def select_detectors(
    types: Iterable[str] | None = None, families: Iterable[str] | None = None
) -> list[Detector]:
    """The detectors of the given types and/or families (all when both are None).

    A detector runs if it matches ``types`` or ``families`` (union); unknown names raise
    UsageError naming the known ones.

    >>> [d.type for d in select_detectors(types=["DUPLICATE_LOT"])]
    ['DUPLICATE_LOT']
    """
    types = [t.upper() for t in types] if types else []
    families = [f.lower() for f in families] if families else []
    unknown = [t for t in types if t not in FINDING_TYPES]
    if unknown:
        raise UsageError(
            f"unknown finding type {', '.join(unknown)}; known: {', '.join(FINDING_TYPES)}"
        )
    bad_fam = [f for f in families if f not in FAMILIES]
    if bad_fam:
        raise UsageError(f"unknown family {', '.join(bad_fam)}; known: {', '.join(FAMILIES)}")
    if not types and not families:
        return list(DETECTORS)
    return [d for d in DETECTORS if d.type in types or d.family in families]


def skipped_checks(
    registry: Registry | None,
    types: Iterable[str] | None = None,
    families: Iterable[str] | None = None,
) -> list[str]:
    """One sentence per selected cross_register check that the registry cannot run (SPEC §7:
    no register, no finding), for the CLI to print on stderr.

    >>> skipped_checks(Registry.empty(), types=["UNLICENSED_EXPORT"])
    ['Note: licence checks skipped (UNLICENSED_EXPORT): no export licence register (export_licences.csv) loaded']
    """
    selected = {d.type for d in select_detectors(types, families)}
    lines = []
    for register, file, label, what, kinds in (
        ("customs", "customs.csv", "customs", "customs register", CUSTOMS_TYPES),
        ("licences", "export_licences.csv", "licence", "export licence register", LICENCE_TYPES),
    ):
        wanted = [t for t in kinds if t in selected]
        if wanted and getattr(registry, register, None) is None:
            lines.append(
                f"Note: {label} checks skipped ({', '.join(wanted)}): no {what} ({file}) loaded"
            )
    return lines


def run_detectors(
    events: pd.DataFrame | PreparedEvents,
    registry: Registry | None = None,
    tolerances: Tolerances | None = None,
    *,
    types: Iterable[str] | None = None,
    families: Iterable[str] | None = None,
    timings: dict | None = None,
) -> pd.DataFrame:
    """Run the selected detectors; one findings table (FINDING_COLUMNS) sorted by family, type, keys.

    ``events``: the event table, or a prepared view of it (prepared.py) when the caller also
    runs other analyses on it: what the detectors derive (shares, batch graph) is then
    computed once for all. ``timings``, if given, receives seconds per detector type (and
    "_prepare" for the shared derived columns).

    >>> from flowgraph.model import events_frame
    >>> ev = events_frame([{"event_type": "extract", "date": "2024-01-02", "enterprise_id": "M9",
    ...     "lot_id": "L1", "mass_kg": 100, "reo_pct": 50, "product": "BAST_CONC"}])
    >>> run_detectors(ev, Registry.empty())["type"].tolist()
    ['UNDESIGNATED_EXTRACTION']
    """
    tolerances = tolerances or Tolerances()
    selected = select_detectors(types, families)
    view = prepared(events, registry)
    start = time.perf_counter()
    view.table  # noqa: B018 - the derived columns every detector reads, timed on their own
    if timings is not None:
        timings["_prepare"] = time.perf_counter() - start
    parts = []
    for detector in selected:
        start = time.perf_counter()
        found = detector.func(view, view.registry, tolerances)
        if timings is not None:
            timings[detector.type] = time.perf_counter() - start
        if not found.empty:
            parts.append(found)
    if not parts:
        return empty_findings()
    return sort_findings(normalise(pd.concat(parts, ignore_index=True)))
