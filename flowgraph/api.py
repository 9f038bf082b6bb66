"""The investigation workflow on a store, as notebooks and the CLI call it.

Each function takes a store (``open_store``) and returns plain data (DataFrames, dicts, a
Plotly figure, a report dataclass); settings come from ``flowgraph.toml`` and the environment
(``flowgraph.config``) exactly as the command line reads them, unless given.

>>> import os, tempfile
>>> store = open_store(os.path.join(tempfile.mkdtemp(), "fg.db"))
>>> detect(store).empty, lot_shares(store).empty, flow_table(store).empty
(True, True, True)
>>> store.close()
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flowgraph.config import Tolerances, load_config_file, store_uri, tolerances_from

if TYPE_CHECKING:
    import pandas as pd

    from flowgraph.config import Neo4jAuth
    from flowgraph.ingest import LoadSummary
    from flowgraph.reports.findings import FindingsReport
    from flowgraph.store.base import Store


def open_store(uri: str | None = None, *, auth: Neo4jAuth | None = None) -> Store:
    """The store a path or Neo4j URI names; by default the one the CLI would use
    (``FLOWGRAPH_STORE``, else ``store`` in flowgraph.toml, else ``./flowgraph.db``).

    A path opens (and creates) the embedded SQLite file; ``bolt://`` / ``neo4j://`` URIs
    connect to Neo4j with ``auth`` (default: NEO4J_USERNAME / NEO4J_PASSWORD / NEO4J_DATABASE).
    """
    from flowgraph.store import open_store as _open

    return _open(uri if uri is not None else store_uri(None, load_config_file()), auth)


def load(
    store: Store, *paths: str | Path, on_file: Callable[[Path], None] | None = None
) -> LoadSummary:
    """Load upload files and folders, as ``flowgraph load PATH...`` does (``load_files``).

    Each file is validated whole and stored in one transaction, or not at all; the summary
    names every problem of a rejected file as FILE:ROW:COLUMN.
    """
    from flowgraph.ingest import load_files

    return load_files(store, paths, on_file=on_file)


def _tolerances(tolerances: Tolerances | None) -> Tolerances:
    return tolerances if tolerances is not None else tolerances_from(load_config_file())


def detect(
    store: Store,
    *,
    period: str | None = None,
    year: int | None = None,
    types: Iterable[str] | None = None,
    families: Iterable[str] | None = None,
    tolerances: Tolerances | None = None,
    in_database: bool = False,
) -> pd.DataFrame:
    """The findings of every detector (SPEC §5 columns) on the store's current uploads, as
    ``flowgraph detect`` gives them: tolerances from flowgraph.toml's ``[tolerances]``
    (``FLOWGRAPH_CONFIG`` names another file) unless ``tolerances`` is given; ``period`` /
    ``year`` choose which findings are returned (detectors always see every upload).
    ``in_database``: on a Neo4j store, the Cypher detectors run on the server and only the
    findings come back (``flowgraph detect --in-database``; the same findings).
    """
    from flowgraph.analysis import detect as _detect

    return _detect(
        store,
        period=period,
        year=year,
        types=types,
        families=families,
        tolerances=_tolerances(tolerances),
        in_database=in_database,
    )


def trace(store: Store, lot_id: str, *, downstream: bool = False) -> dict[str, Any]:
    """A lot's provenance, as ``flowgraph trace LOT_ID [--downstream] --format json`` prints
    it: upstream to its origins with the REO share of each (``traceable_share``, ``origins``,
    ``breaks``, ``tree``), or with ``downstream`` where its material went."""
    from flowgraph.analysis.provenance import trace_downstream, trace_upstream

    events = store.events()
    if downstream:
        return trace_downstream(events, lot_id)
    return trace_upstream(events, store.registry(), lot_id)


def lot_shares(store: Store) -> pd.Series:
    """Each lot's traceable REO share (SPEC §5 Origins, the haircut rule), indexed by lot id."""
    from flowgraph.analysis.lineage import lot_shares as _shares

    return _shares(store.events(), store.registry())


def flow_table(store: Store, **filters: Any) -> pd.DataFrame:
    """The national flow table behind the Sankey (one row per flow, tonnes REO, traceable and
    untraceable), as ``flowgraph report sankey`` draws it. ``filters``: ``by`` ("role",
    "enterprise", "province", "group"), ``top``, ``period``, ``year``, ``product_family``,
    ``province`` (``reports.flows.flow_table``)."""
    from flowgraph.reports.flows import flow_table as _flows

    return _flows(store.events(), store.registry(), **filters)


def findings_report(
    store: Store,
    *,
    period: str | None = None,
    year: int | None = None,
    tolerances: Tolerances | None = None,
    title: str = "Rare-earth traceability findings",
    top: int = 15,
    max_evidence: int = 20,
    max_findings: int | None = 2000,
) -> FindingsReport:
    """The findings report as data (``reports.findings.FindingsReport``: summary, enterprises,
    quota usage, listed findings and their evidence rows), for ``period`` / ``year``; detected
    with the tolerances ``flowgraph detect`` uses, each finding with its ``finding_id`` and
    ``status`` against the latest recorded run (nothing is recorded). ``render_findings_html(report)`` gives the
    page ``flowgraph report findings`` writes."""
    from flowgraph.analysis.detectors import run_detectors
    from flowgraph.analysis.findings import filter_findings
    from flowgraph.analysis.prepared import PreparedEvents
    from flowgraph.investigations import compare_with_latest
    from flowgraph.reports.findings import build_findings_report
    from flowgraph.reports.flowwindow import window_bounds

    window_bounds(period, year)  # a period outside the year is bad usage, before any work
    registry = store.registry()
    # one view: the detectors and the page read the same shares, batch graph and row REO
    view = PreparedEvents(store.events(), registry)
    tolerances = _tolerances(tolerances)
    found = run_detectors(view, registry, tolerances)
    found = filter_findings(found, period=period, year=year)
    return build_findings_report(
        # SPEC §6 finding_id, status against the latest run
        compare_with_latest(store, found, tolerances=tolerances),
        view,
        registry,
        uploads=store.uploads(),
        period=period,
        year=year,
        title=title,
        top=top,
        max_evidence=max_evidence,
        max_findings=max_findings,
    )
