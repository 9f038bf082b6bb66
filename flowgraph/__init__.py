"""flowgraph: graph-based product-flow analytics for rare-earth traceability.

The investigation workflow, for notebooks (every name is imported on first use, so
``import flowgraph`` and every CLI start stay fast):

>>> import flowgraph
>>> import os, tempfile
>>> store = flowgraph.open_store(os.path.join(tempfile.mkdtemp(), "fg.db"))
>>> summary = flowgraph.load(store)             # files and folders of monthly uploads
>>> findings = flowgraph.detect(store)          # tolerances from flowgraph.toml, as the CLI
>>> findings.empty, flowgraph.flow_table(store).empty
(True, True)
>>> store.close()

Investigations (SPEC §6): ``detect_run`` (record a run), ``list_findings``, ``review``,
``finding_history``, ``case_sheet``. Also: ``load_registry``, ``trace``, ``lot_shares``, ``sankey_figure`` / ``write_sankey_html``
(on a flow table), ``findings_report`` / ``render_findings_html`` / ``write_findings_report``,
``evidence``; ``dir(flowgraph)`` lists them all.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

# Public names -> the module that defines them; imported on first use so `import flowgraph`
# (and every CLI start) stays fast.
_EXPORTS = {
    # the workflow on a store (flowgraph/api.py)
    "open_store": "flowgraph.api",
    "load": "flowgraph.api",
    "detect": "flowgraph.api",
    "trace": "flowgraph.api",
    "lot_shares": "flowgraph.api",
    "flow_table": "flowgraph.api",
    "findings_report": "flowgraph.api",
    # investigations over time (SPEC §6: runs kept, statuses, reviews)
    "detect_run": "flowgraph.investigations",
    "list_findings": "flowgraph.investigations",
    "review": "flowgraph.investigations",
    "finding_history": "flowgraph.investigations",
    "case_sheet": "flowgraph.investigations",
    "load_files": "flowgraph.ingest",
    "load_registry": "flowgraph.ingest",
    # from data to pages
    "sankey_figure": "flowgraph.reports.sankey",
    "write_sankey_html": "flowgraph.reports.sankey",
    "node_balance": "flowgraph.reports.flows",
    "FindingsReport": "flowgraph.reports.findings",
    "render_findings_html": "flowgraph.reports.findings",
    "write_findings_report": "flowgraph.reports.findings",
    "evidence": "flowgraph.reports.evidence",
    "run_detectors": "flowgraph.analysis",
    # vocabulary and errors
    "Store": "flowgraph.store.base",
    "Tolerances": "flowgraph.config",
    "Registry": "flowgraph.model",
    "FlowgraphError": "flowgraph.errors",
    "InputError": "flowgraph.errors",
    "UsageError": "flowgraph.errors",
    "StoreUnavailable": "flowgraph.errors",
    "QueryRefused": "flowgraph.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value  # once: later lookups skip this function
        return value
    raise AttributeError(f"module 'flowgraph' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
