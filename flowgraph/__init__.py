"""flowgraph: graph-based product-flow analytics for rare-earth traceability.

>>> import flowgraph
>>> callable(flowgraph.open_store) and callable(flowgraph.detect)
True
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

# Public names -> the module that defines them; imported on first use so `import flowgraph`
# (and every CLI start) stays fast.
_EXPORTS = {
    "open_store": "flowgraph.store",
    "load_files": "flowgraph.ingest",
    "load_registry": "flowgraph.ingest",
    "detect": "flowgraph.analysis",
    "run_detectors": "flowgraph.analysis",
    "Tolerances": "flowgraph.config",
    "Registry": "flowgraph.model",
    "FlowgraphError": "flowgraph.errors",
    "InputError": "flowgraph.errors",
    "StoreUnavailable": "flowgraph.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'flowgraph' has no attribute {name!r}")
